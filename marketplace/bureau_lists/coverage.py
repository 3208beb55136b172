"""Coverage of a demand: how many offerings match it, how many admitted pool members, how many bids."""
from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from flask import current_app

from marketplace.bids.models import Bid
from marketplace.extensions import db
from marketplace.pools.models import Pool, PoolApplication

DEFAULT_THRESHOLD = 0.3


@dataclass
class Coverage:
    matches: int = 0     # offerings scoring at or above the threshold
    admitted: int = 0    # distinct admitted pool members among them
    bids: int = 0        # bids that were not withdrawn

    @property
    def uncovered(self) -> bool:
        return self.admitted == 0


def threshold() -> float:
    return float(current_app.config.get("MATCHING_COUNT_THRESHOLD", DEFAULT_THRESHOLD))


def admitted_org_ids(city_id: int | None = None) -> set[int]:
    """Providers admitted to a pool (of the city, when given)."""
    query = sa.select(PoolApplication.provider_org_id).join(Pool).where(PoolApplication.status == "admitted")
    if city_id:
        query = query.where(Pool.city_id == city_id)
    return set(db.session.scalars(query))


def bid_counts(demand_ids) -> dict[int, int]:
    ids = list(demand_ids)
    if not ids:
        return {}
    rows = db.session.execute(sa.select(Bid.demand_id, sa.func.count()).where(
        Bid.demand_id.in_(ids), Bid.status != "withdrawn").group_by(Bid.demand_id))
    return {demand_id: n for demand_id, n in rows}


def coverage_for(demands, viewer=None, city_id: int | None = None) -> dict[int, Coverage]:
    """Coverage of each demand, from the stored matches: a constant number of queries however long the list."""
    from marketplace.matches import services as matches
    from marketplace.matches.models import Match
    from marketplace.offerings.models import Offering

    demands = list(demands)
    bids = bid_counts(d.id for d in demands)
    out = {d.id: Coverage(bids=bids.get(d.id, 0)) for d in demands}
    open_ids = [d.id for d in demands if d.status == "open"]
    if not open_ids or not matches.enabled():
        return out
    members = sa.select(PoolApplication.provider_org_id).join(Pool).where(PoolApplication.status == "admitted")
    if city_id:
        members = members.where(Pool.city_id == city_id)
    is_member = Match.provider_org_id.in_(members)
    rows = db.session.execute(
        sa.select(Match.demand_id, sa.func.count(),
                  sa.func.count(sa.distinct(sa.case((is_member, Match.provider_org_id), else_=None))))
        .join(Offering, Offering.id == Match.offering_id)
        .where(Match.demand_id.in_(open_ids), Match.score >= threshold(), Offering.status == "published")
        .group_by(Match.demand_id))
    for demand_id, n, admitted in rows:
        out[demand_id].matches = n
        out[demand_id].admitted = admitted
    return out
