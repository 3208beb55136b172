"""Read-side queries about providers: browse filters and track record."""
from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from marketplace.bids.models import Review
from marketplace.extensions import db
from marketplace.offerings.models import Offering, offering_chain, offering_industry, offering_scenario
from marketplace.orgs.models import Organisation, org_service_city
from marketplace.pools.models import Pool, PoolApplication
from marketplace import search
from marketplace.taxonomy.services import term_id_subquery

SORTS = {
    "name": (Organisation.name.asc(),),
    "newest": (Organisation.created_at.desc(), Organisation.id.desc()),
}


@dataclass
class TrackRecord:
    rating_avg: float | None
    rating_count: int
    awarded_count: int


def _providers_with_offering_term(table: sa.Table, term) -> sa.Select:
    return (
        sa.select(Offering.org_id)
        .join(table, table.c.offering_id == Offering.id)
        .where(table.c.term_id == term, Offering.status == "published")
    )


def filtered_providers(args) -> sa.Select:
    query, score = sa.select(Organisation).where(Organisation.kind == "provider"), None
    found = search.parse(args.get("q"))
    if found is not None:  # the profile or a published offering matches (marketplace/search.py)
        query, score = search.search_providers(query, found)
    if args.get("city"):
        city = term_id_subquery("city", args["city"])
        query = query.where(sa.or_(
            Organisation.city_id == city,
            Organisation.id.in_(sa.select(org_service_city.c.org_id).where(org_service_city.c.term_id == city)),
        ))
    for kind, table in (("industry", offering_industry), ("chain", offering_chain), ("scenario", offering_scenario)):
        if args.get(kind):
            query = query.where(Organisation.id.in_(_providers_with_offering_term(table, term_id_subquery(kind, args[kind]))))
    if args.get("verified") == "1":
        query = query.where(Organisation.verified.is_(True))
    if score is not None and search.wants_relevance(args, found):
        return query.order_by(score.desc(), *SORTS["name"])
    return query.order_by(*SORTS.get(args.get("sort") or "name", SORTS["name"]))


def row_options() -> tuple:
    """What the provider list shows of each provider itself (provider_cards() and track_records() add the rest)."""
    return (joinedload(Organisation.city),)


def track_records(org_ids: list[int]) -> dict[int, TrackRecord]:
    """track_record() of many providers in two queries."""
    from marketplace.bids.models import Bid

    out = {org_id: TrackRecord(rating_avg=None, rating_count=0, awarded_count=0) for org_id in org_ids}
    if not org_ids:
        return out
    for org_id, avg, count in db.session.execute(
            sa.select(Review.provider_org_id, sa.func.avg(Review.rating), sa.func.count(Review.id))
            .where(Review.provider_org_id.in_(org_ids)).group_by(Review.provider_org_id)):
        out[org_id].rating_avg, out[org_id].rating_count = (float(avg) if avg is not None else None), count or 0
    for org_id, awarded in db.session.execute(
            sa.select(Bid.provider_org_id, sa.func.count(Bid.id))
            .where(Bid.provider_org_id.in_(org_ids), Bid.status == "awarded").group_by(Bid.provider_org_id)):
        out[org_id].awarded_count = awarded
    return out


def track_record(org_id: int) -> TrackRecord:
    from marketplace.bids.models import Bid

    avg, count = db.session.execute(
        sa.select(sa.func.avg(Review.rating), sa.func.count(Review.id)).where(Review.provider_org_id == org_id)
    ).one()
    awarded = db.session.scalar(
        sa.select(sa.func.count(Bid.id)).where(Bid.provider_org_id == org_id, Bid.status == "awarded")
    ) or 0
    return TrackRecord(rating_avg=float(avg) if avg is not None else None, rating_count=count or 0, awarded_count=awarded)


def admitted_pools(org_id: int) -> list[Pool]:
    return list(db.session.scalars(
        sa.select(Pool).join(PoolApplication, PoolApplication.pool_id == Pool.id)
        .where(PoolApplication.provider_org_id == org_id, PoolApplication.status == "admitted")
        .order_by(Pool.name)
    ))


def reviews_of(org_id: int, limit: int = 20) -> list[Review]:
    return list(db.session.scalars(
        sa.select(Review).where(Review.provider_org_id == org_id).order_by(Review.created_at.desc()).limit(limit)
    ))


def published_offerings(org_id: int) -> list[Offering]:
    return list(db.session.scalars(
        sa.select(Offering).where(Offering.org_id == org_id, Offering.status == "published").order_by(Offering.id)
    ))


@dataclass
class ProviderCard:
    offering_count: int
    scenarios: list
    pools: list[Pool]


def provider_cards(org_ids: list[int]) -> dict[int, ProviderCard]:
    """What the provider list shows per provider: published offerings, their scenarios, admitted pools.
    Counted and grouped in SQL: a provider may publish hundreds of offerings."""
    from marketplace.taxonomy.models import TaxonomyTerm

    cards = {org_id: ProviderCard(0, [], []) for org_id in org_ids}
    if not org_ids:
        return cards
    published = sa.and_(Offering.org_id.in_(org_ids), Offering.status == "published")
    for org_id, count in db.session.execute(sa.select(Offering.org_id, sa.func.count(Offering.id)).where(published)
                                            .group_by(Offering.org_id)):
        cards[org_id].offering_count = count
    pairs = (sa.select(Offering.org_id, offering_scenario.c.term_id).distinct()
             .join(offering_scenario, offering_scenario.c.offering_id == Offering.id).where(published).subquery())
    for org_id, term in db.session.execute(
            sa.select(pairs.c.org_id, TaxonomyTerm).join(TaxonomyTerm, TaxonomyTerm.id == pairs.c.term_id)
            .order_by(pairs.c.org_id, TaxonomyTerm.sort_order, TaxonomyTerm.id)):
        cards[org_id].scenarios.append(term)
    rows = db.session.execute(
        sa.select(PoolApplication.provider_org_id, Pool).join(Pool, PoolApplication.pool_id == Pool.id)
        .where(PoolApplication.provider_org_id.in_(org_ids), PoolApplication.status == "admitted").order_by(Pool.name))
    for org_id, pool in rows:
        cards[org_id].pools.append(pool)
    return cards
