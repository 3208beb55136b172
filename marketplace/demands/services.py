"""Demand and demand-list rules and writes. Flush, never commit."""
from __future__ import annotations

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from marketplace.audit.services import record
from marketplace.db import utc_now
from marketplace.demands.models import Demand, DemandList, demand_scenario
from marketplace.extensions import db
from marketplace.notifications.services import notify_org
from marketplace.taxonomy.services import by_ids

EDITABLE_STATUSES = ("draft", "open")
FIELDS = ("title", "description", "industry_id", "chain_id", "stage_id", "city_id", "budget_min", "budget_max",
          "deadline", "visibility", "pool_id", "list_id")


class DemandError(Exception):
    """A rule was broken; `message` is shown to the user (beside `field` when given)."""

    def __init__(self, message, field: str | None = None):
        super().__init__(str(message))
        self.message = message
        self.field = field


def _apply(demand: Demand, data: dict, terms: dict | None = None) -> None:
    """Copy form or import data onto the demand; `terms` (id -> term) saves look-ups in bulk imports."""
    for name in FIELDS:
        if name in data:
            value = data[name]
            if name.endswith("_id") and not value:
                value = None
            setattr(demand, name, value)
    if demand.visibility != "pool":
        demand.pool_id = None
    for name, attribute in (("scenario_ids", "scenarios"), ("voucher_ids", "vouchers")):
        if name in data:
            ids = data[name] or []
            setattr(demand, attribute, [terms[i] for i in ids if i in terms] if terms is not None else by_ids(ids))


def confirm_scenarios(demand: Demand) -> None:
    """The firm saved the demand's scenarios: any that were inferred from its text are now confirmed."""
    db.session.execute(sa.update(demand_scenario).where(demand_scenario.c.demand_id == demand.id,
                                                        demand_scenario.c.inferred.is_(True)).values(inferred=False))


def inferred_scenario_ids(demand_ids) -> set[tuple[int, int]]:
    """(demand id, term id) of scenario links stored from the text and not yet confirmed."""
    ids = list(demand_ids)
    if not ids:
        return set()
    return set(db.session.execute(sa.select(demand_scenario.c.demand_id, demand_scenario.c.term_id)
                                  .where(demand_scenario.c.demand_id.in_(ids), demand_scenario.c.inferred.is_(True))))


def _check_list(org_id: int, list_id) -> None:
    if list_id:
        demand_list = db.session.get(DemandList, list_id)
        if demand_list is None or demand_list.publisher_org_id != org_id:
            raise DemandError(_l("Choose one of your own demand lists."), "list_id")


def create_demand(user, data: dict, publish: bool = False) -> Demand:
    if user.org is None or user.org.kind != "manufacturer":
        raise DemandError(_l("Only manufacturers can post demands."))
    _check_list(user.org_id, data.get("list_id"))
    demand = Demand(org_id=user.org_id, created_by_id=user.id, status="draft", title="")
    _apply(demand, data)
    db.session.add(demand)
    db.session.flush()
    record("demand.create", demand, actor=user, title=demand.title)
    if publish:
        publish_demand(demand, actor=user)
    return demand


def update_demand(demand: Demand, data: dict) -> Demand:
    if demand.status not in EDITABLE_STATUSES:
        raise DemandError(_l("Only draft or open demands can be edited."))
    _check_list(demand.org_id, data.get("list_id"))
    before = {name: str(getattr(demand, name)) for name in FIELDS}
    _apply(demand, data)
    changed = sorted(name for name in FIELDS if str(getattr(demand, name)) != before[name])
    db.session.flush()
    if "scenario_ids" in data:
        confirm_scenarios(demand)
    record("demand.update", demand, changed=changed)
    return demand


def _open(demand: Demand) -> None:
    if not (demand.title and demand.description and demand.industry_id and demand.city_id):
        raise DemandError(_l("Fill in the title, description, industry and city before publishing."))
    demand.status = "open"
    demand.published_at = utc_now()


def publish_demand(demand: Demand, actor=None) -> Demand:
    if demand.status != "draft":
        raise DemandError(_l("Only a draft can be published."))
    _open(demand)
    db.session.flush()
    record("demand.publish", demand, actor=actor)
    return demand


def cancel_demand(demand: Demand, reason: str) -> Demand:
    from marketplace.bids.models import LIVE_BID_STATUSES, Bid

    reason = (reason or "").strip()
    if not reason:
        raise DemandError(_l("Please give a reason."), "reason")
    if demand.status not in EDITABLE_STATUSES:
        raise DemandError(_l("Only draft or open demands can be cancelled."))
    demand.status = "cancelled"
    demand.cancel_reason = reason
    live = db.session.scalars(sa.select(Bid).where(Bid.demand_id == demand.id, Bid.status.in_(LIVE_BID_STATUSES))).all()
    for bid in live:
        bid.status = "declined"
        bid.decline_reason = reason
        notify_org(bid.provider, "demand.cancelled", _demand_link(demand), demand=demand.title, reason=reason)
    db.session.flush()
    record("demand.cancel", demand, reason=reason, bids_declined=len(live))
    return demand


def import_demands(user, demand_list: DemandList, rows: list[dict], publish: bool, on_progress=None,
                   chunk: int = 200) -> int:
    """One demand per checked import row, flushed a chunk at a time; returns how many were made."""
    from marketplace.taxonomy.models import TaxonomyTerm

    if user.org_id != demand_list.publisher_org_id:
        raise DemandError(_l("Only your own demands can be added to this list."))
    terms = {t.id: t for t in db.session.scalars(sa.select(TaxonomyTerm).where(TaxonomyTerm.kind.in_(("scenario", "voucher"))))}
    batch: list[tuple[Demand, int | None]] = []
    for index, row in enumerate(rows, start=1):
        demand = Demand(org_id=user.org_id, created_by_id=user.id, list_id=demand_list.id, status="draft", title="")
        _apply(demand, {k: v for k, v in row.items() if k not in ("line", "list_id")}, terms)
        if publish:
            _open(demand)
        db.session.add(demand)
        batch.append((demand, row.get("line")))
        if len(batch) == chunk or index == len(rows):
            db.session.flush()
            for item, line in batch:
                record("demand.create", item, actor=user, title=item.title, source="import", line=line)
                if publish:
                    record("demand.publish", item, actor=user)
            batch = []
            if on_progress is not None:
                on_progress(index)
    record("demand_list.import", demand_list, actor=user, rows=len(rows), published=publish)
    return len(rows)


def _demand_link(demand: Demand) -> str:
    from flask import url_for

    return url_for("demands.detail", demand_id=demand.id)


# ---------------------------------------------------------------- demand lists

def create_list(user, title: str, description: str = "", chain_id=None, city_id=None) -> DemandList:
    if user.org is None or user.org.kind not in ("manufacturer", "bureau"):
        raise DemandError(_l("Only manufacturers and bureaus can publish demand lists."))
    demand_list = DemandList(title=title, description=description or "", publisher_org_id=user.org_id,
                             chain_id=chain_id or None, city_id=city_id or user.org.city_id, created_by_id=user.id)
    db.session.add(demand_list)
    db.session.flush()
    record("demand_list.create", demand_list, title=title)
    return demand_list


def update_list(demand_list: DemandList, title: str, description: str, chain_id=None, city_id=None) -> DemandList:
    demand_list.title = title
    demand_list.description = description or ""
    demand_list.chain_id = chain_id or None
    demand_list.city_id = city_id or None
    db.session.flush()
    record("demand_list.update", demand_list)
    return demand_list


def add_to_list(demand_list: DemandList, demand: Demand) -> None:
    if demand.org_id != demand_list.publisher_org_id:
        raise DemandError(_l("Only your own demands can be added to this list."), "demand_id")
    demand.list_id = demand_list.id
    db.session.flush()
    record("demand_list.add", demand_list, demand_id=demand.id)


def publish_list(demand_list: DemandList) -> int:
    """Publish the list and open its drafts; returns how many drafts were opened."""
    opened = 0
    for demand in demand_list.demands:
        if demand.status == "draft":
            publish_demand(demand)
            opened += 1
    demand_list.status = "published"
    demand_list.published_at = utc_now()
    db.session.flush()
    record("demand_list.publish", demand_list, opened=opened)
    return opened
