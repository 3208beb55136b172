"""Turning demand and offering rows into the matcher's plain documents."""
from __future__ import annotations

from collections import defaultdict

import sqlalchemy as sa

from sqlalchemy.orm import selectinload

from marketplace.bids.models import Bid, Review
from marketplace.demands.models import Demand
from marketplace.extensions import db
from marketplace.matching.ranker import MatchDocument
from marketplace.matching.text import assemble
from marketplace.offerings.models import CaseStudy, Offering
from marketplace.orgs.models import Organisation
from marketplace.pools.models import Pool, PoolApplication, pool_industry


def _codes(terms) -> frozenset[str]:
    return frozenset(t.code for t in terms if t is not None)


def _float(value) -> float | None:
    return float(value) if value is not None else None


def pools_covering(demand: Demand) -> frozenset[int]:
    """Open or closed pools whose city or industries cover the demand."""
    conditions = []
    if demand.city_id:
        conditions.append(Pool.city_id == demand.city_id)
    if demand.industry_id:
        conditions.append(Pool.id.in_(sa.select(pool_industry.c.pool_id).where(pool_industry.c.term_id == demand.industry_id)))
    if demand.pool_id:
        conditions.append(Pool.id == demand.pool_id)
    if not conditions:
        return frozenset()
    return frozenset(db.session.scalars(sa.select(Pool.id).where(sa.or_(*conditions), Pool.status != "draft")))


def indexable(obj) -> bool:
    """Only open demands and published offerings are matched."""
    return obj.status == ("open" if isinstance(obj, Demand) else "published")


class PoolCover:
    """Every non-draft pool's city and industries, loaded once, so covering pools of many
    demands are found without one query per demand."""

    def __init__(self) -> None:
        self.pools = {pool_id: (city_id, set()) for pool_id, city_id in
                      db.session.execute(sa.select(Pool.id, Pool.city_id).where(Pool.status != "draft"))}
        if self.pools:
            for pool_id, term_id in db.session.execute(sa.select(pool_industry.c.pool_id, pool_industry.c.term_id)):
                if pool_id in self.pools:
                    self.pools[pool_id][1].add(term_id)

    def covering(self, demand: Demand) -> frozenset[int]:
        return frozenset(pool_id for pool_id, (city_id, industries) in self.pools.items()
                         if (demand.city_id and city_id == demand.city_id)
                         or (demand.industry_id and demand.industry_id in industries) or pool_id == demand.pool_id)


def _demand_load() -> tuple:
    return (selectinload(Demand.industry), selectinload(Demand.chain), selectinload(Demand.stage),
            selectinload(Demand.city), selectinload(Demand.scenarios))


def _offering_load() -> tuple:
    return (selectinload(Offering.org).selectinload(Organisation.service_cities),
            selectinload(Offering.org).selectinload(Organisation.city),
            selectinload(Offering.industries), selectinload(Offering.chains), selectinload(Offering.stages),
            selectinload(Offering.scenarios),
            selectinload(Offering.case_studies).selectinload(CaseStudy.client_industry))


def load_demands(where) -> list[Demand]:
    """Demands with everything their documents read, in a constant number of queries."""
    return list(db.session.scalars(sa.select(Demand).where(where).options(*_demand_load()).order_by(Demand.id)))


def load_offerings(where) -> list[Offering]:
    return list(db.session.scalars(sa.select(Offering).where(where).options(*_offering_load()).order_by(Offering.id)))


def documents(objects) -> list[MatchDocument]:
    """Documents of many demands and offerings, with the shared facts loaded in bulk."""
    demands = [o for o in objects if isinstance(o, Demand)]
    offerings = [o for o in objects if isinstance(o, Offering)]
    cover = PoolCover() if demands else None
    facts = ProviderFacts(o.org_id for o in offerings)
    return [demand_document(d, cover) for d in demands] + [offering_document(o, facts) for o in offerings]


def demand_document(demand: Demand, cover: PoolCover | None = None) -> MatchDocument:
    return MatchDocument(
        id=demand.id, kind="demand", title=demand.title or "", text=demand.description or "",
        industries=_codes([demand.industry]), chains=_codes([demand.chain]), stages=_codes([demand.stage]),
        scenarios=_codes(demand.scenarios), cities=_codes([demand.city]),
        budget_min=_float(demand.budget_min), budget_max=_float(demand.budget_max),
        owner_id=demand.org_id, pool_ids=cover.covering(demand) if cover else pools_covering(demand),
    )


class ProviderFacts:
    """Per-provider facts shared by all its offerings, loaded in bulk."""

    def __init__(self, org_ids) -> None:
        org_ids = list(set(org_ids))
        self.pools: dict[int, set[int]] = defaultdict(set)
        self.rating: dict[int, tuple[float | None, int]] = {}
        self.awarded: dict[int, int] = {}
        if not org_ids:
            return
        for org_id, pool_id in db.session.execute(
            sa.select(PoolApplication.provider_org_id, PoolApplication.pool_id)
            .where(PoolApplication.provider_org_id.in_(org_ids), PoolApplication.status == "admitted")
        ):
            self.pools[org_id].add(pool_id)
        for org_id, avg, count in db.session.execute(
            sa.select(Review.provider_org_id, sa.func.avg(Review.rating), sa.func.count(Review.id))
            .where(Review.provider_org_id.in_(org_ids)).group_by(Review.provider_org_id)
        ):
            self.rating[org_id] = (float(avg) if avg is not None else None, count)
        for org_id, count in db.session.execute(
            sa.select(Bid.provider_org_id, sa.func.count(Bid.id))
            .where(Bid.provider_org_id.in_(org_ids), Bid.status == "awarded").group_by(Bid.provider_org_id)
        ):
            self.awarded[org_id] = count


def offering_document(offering: Offering, facts: ProviderFacts | None = None) -> MatchDocument:
    facts = facts or ProviderFacts([offering.org_id])
    org = offering.org
    cities = {t.code for t in org.service_cities}
    if org.city is not None:
        cities.add(org.city.code)
    rating_avg, rating_count = facts.rating.get(offering.org_id, (None, 0))
    return MatchDocument(
        id=offering.id, kind="offering", title=offering.title or "",
        text=assemble(offering.summary, offering.description, offering.capabilities,
                      *[assemble(c.title, c.problem, c.result) for c in offering.case_studies]),
        industries=_codes(offering.industries) | _codes(c.client_industry for c in offering.case_studies),
        chains=_codes(offering.chains), stages=_codes(offering.stages), scenarios=_codes(offering.scenarios),
        cities=frozenset(cities), budget_min=_float(offering.price_min), budget_max=_float(offering.price_max),
        owner_id=offering.org_id, pool_ids=frozenset(facts.pools.get(offering.org_id, ())),
        rating_avg=rating_avg, rating_count=rating_count, awarded_count=facts.awarded.get(offering.org_id, 0),
    )
