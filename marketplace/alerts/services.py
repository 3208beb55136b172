"""Saving searches and sending their alerts. Flush, never commit."""
from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from flask import url_for
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from werkzeug.datastructures import MultiDict

from marketplace.auth.models import User
from marketplace.db import utc_now
from marketplace.extensions import db
from marketplace.alerts.models import FREQUENCIES, SavedSearch

KEYS = {"demands": ("q", "city", "industry", "chain", "scenario", "stage"),
        "providers": ("q", "city", "industry", "chain", "scenario", "verified")}
BROWSE = {"demands": "demands.browse", "providers": "orgs.providers"}
MAX_PER_USER = 20
MAX_ITEMS = 20
WEEK = timedelta(days=7)


class SavedSearchError(ValueError):
    pass


def clean_params(target: str, args) -> dict:
    return {k: str(args.get(k)).strip()[:100] for k in KEYS[target] if args.get(k) and str(args.get(k)).strip()}


def save(user, target: str, name: str, args, frequency: str) -> SavedSearch:
    if target not in KEYS or frequency not in FREQUENCIES:
        raise SavedSearchError(_l("This search cannot be saved."))
    count = db.session.scalar(sa.select(sa.func.count(SavedSearch.id)).where(SavedSearch.user_id == user.id))
    if count >= MAX_PER_USER:
        raise SavedSearchError(_l("You can keep at most %(n)d saved searches. Delete one first.", n=MAX_PER_USER))
    params = clean_params(target, args)
    search = SavedSearch(user_id=user.id, target=target, name=(name or "").strip()[:120] or default_name(params), params=params,
                         frequency=frequency)
    db.session.add(search)
    db.session.flush()
    return search


def default_name(params: dict) -> str:
    return " · ".join(params.values()) or str(_l("All"))


def browse_url(search: SavedSearch, **extra) -> str:
    return url_for(BROWSE[search.target], **search.params, **extra)


def new_items(search: SavedSearch, user: User) -> list:
    """What appeared since the last alert and matches the filters, as the user may see it."""
    args = MultiDict(search.params)
    if search.target == "demands":
        from marketplace.demands import access
        from marketplace.demands.models import Demand
        from marketplace.demands.queries import filtered_demands, row_options

        base = sa.select(Demand).where(access.visible_filter(user), Demand.status == "open", Demand.org_id != user.org_id,
                                       Demand.published_at > search.checked_at)
        return list(db.session.scalars(filtered_demands(base, args).limit(MAX_ITEMS).options(*row_options())))
    from marketplace.offerings.models import Offering
    from marketplace.orgs.models import Organisation
    from marketplace.orgs.queries import filtered_providers

    fresh = sa.select(Offering.org_id).where(Offering.status == "published", Offering.created_at > search.checked_at)
    query = filtered_providers(args).where(Organisation.id.in_(fresh), Organisation.id != user.org_id)
    return list(db.session.scalars(query.limit(MAX_ITEMS)))


def due(search: SavedSearch, now) -> bool:
    if search.frequency == "daily":
        return True
    return search.frequency == "weekly" and search.checked_at <= now - WEEK + timedelta(hours=1)


def send_alerts(now=None) -> int:
    from marketplace.mail import services as mail

    now = now or utc_now()
    sent = 0
    searches = db.session.scalars(sa.select(SavedSearch).where(SavedSearch.frequency != "off").order_by(SavedSearch.id)).all()
    for search in searches:
        user = db.session.get(User, search.user_id)
        if not user.active or not due(search, now):
            continue
        items = new_items(search, user)
        search.checked_at = now
        if not items:
            continue
        with mail.mail_context(mail.recipient_locale(user)):
            subject = ngettext("%(num)d new result for your saved search “%(name)s”",
                               "%(num)d new results for your saved search “%(name)s”", len(items), name=search.name)
            lines = [(getattr(item, "title", None) or item.name, mail.absolute(item_url(search, item))) for item in items]
            all_url = mail.absolute(browse_url(search))
        mail.send(user, "alert", "alert", subject, unsubscribe_kind=f"alert:{search.id}", search=search, lines=lines,
                  all_url=all_url)
        sent += 1
    db.session.flush()
    return sent


def item_url(search: SavedSearch, item) -> str:
    if search.target == "demands":
        return url_for("demands.detail", demand_id=item.id)
    return url_for("orgs.provider", org_id=item.id)


def switch_off(user, kind: str) -> str:
    """Unsubscribe handler for "alert:<id>" mail."""
    search = db.session.get(SavedSearch, int(kind.partition(":")[2] or 0))
    if search is None or search.user_id != user.id:
        return str(_l("this saved search (it no longer exists)"))
    search.frequency = "off"
    db.session.flush()
    return str(_l("alerts of the saved search “%(name)s”", name=search.name))


def register_unsubscribe() -> None:
    from marketplace.mail.preferences import UNSUBSCRIBE_HANDLERS

    UNSUBSCRIBE_HANDLERS["alert:"] = switch_off


register_unsubscribe()
