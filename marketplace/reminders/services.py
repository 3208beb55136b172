"""Reminders and rescue, each run by a daily job. Every reminder is recorded first (a unique
row), so a second run, or two workers at once, never sends it again. Flush, never commit."""
from __future__ import annotations

from datetime import date, timedelta

import sqlalchemy as sa
from flask import current_app, url_for
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError

from marketplace.audit.services import record
from marketplace.bids.models import Bid, Invitation
from marketplace.db import utc_now
from marketplace.demands.models import Demand
from marketplace.extensions import db
from marketplace.notifications.services import notify_org
from marketplace.offerings.models import Offering
from marketplace.pools.models import Pool, PoolApplication
from marketplace.reminders.models import ReminderLog

DEADLINE_DAYS = 3        # remind the firm when the deadline is this close and bids wait for an answer
RESCUE_AFTER_DAYS = 3    # a published demand with no bid after this many days is rescued
RESCUE_INVITES = 5       # ... by inviting this many top-matching providers
IDLE_AFTER_DAYS = 14     # an offering published this long with no opportunity is told what is missing


def setting(name: str, default: int) -> int:
    return int(current_app.config.get(f"REMINDER_{name}", default))


def once(kind: str, obj, key: str = "", **detail) -> bool:
    """Record that this reminder is sent; False if it was already (then send nothing)."""
    try:
        with db.session.begin_nested():
            db.session.add(ReminderLog(kind=kind, object_type=obj.__tablename__, object_id=obj.id, key=key, detail=detail))
            db.session.flush()
    except IntegrityError:
        return False
    return True


def _demand_link(demand, anchor: str = "") -> str:
    return url_for("demands.detail", demand_id=demand.id) + anchor


def remind_deadlines(today: date | None = None) -> int:
    today = today or date.today()
    waiting = (sa.select(Bid.demand_id, sa.func.count(Bid.id).label("n")).where(Bid.status == "submitted")
               .group_by(Bid.demand_id).subquery())
    rows = db.session.execute(sa.select(Demand, waiting.c.n).join(waiting, waiting.c.demand_id == Demand.id).where(
        Demand.status == "open", Demand.deadline.is_not(None), Demand.deadline >= today,
        Demand.deadline <= today + timedelta(days=setting("DEADLINE_DAYS", DEADLINE_DAYS)))).all()
    sent = 0
    for demand, count in rows:
        if once("deadline_near", demand, demand.deadline.isoformat(), waiting=count):
            notify_org(demand.org, "reminder.deadline_near", _demand_link(demand, "#bids"), demand=demand.title,
                       deadline=demand.deadline.isoformat(), count=count)
            sent += 1
    return sent


def rescue_candidates(demand: Demand, limit: int) -> list:
    """Top-matching offerings of providers who have not bid and were not invited, one per provider."""
    from marketplace.matches.services import offerings_for_demand

    taken = set(db.session.scalars(sa.select(Invitation.provider_org_id).where(Invitation.demand_id == demand.id)))
    taken |= set(db.session.scalars(sa.select(Bid.provider_org_id).where(Bid.demand_id == demand.id)))
    threshold = current_app.config.get("MATCHING_COUNT_THRESHOLD", 0.3)
    chosen, seen = [], set(taken)
    for item in offerings_for_demand(demand, limit=limit * 4):
        org_id = item.obj.org_id
        if org_id in seen or org_id == demand.org_id or item.score < threshold:
            continue
        seen.add(org_id)
        chosen.append(item.obj)
        if len(chosen) == limit:
            break
    return chosen


def rescue_unbid_demands(now=None) -> int:
    now = now or utc_now()
    cutoff = now - timedelta(days=setting("RESCUE_AFTER_DAYS", RESCUE_AFTER_DAYS))
    any_bid = sa.select(Bid.id).where(Bid.demand_id == Demand.id).exists()
    demands = db.session.scalars(sa.select(Demand).where(
        Demand.status == "open", Demand.published_at.is_not(None), Demand.published_at <= cutoff, ~any_bid)).all()
    rescued = 0
    for demand in demands:
        offerings = rescue_candidates(demand, setting("RESCUE_INVITES", RESCUE_INVITES))
        if not offerings:
            continue  # nothing to invite yet: try again tomorrow
        if not once("rescued", demand, invited=[o.org_id for o in offerings]):
            continue
        with force_locale(current_app.config["BABEL_DEFAULT_LOCALE"]):
            message = str(_l("This demand matches your offering “%(offering)s”. The platform invites you to bid."))
        for offering in offerings:
            invitation = Invitation(demand_id=demand.id, provider_org_id=offering.org_id, offering_id=offering.id,
                                    message=message % {"offering": offering.title}, invited_by_id=None)
            db.session.add(invitation)
            db.session.flush()
            record("invitation.create", invitation, actor=None, demand_id=demand.id, provider_org_id=offering.org_id, by="rescue")
            notify_org(offering.org, "invitation.received", url_for("bids.invitations"), firm=demand.org.name, demand=demand.title)
        days = setting("RESCUE_AFTER_DAYS", RESCUE_AFTER_DAYS)
        notify_org(demand.org, "reminder.rescued", _demand_link(demand, "#ranked"), demand=demand.title, days=days,
                   count=len(offerings))
        rescued += 1
    return rescued


MISSING_LABELS = {"scenarios": _l("scenarios"), "price": _l("a price range"), "industries": _l("industries"),
                  "description": _l("a fuller description")}


def missing_parts(offering: Offering) -> list[str]:
    missing = []
    if not offering.scenarios:
        missing.append("scenarios")
    if offering.price_min is None and offering.price_max is None:
        missing.append("price")
    if not offering.industries:
        missing.append("industries")
    if len(offering.description or "") < 80:
        missing.append("description")
    return missing


def tell_idle_offerings(now=None) -> int:
    """Offerings published for a while with no matching open demand: say what would help."""
    from marketplace.matches.services import demands_for_offering, enabled

    if not enabled():
        return 0  # without the matcher every offering would look idle
    now = now or utc_now()
    cutoff = now - timedelta(days=setting("IDLE_AFTER_DAYS", IDLE_AFTER_DAYS))
    threshold = current_app.config.get("MATCHING_COUNT_THRESHOLD", 0.3)
    told = 0
    for offering in db.session.scalars(sa.select(Offering).where(Offering.status == "published", Offering.created_at <= cutoff)):
        if any(item.score >= threshold for item in demands_for_offering(offering, limit=5)):
            continue
        missing = missing_parts(offering)
        if not missing or not once("offering_idle", offering, offering.updated_at.date().isoformat(), missing=missing):
            continue
        with force_locale(current_app.config["BABEL_DEFAULT_LOCALE"]):
            text = "、".join(str(MISSING_LABELS[m]) for m in missing)
        notify_org(offering.org, "reminder.offering_idle", url_for("offerings.edit", offering_id=offering.id),
                   offering=offering.title, missing=text)
        told += 1
    return told


def remind_rechecks(today: date | None = None) -> int:
    from marketplace.pools.review import due_for_recheck

    today = today or date.today()
    sent = 0
    members = db.session.scalars(sa.select(PoolApplication).join(Pool).where(
        Pool.recheck_months.is_not(None), PoolApplication.status == "admitted")).all()
    for application in members:
        if not due_for_recheck(application, today):
            continue
        last = application.last_checked_on or (application.decided_at.date() if application.decided_at else None)
        if not once("pool_recheck", application, last.isoformat() if last else ""):
            continue
        params = dict(provider=application.provider.name, pool=application.pool.name, due=today.isoformat())
        notify_org(application.pool.bureau, "reminder.pool_recheck", url_for("pools.members", pool_id=application.pool_id), **params)
        notify_org(application.provider, "reminder.pool_recheck", url_for("applications.calls"), **params)
        sent += 1
    return sent


def remind_notice_ends(today: date | None = None) -> int:
    today = today or date.today()
    sent = 0
    for pool in db.session.scalars(sa.select(Pool).where(Pool.notice_ends_on.is_not(None), Pool.notice_ends_on < today)):
        if once("notice_ended", pool, pool.notice_ends_on.isoformat()):
            notify_org(pool.bureau, "reminder.notice_ended", url_for("pools.notice", pool_id=pool.id), pool=pool.name,
                       ended=pool.notice_ends_on.isoformat())
            sent += 1
    return sent
