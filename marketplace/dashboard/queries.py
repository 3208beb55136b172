"""Aggregates for the bureau dashboard: the funnel, its breakdowns over time, pool coverage, adoption.

Read-only. A demand counts once it is published (drafts are not demands yet).
Funnel stages, each a subset of the one before:
  demands → matched (an offering matches at or above the threshold, or a bid came in)
          → bid (a bid that was not withdrawn) → awarded → closed (delivered after an award).
"""
from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from marketplace.bids.models import Bid
from marketplace.demands.models import Demand, demand_scenario
from marketplace.extensions import db
from marketplace.offerings.models import Offering, offering_scenario
from marketplace.orgs.models import Organisation
from marketplace.pools.models import Pool, PoolApplication
from marketplace.taxonomy.models import TaxonomyTerm

STAGES = ("demands", "matched", "bid", "awarded", "closed")
GROUPS = ("city", "chain", "industry", "scenario")
STAGE_LABELS = {
    "demands": _l("Demands"), "matched": _l("Matched"), "bid": _l("Bid on"), "awarded": _l("Awarded"), "closed": _l("Closed"),
}
GROUP_LABELS = {"city": _l("City"), "chain": _l("Chain"), "industry": _l("Industry"), "scenario": _l("Scenario")}


@dataclass
class Filters:
    city_id: int | None = None
    chain_id: int | None = None
    industry_id: int | None = None
    scenario_id: int | None = None
    start: date | None = None   # first day of the first month
    end: date | None = None     # first day of the month after the last
    group: str = "chain"


@dataclass
class DemandRow:
    id: int
    status: str
    month: str
    city_id: int | None
    chain_id: int | None
    industry_id: int | None
    scenario_ids: list[int] = field(default_factory=list)
    stages: set[str] = field(default_factory=set)


def _term_ids(ids) -> dict[int, TaxonomyTerm]:
    ids = {i for i in ids if i}
    if not ids:
        return {}
    return {t.id: t for t in db.session.scalars(sa.select(TaxonomyTerm).where(TaxonomyTerm.id.in_(ids)))}


def apply_filters(query: sa.Select, filters: Filters) -> sa.Select:
    """Restrict a select over Demand to the city, chain, industry, scenario and months chosen."""
    for column, value in ((Demand.city_id, filters.city_id), (Demand.chain_id, filters.chain_id),
                          (Demand.industry_id, filters.industry_id)):
        if value:
            query = query.where(column == value)
    if filters.scenario_id:
        query = query.where(Demand.id.in_(sa.select(demand_scenario.c.demand_id).where(
            demand_scenario.c.term_id == filters.scenario_id)))
    if filters.start:
        query = query.where(Demand.published_at >= filters.start)
    if filters.end:
        query = query.where(Demand.published_at < filters.end)
    return query


def demand_rows(filters: Filters, viewer=None) -> list[DemandRow]:
    query = apply_filters(sa.select(Demand.id, Demand.status, Demand.published_at, Demand.city_id, Demand.chain_id,
                                    Demand.industry_id).where(Demand.published_at.is_not(None)), filters)
    rows = [DemandRow(r.id, r.status, r.published_at.strftime("%Y-%m"), r.city_id, r.chain_id, r.industry_id)
            for r in db.session.execute(query.order_by(Demand.published_at))]
    _mark_stages(rows, viewer)
    return rows


def _mark_stages(rows: list[DemandRow], viewer) -> None:
    by_id = {row.id: row for row in rows}
    if not by_id:
        return
    ids = list(by_id)
    for demand_id, term_id in db.session.execute(sa.select(demand_scenario.c.demand_id, demand_scenario.c.term_id)
                                                 .where(demand_scenario.c.demand_id.in_(ids))):
        by_id[demand_id].scenario_ids.append(term_id)
    bid_rows = db.session.execute(sa.select(Bid.demand_id, Bid.status).where(Bid.demand_id.in_(ids), Bid.status != "withdrawn"))
    for demand_id, status in bid_rows:
        row = by_id[demand_id]
        row.stages.update(("matched", "bid"))
        if status == "awarded":
            row.stages.add("awarded")
            if row.status == "closed":
                row.stages.add("closed")
    for row in rows:
        row.stages.add("demands")
    _mark_matched(rows, viewer)


def _mark_matched(rows: list[DemandRow], viewer) -> None:
    """Every demand with a stored match at or above the threshold (one query, no cap)."""
    from marketplace.matches import services as matches

    if not matches.enabled():
        return
    by_id = {row.id: row for row in rows}
    for demand_id in db.session.scalars(matches.matched_demands().distinct()):
        row = by_id.get(demand_id)
        if row is not None:
            row.stages.add("matched")


def funnel(rows: list[DemandRow]) -> dict[str, int]:
    counts = Counter(stage for row in rows for stage in row.stages)
    return {stage: counts.get(stage, 0) for stage in STAGES}


def by_month(rows: list[DemandRow]) -> list[tuple[str, dict[str, int]]]:
    months: dict[str, list[DemandRow]] = defaultdict(list)
    for row in rows:
        months[row.month].append(row)
    return [(month, funnel(months.get(month, []))) for month in month_range(min(months), max(months))] if months else []


def month_range(first: str, last: str) -> list[str]:
    """Every "YYYY-MM" from first to last, so a month without demands shows as zero rather than vanishing."""
    year, month = map(int, first.split("-"))
    out = []
    while f"{year:04d}-{month:02d}" <= last:
        out.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return out


def by_group(rows: list[DemandRow], group: str) -> list[tuple[object, dict[str, int]]]:
    """Funnel per city, chain, industry or scenario (a demand counts in each of its scenarios)."""
    buckets: dict[int | None, list[DemandRow]] = defaultdict(list)
    for row in rows:
        keys = (row.scenario_ids or [None]) if group == "scenario" else [getattr(row, f"{group}_id")]
        for key in keys:
            buckets[key].append(row)
    terms = _term_ids(buckets)
    out = [(terms.get(key), funnel(members)) for key, members in buckets.items()]
    return sorted(out, key=lambda pair: (-pair[1]["demands"], pair[0].sort_order if pair[0] else 10**6))


def pool_coverage(rows: list[DemandRow], city_id: int | None = None) -> list[dict]:
    """For each demanded scenario: demands, and admitted pool members offering it (0 = a gap)."""
    demanded = Counter(term_id for row in rows for term_id in row.scenario_ids)
    if not demanded:
        return []
    members = sa.select(PoolApplication.provider_org_id).join(Pool).where(PoolApplication.status == "admitted")
    if city_id:
        members = members.where(Pool.city_id == city_id)
    providers = db.session.execute(
        sa.select(offering_scenario.c.term_id, sa.func.count(sa.distinct(Offering.org_id)))
        .join(Offering, Offering.id == offering_scenario.c.offering_id)
        .where(Offering.status == "published", Offering.org_id.in_(members),
               offering_scenario.c.term_id.in_(list(demanded)))
        .group_by(offering_scenario.c.term_id))
    covered = dict(providers.all())
    terms = _term_ids(demanded)
    out = [{"term": terms.get(term_id), "demands": n, "providers": covered.get(term_id, 0)} for term_id, n in demanded.items()]
    return sorted(out, key=lambda r: (r["providers"] > 0, -r["demands"]))


def adoption(city_id: int | None = None) -> dict[str, float]:
    """Registered manufacturers, and how many have at least one awarded project."""
    firms = sa.select(Organisation.id).where(Organisation.kind == "manufacturer")
    if city_id:
        firms = firms.where(Organisation.city_id == city_id)
    registered = db.session.scalar(sa.select(sa.func.count()).select_from(firms.subquery())) or 0
    awarded = db.session.scalar(
        sa.select(sa.func.count(sa.distinct(Demand.org_id))).join(Bid, Bid.demand_id == Demand.id)
        .where(Bid.status == "awarded", Demand.org_id.in_(firms))) or 0
    return {"registered": registered, "adopted": awarded, "share": (awarded / registered) if registered else 0.0}
