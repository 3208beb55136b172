"""Read-side queries about bids and invitations."""
from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from marketplace.bids.models import BID_STATUSES, Bid, Invitation, Review
from marketplace.demands.models import Demand
from marketplace.extensions import db
from marketplace.orgs import queries as org_queries
from marketplace.search import keyword_filter

SORTS = {
    "newest": (Bid.created_at.desc(), Bid.id.desc()),
    "price": (Bid.price.asc(), Bid.id.desc()),
    "duration": (Bid.duration_days.asc(), Bid.id.desc()),
}


@dataclass
class BidRow:
    """A bid with what a firm weighs beside it: the provider's record and pool memberships."""

    bid: Bid
    record: org_queries.TrackRecord
    pools: list


def with_records(bids) -> list[BidRow]:
    records, pools = {}, {}
    for bid in bids:
        org_id = bid.provider_org_id
        if org_id not in records:
            records[org_id] = org_queries.track_record(org_id)
            pools[org_id] = org_queries.admitted_pools(org_id)
    return [BidRow(bid, records[bid.provider_org_id], pools[bid.provider_org_id]) for bid in bids]


def bids_on(demand_id: int, sort: str | None = None) -> list[Bid]:
    order = SORTS.get(sort or "", None) or (sa.case((Bid.status == "withdrawn", 1), else_=0), Bid.created_at.asc(), Bid.id)
    return list(db.session.scalars(sa.select(Bid).where(Bid.demand_id == demand_id).order_by(*order)))


def _filtered(query: sa.Select, args) -> sa.Select:
    if args.get("status") in BID_STATUSES:
        query = query.where(Bid.status == args["status"])
    keyword = keyword_filter(args.get("q"), Demand.title, Bid.approach)
    if keyword is not None:
        query = query.where(keyword)
    return query.order_by(*SORTS.get(args.get("sort") or "newest", SORTS["newest"]))


def received(org_id: int, args) -> sa.Select:
    """Bids on the firm's demands."""
    query = sa.select(Bid).join(Demand, Demand.id == Bid.demand_id).where(Demand.org_id == org_id)
    if args.get("demand"):
        try:
            query = query.where(Bid.demand_id == int(args["demand"]))
        except ValueError:
            pass
    return _filtered(query, args)


def mine(org_id: int, args) -> sa.Select:
    """The provider's own bids."""
    return _filtered(sa.select(Bid).join(Demand, Demand.id == Bid.demand_id).where(Bid.provider_org_id == org_id), args)


def status_counts(column, org_filter) -> dict[str, int]:
    rows = db.session.execute(
        sa.select(Bid.status, sa.func.count(Bid.id)).join(Demand, Demand.id == Bid.demand_id)
        .where(column == org_filter).group_by(Bid.status)
    ).all()
    return dict(rows)


def invitations_received(org_id: int, status: str | None) -> sa.Select:
    query = sa.select(Invitation).where(Invitation.provider_org_id == org_id)
    if status in ("pending", "accepted", "declined"):
        query = query.where(Invitation.status == status)
    return query.order_by(sa.case((Invitation.status == "pending", 0), else_=1), Invitation.created_at.desc(), Invitation.id.desc())


def invitations_on(demand_id: int) -> list[Invitation]:
    return list(db.session.scalars(sa.select(Invitation).where(Invitation.demand_id == demand_id).order_by(Invitation.id)))


def pending_invitation(demand_id: int, org_id: int) -> Invitation | None:
    return db.session.scalar(sa.select(Invitation).where(
        Invitation.demand_id == demand_id, Invitation.provider_org_id == org_id, Invitation.status == "pending"))


def review_of_bid(bid_id: int) -> Review | None:
    return db.session.scalar(sa.select(Review).where(Review.bid_id == bid_id))
