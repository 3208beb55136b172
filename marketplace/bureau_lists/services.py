"""Chain demand lists: a bureau publishes its firms' needs; firms confirm, disown or claim them.

A demand listed by the bureau starts with owner_confirmed=False. It belongs either to the firm the
bureau named, or (when the firm has not registered yet) to the bureau itself, "unassigned", until
a firm of the list's city claims it. Services flush and never commit.
"""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from marketplace.audit.services import record
from marketplace.db import utc_now
from marketplace.demands.models import Demand, DemandList
from marketplace.extensions import db
from marketplace.pools.links import path_for
from marketplace.notifications.services import notify_org
from marketplace.orgs.models import Organisation
from marketplace.pools.errors import PoolError as ListError
from marketplace.pools.services import check_version
from marketplace.taxonomy.services import by_ids

__all__ = ["ListError"]


def is_unassigned(demand: Demand) -> bool:
    lst = demand.demand_list
    return bool(lst is not None and demand.org_id == lst.publisher_org_id and not demand.owner_confirmed)


def create_list(bureau: Organisation, user, data: dict) -> DemandList:
    lst = DemandList(publisher_org_id=bureau.id, created_by_id=user.id, status="draft")
    _apply_list(lst, data)
    db.session.add(lst)
    db.session.flush()
    record("demand_list.created", lst, actor=user, title=lst.title)
    return lst


def update_list(lst: DemandList, user, data: dict) -> None:
    _apply_list(lst, data)
    db.session.flush()
    record("demand_list.updated", lst, actor=user, title=lst.title)


def _apply_list(lst: DemandList, data: dict) -> None:
    lst.title = data["title"].strip()
    lst.description = data.get("description") or ""
    lst.chain_id = data.get("chain_id") or None
    lst.city_id = data.get("city_id") or None


def firm_choices_query(lst: DemandList):
    import sqlalchemy as sa

    query = sa.select(Organisation).where(Organisation.kind == "manufacturer")
    if lst.city_id:
        query = query.where(Organisation.city_id == lst.city_id)
    return query.order_by(Organisation.name)


def _firm(lst: DemandList, firm_id: int | None) -> Organisation:
    if not firm_id:
        return lst.publisher
    firm = db.session.get(Organisation, firm_id)
    if firm is None or firm.kind != "manufacturer" or (lst.city_id and firm.city_id != lst.city_id):
        raise ListError(_l("Choose a registered manufacturer of the list's city."), field="firm_id")
    return firm


def _apply_demand(demand: Demand, lst: DemandList, data: dict) -> None:
    demand.title = data["title"].strip()
    demand.description = data["description"].strip()
    demand.industry_id = data.get("industry_id") or None
    demand.stage_id = data.get("stage_id") or None
    demand.scenarios = by_ids(data.get("scenario_ids") or [])
    demand.budget_min, demand.budget_max = data.get("budget_min"), data.get("budget_max")
    demand.deadline = data.get("deadline")
    demand.chain_id, demand.city_id = lst.chain_id, lst.city_id


def _ask_to_confirm(demand: Demand) -> None:
    if not is_unassigned(demand):
        notify_org(demand.org, "list.demand_to_confirm", path_for("bureau_lists.mine"),
                   publisher=demand.demand_list.publisher.name, demand=demand.title)


def add_demand(lst: DemandList, user, data: dict) -> Demand:
    firm = _firm(lst, data.get("firm_id"))
    demand = Demand(org_id=firm.id, owner_confirmed=False, list_id=lst.id, created_by_id=user.id, visibility="public",
                    status="open" if lst.status == "published" else "draft")
    db.session.add(demand)
    demand.demand_list = lst
    with db.session.no_autoflush:
        _apply_demand(demand, lst, data)
    if demand.status == "open":
        demand.published_at = utc_now()
    db.session.flush()
    record("demand.listed", demand, actor=user, list_id=lst.id, firm_id=firm.id)
    if demand.status == "open":
        _ask_to_confirm(demand)
    return demand


def update_demand(demand: Demand, user, data: dict) -> None:
    check_version(demand, data.get("version"))
    if demand.owner_confirmed:
        raise ListError(_l("The firm has confirmed this demand; only the firm can change it now."), status=403)
    if demand.status not in ("draft", "open"):
        raise ListError(_l("This demand can no longer be changed."), status=409)
    lst = demand.demand_list
    firm = _firm(lst, data.get("firm_id"))
    reassigned = firm.id != demand.org_id
    demand.org = firm
    _apply_demand(demand, lst, data)
    db.session.flush()
    record("demand.updated", demand, actor=user, list_id=lst.id, firm_id=firm.id)
    if reassigned and demand.status == "open":
        _ask_to_confirm(demand)


def withdraw_demand(demand: Demand, user, version, reason: str) -> None:
    """Take a demand the bureau listed by mistake out of the list (it is cancelled, never deleted)."""
    from marketplace.demands.services import DemandError, cancel_demand

    check_version(demand, version)
    if demand.owner_confirmed:
        raise ListError(_l("The firm has confirmed this demand; only the firm can change it now."), status=403)
    try:
        cancel_demand(demand, reason)
    except DemandError as error:
        raise ListError(error.message, field=error.field) from error
    record("demand.withdrawn_from_list", demand, actor=user, list_id=demand.list_id, reason=demand.cancel_reason)
    if demand.published_at and not is_unassigned(demand):
        notify_org(demand.org, "demand.cancelled", path_for("bureau_lists.mine"), demand=demand.title,
                   reason=demand.cancel_reason)


def publish_list(lst: DemandList, user) -> int:
    if lst.status == "published":
        raise ListError(_l("The list is already published."), status=409)
    drafts = [d for d in lst.demands if d.status == "draft"]
    if not lst.demands:
        raise ListError(_l("Add at least one demand before publishing the list."))
    now = utc_now()
    lst.status, lst.published_at = "published", now
    for demand in drafts:
        demand.status, demand.published_at = "open", now
    db.session.flush()
    record("demand_list.published", lst, actor=user, demands=len(drafts))
    for demand in drafts:
        _ask_to_confirm(demand)
    return len(drafts)


# ----------------------------------------------------------------------------- the firm's side

def _tell_publisher(demand: Demand, kind: str, firm: Organisation) -> None:
    lst = demand.demand_list
    notify_org(lst.publisher, kind, path_for("bureau_lists.detail", list_id=lst.id),
               firm=firm.name, demand=demand.title, list=lst.title)


def _firm_of(user) -> Organisation:
    org = user.org
    if org is None or org.kind != "manufacturer":
        raise ListError(_l("Only a manufacturer can confirm or claim listed demands."), status=403)
    return org


def _unconfirmed_listed(demand: Demand, version) -> None:
    if demand.demand_list is None or demand.demand_list.status != "published":
        raise ListError(_l("This demand is not in a published list."), status=404)
    check_version(demand, version, _l("Someone changed this demand meanwhile (perhaps another firm claimed it). "
                                      "Reload the page to see its current state."))
    if demand.owner_confirmed:
        raise ListError(_l("This demand has already been confirmed."), status=409)


def confirm(demand: Demand, user, version) -> None:
    firm = _firm_of(user)
    _unconfirmed_listed(demand, version)
    if demand.org_id != firm.id:
        raise ListError(_l("This demand is not listed for your firm."), status=403)
    demand.owner_confirmed = True
    db.session.flush()
    record("demand.owner_confirmed", demand, actor=user, list_id=demand.list_id)
    _tell_publisher(demand, "list.demand_confirmed", firm)


def disown(demand: Demand, user, version) -> None:
    """"Not ours": the demand goes back to the list unassigned, for the right firm to claim."""
    firm = _firm_of(user)
    _unconfirmed_listed(demand, version)
    if demand.org_id != firm.id:
        raise ListError(_l("This demand is not listed for your firm."), status=403)
    demand.org = demand.demand_list.publisher
    db.session.flush()
    record("demand.owner_disowned", demand, actor=user, list_id=demand.list_id, firm_id=firm.id)
    _tell_publisher(demand, "list.demand_disowned", firm)


def claim(demand: Demand, user, version) -> None:
    firm = _firm_of(user)
    _unconfirmed_listed(demand, version)
    if not is_unassigned(demand):
        raise ListError(_l("This demand is listed for another firm and cannot be claimed."), status=409)
    lst = demand.demand_list
    if lst.city_id and firm.city_id != lst.city_id:
        raise ListError(_l("Only firms of %(city)s can claim demands of this list.", city=lst.city.label), status=403)
    demand.org = firm
    demand.owner_confirmed = True
    db.session.flush()
    record("demand.claimed", demand, actor=user, list_id=lst.id, firm_id=firm.id)
    _tell_publisher(demand, "list.demand_claimed", firm)
