"""Aggregates for the bureau dashboard: the funnel, its breakdowns over time, pool coverage, adoption.

Read-only. A demand counts once it is published (drafts are not demands yet).
Funnel stages, each a subset of the one before:
  demands → matched (an offering matches at or above the threshold, or a bid came in)
          → bid (a bid that was not withdrawn) → awarded → closed (delivered after an award).
"""
from __future__ import annotations

from dataclasses import dataclass
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


def _with_stage_sums(query: sa.Select) -> sa.Select:
    """The query over Demand with, per group, how many demands reached each stage: SQL sums over the
    demands' bids (aggregated once, hash-joined) and one index-only probe per demand into the stored
    matches (demand_id, score), so no demand row comes into Python. The probe does not join the
    offering: the match jobs delete the rows of offerings no longer published."""
    from marketplace.matches import services as matches
    from marketplace.matches.models import Match

    bids = (sa.select(Bid.demand_id, sa.func.max(sa.case((Bid.status != "withdrawn", 1), else_=0)).label("live"),
                      sa.func.max(sa.case((Bid.status == "awarded", 1), else_=0)).label("awarded"))
            .group_by(Bid.demand_id).subquery("bids"))
    bid, awarded = bids.c.live == 1, bids.c.awarded == 1
    matched = bid
    if matches.enabled():
        matched = sa.or_(bid, sa.exists().where(Match.demand_id == Demand.id, Match.score >= matches.threshold()))
    stages = {"demands": sa.true(), "matched": matched, "bid": bid, "awarded": awarded,
              "closed": sa.and_(awarded, Demand.status == "closed")}
    return query.outerjoin(bids, bids.c.demand_id == Demand.id).add_columns(
        *[sa.func.sum(sa.case((condition, 1), else_=0)).label(stage) for stage, condition in stages.items()])


def _stage_counts(filters: Filters, by_month: bool, group: str | None) -> list[tuple[str | None, object, dict[str, int]]]:
    """(month "YYYY-MM" or None, group term id or None, stage counts) for the published demands in the
    filters, grouped by month and/or a group of GROUPS (None: not stated; a demand counts once in each
    of its scenarios)."""
    query = apply_filters(sa.select().select_from(Demand).where(Demand.published_at.is_not(None)), filters)
    months = [sa.extract("year", Demand.published_at), sa.extract("month", Demand.published_at)] if by_month else []
    groups = []
    if group == "scenario":
        query = query.outerjoin(demand_scenario, demand_scenario.c.demand_id == Demand.id)
        groups = [demand_scenario.c.term_id]
    elif group:
        groups = [getattr(Demand, f"{group}_id")]
    rows = db.session.execute(_with_stage_sums(query).add_columns(*months, *groups).group_by(*months, *groups)).all()
    out = []
    for row in rows:
        counts = {stage: int(getattr(row, stage) or 0) for stage in STAGES}
        keys = list(row[len(STAGES):])
        month = f"{int(keys.pop(0)):04d}-{int(keys.pop(0)):02d}" if by_month else None
        if counts["demands"]:
            out.append((month, keys[0] if groups else None, counts))
    return out


def _total(rows) -> dict[str, int]:
    return {stage: sum(counts[stage] for counts in rows) for stage in STAGES}


def breakdown(filters: Filters, group: str) -> tuple[dict[str, int], list, list]:
    """The funnel, the funnel by month and by group (city, chain, industry or scenario), from one
    aggregate over the demands (two by scenario: a demand counts in each of its scenarios there)."""
    rows = _stage_counts(filters, True, group if group != "scenario" else None)
    by_group = _stage_counts(filters, False, "scenario") if group == "scenario" else rows
    months: dict[str, list] = {}
    for month, _, counts in rows:
        months.setdefault(month, []).append(counts)
    groups: dict[object, list] = {}
    for _, key, counts in by_group:
        groups.setdefault(key, []).append(counts)
    terms = _term_ids(groups)
    zero = dict.fromkeys(STAGES, 0)
    month_rows = [(m, _total(months[m]) if m in months else zero) for m in month_range(min(months), max(months))] if months else []
    group_rows = sorted(((terms.get(key), _total(members)) for key, members in groups.items()),
                        key=lambda pair: (-pair[1]["demands"], pair[0].sort_order if pair[0] else 10**6))
    return _total([counts for _, _, counts in rows]), month_rows, group_rows


def month_range(first: str, last: str) -> list[str]:
    """Every "YYYY-MM" from first to last, so a month without demands shows as zero rather than vanishing."""
    year, month = map(int, first.split("-"))
    out = []
    while f"{year:04d}-{month:02d}" <= last:
        out.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return out


def pool_coverage(filters: Filters) -> list[dict]:
    """For each demanded scenario: demands, and admitted pool members offering it (0 = a gap)."""
    demanded = dict(db.session.execute(apply_filters(
        sa.select(demand_scenario.c.term_id, sa.func.count()).join(Demand, Demand.id == demand_scenario.c.demand_id)
        .where(Demand.published_at.is_not(None)), filters).group_by(demand_scenario.c.term_id)).all())
    if not demanded:
        return []
    members = sa.select(PoolApplication.provider_org_id).join(Pool).where(PoolApplication.status == "admitted")
    if filters.city_id:
        members = members.where(Pool.city_id == filters.city_id)
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
