"""Bids, decisions on them, invitations and reviews. Flush, never commit."""
from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from flask import url_for
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError

from marketplace.audit.services import record
from marketplace.bids.models import LIVE_BID_STATUSES, Bid, Invitation, Review
from marketplace.db import utc_now
from marketplace.demands.access import is_admitted_member
from marketplace.extensions import db
from marketplace.notifications.services import notify, notify_org

# Stored as the decline reason of the other live bids when one bid wins; shown translated.
OTHER_AWARDED = "another_provider_awarded"
EDITABLE_BID_STATUSES = ("submitted",)


class BidError(Exception):
    def __init__(self, message, field: str | None = None):
        super().__init__(str(message))
        self.message = message
        self.field = field


def _link(demand) -> str:
    return url_for("demands.detail", demand_id=demand.id)


def _bid_link(bid: Bid) -> str:
    return url_for("bids.detail", bid_id=bid.id)


def bidding_open(demand) -> bool:
    return demand.status == "open" and (demand.deadline is None or demand.deadline >= date.today())


def live_bid(demand_id: int, org_id: int) -> Bid | None:
    return db.session.scalar(sa.select(Bid).where(
        Bid.demand_id == demand_id, Bid.provider_org_id == org_id, Bid.status.in_(LIVE_BID_STATUSES)))


def _check_offering(org_id: int, offering) -> None:
    if offering is not None and (offering.org_id != org_id or offering.status != "published"):
        raise BidError(_l("Choose one of your published offerings."), "offering_id")


def submit_bid(user, demand, offering, price, duration_days: int, approach: str) -> Bid:
    if user.org is None or user.org.kind != "provider":
        raise BidError(_l("Only providers can bid."))
    if not bidding_open(demand):
        raise BidError(_l("This demand is no longer open for bids."))
    _check_offering(user.org_id, offering)
    if live_bid(demand.id, user.org_id) is not None:
        raise BidError(_l("Your company already has a live bid on this demand. Edit or withdraw that bid instead."))
    bid = Bid(demand_id=demand.id, provider_org_id=user.org_id, offering_id=offering.id if offering else None,
              price=price, duration_days=duration_days, approach=approach, submitted_by_id=user.id)
    try:
        with db.session.begin_nested():
            db.session.add(bid)
            db.session.flush()
    except IntegrityError:
        raise BidError(_l("Your company already has a live bid on this demand. Edit or withdraw that bid instead.")) from None
    invitation = db.session.scalar(sa.select(Invitation).where(
        Invitation.demand_id == demand.id, Invitation.provider_org_id == user.org_id, Invitation.status == "pending"))
    if invitation is not None:
        invitation.status = "accepted"
        invitation.answered_at = utc_now()
    record("bid.submit", bid, demand_id=demand.id, price=price, duration_days=duration_days)
    notify_org(demand.org, "bid.received", _link(demand), provider=user.org.name, demand=demand.title)
    return bid


def update_bid(bid: Bid, offering, price, duration_days: int, approach: str) -> Bid:
    if bid.status not in EDITABLE_BID_STATUSES:
        raise BidError(_l("This bid can no longer be changed: the firm has already acted on it."))
    if not bidding_open(bid.demand):
        raise BidError(_l("This demand is no longer open for bids."))
    _check_offering(bid.provider_org_id, offering)
    bid.offering_id = offering.id if offering else None
    bid.price, bid.duration_days, bid.approach = price, duration_days, approach
    db.session.flush()
    record("bid.update", bid, price=price, duration_days=duration_days)
    notify_org(bid.demand.org, "bid.updated", _link(bid.demand), provider=bid.provider.name, demand=bid.demand.title)
    return bid


def withdraw_bid(bid: Bid) -> Bid:
    if bid.status not in ("submitted", "shortlisted"):
        raise BidError(_l("Only a submitted or shortlisted bid can be withdrawn."))
    bid.status = "withdrawn"
    db.session.flush()
    record("bid.withdraw", bid)
    notify_org(bid.demand.org, "bid.withdrawn", _link(bid.demand), provider=bid.provider.name, demand=bid.demand.title)
    return bid


def _require_open(bid: Bid) -> None:
    if bid.demand.status != "open":
        raise BidError(_l("Bidding on this demand has closed."))


def shortlist(bid: Bid) -> Bid:
    _require_open(bid)
    if bid.status != "submitted":
        raise BidError(_l("Only a submitted bid can be shortlisted."))
    bid.status = "shortlisted"
    db.session.flush()
    record("bid.shortlist", bid)
    notify_org(bid.provider, "bid.shortlisted", _bid_link(bid), demand=bid.demand.title)
    return bid


DECLINABLE = ("submitted", "shortlisted")


def decline(bid: Bid, reason: str) -> Bid:
    reason = (reason or "").strip()
    if not reason:
        raise BidError(_l("Please give a reason."), "reason")
    if bid.status not in DECLINABLE:
        raise BidError(_l("Only a submitted or shortlisted bid can be declined."))
    bid.status = "declined"
    bid.decline_reason = reason
    db.session.flush()
    record("bid.decline", bid, reason=reason)
    notify_org(bid.provider, "bid.declined", _bid_link(bid), demand=bid.demand.title, reason=reason)
    return bid


def award(bid: Bid) -> Bid:
    """Award one bid: the demand stops taking bids and every other live bid is declined."""
    _require_open(bid)
    if bid.status not in ("submitted", "shortlisted"):
        raise BidError(_l("Only a submitted or shortlisted bid can be awarded."))
    demand = bid.demand
    others = db.session.scalars(sa.select(Bid).where(
        Bid.demand_id == demand.id, Bid.id != bid.id, Bid.status.in_(LIVE_BID_STATUSES))).all()
    try:
        with db.session.begin_nested():
            bid.status = "awarded"
            demand.status = "awarded"
            for other in others:
                other.status = "declined"
                other.decline_reason = OTHER_AWARDED
            db.session.flush()
    except IntegrityError:
        raise BidError(_l("Another bid on this demand has already been awarded.")) from None
    record("bid.award", bid, demand_id=demand.id, declined=[o.id for o in others])
    record("demand.award", demand, bid_id=bid.id, provider_org_id=bid.provider_org_id)
    notify_org(bid.provider, "bid.awarded", _bid_link(bid), demand=demand.title)
    for other in others:
        notify_org(other.provider, "bid.closed_other_awarded", _bid_link(other), demand=demand.title)
    return bid


def awarded_bid(demand_id: int) -> Bid | None:
    return db.session.scalar(sa.select(Bid).where(Bid.demand_id == demand_id, Bid.status == "awarded"))


def close_demand(demand) -> None:
    """After delivery: the awarded demand is closed and can be reviewed."""
    if demand.status != "awarded":
        raise BidError(_l("Only an awarded demand can be closed after delivery."))
    demand.status = "closed"
    demand.closed_at = utc_now()
    db.session.flush()
    record("demand.close", demand)
    bid = awarded_bid(demand.id)
    if bid is not None:
        notify_org(bid.provider, "demand.closed", _link(demand), demand=demand.title)


def review_problem(demand):
    """Why the demand's award cannot be reviewed now, or None when it can."""
    if demand.status != "closed":
        return _l("Close the demand after delivery before reviewing the provider.")
    bid = awarded_bid(demand.id)
    if bid is None:
        return _l("There is no awarded bid to review.")
    if db.session.scalar(sa.select(Review.id).where(Review.bid_id == bid.id)) is not None:
        return _l("This award has already been reviewed.")
    return None


def review(user, demand, rating: int, comment: str) -> Review:
    problem = review_problem(demand)
    if problem:
        raise BidError(problem)
    bid = awarded_bid(demand.id)
    if rating not in range(1, 6):
        raise BidError(_l("Please choose a rating from 1 to 5."), "rating")
    item = Review(bid_id=bid.id, demand_id=demand.id, provider_org_id=bid.provider_org_id, reviewer_org_id=user.org_id,
                  reviewer_user_id=user.id, rating=rating, comment=comment.strip())
    try:
        with db.session.begin_nested():
            db.session.add(item)
            db.session.flush()
    except IntegrityError:
        raise BidError(_l("This award has already been reviewed.")) from None
    record("review.create", item, rating=rating, provider_org_id=bid.provider_org_id)
    notify_org(bid.provider, "review.received", url_for("orgs.provider", org_id=bid.provider_org_id),
               firm=user.org.name, demand=demand.title, rating=rating)
    return item


# ---------------------------------------------------------------- invitations

def invite(user, demand, provider, offering=None, message: str = "") -> Invitation:
    if demand.status != "open":
        raise BidError(_l("Only open demands take invitations."))
    if provider is None or provider.kind != "provider":
        raise BidError(_l("Choose a provider to invite."))
    if demand.visibility == "pool" and not is_admitted_member(provider.id, demand.pool_id):
        raise BidError(_l("This demand is for the pool's admitted members only; %(provider)s is not one of them.",
                          provider=provider.name))
    if db.session.scalar(sa.select(Bid.id).where(Bid.demand_id == demand.id, Bid.provider_org_id == provider.id,
                                                  Bid.status.in_(LIVE_BID_STATUSES))) is not None:
        raise BidError(_l("%(provider)s has already bid on this demand.", provider=provider.name))
    existing = db.session.scalar(sa.select(Invitation).where(
        Invitation.demand_id == demand.id, Invitation.provider_org_id == provider.id))
    if existing is not None:
        raise BidError(_l("%(provider)s has already been invited to this demand.", provider=provider.name))
    if offering is not None and offering.org_id != provider.id:
        offering = None
    invitation = Invitation(demand_id=demand.id, provider_org_id=provider.id, offering_id=offering.id if offering else None,
                            message=(message or "").strip(), invited_by_id=user.id)
    try:
        with db.session.begin_nested():
            db.session.add(invitation)
            db.session.flush()
    except IntegrityError:
        raise BidError(_l("%(provider)s has already been invited to this demand.", provider=provider.name)) from None
    record("invitation.create", invitation, demand_id=demand.id, provider_org_id=provider.id)
    notify_org(provider, "invitation.received", url_for("bids.invitations"), firm=demand.org.name, demand=demand.title)
    return invitation


def answer_invitation(invitation: Invitation, accept: bool, user) -> Invitation:
    if invitation.status != "pending":
        raise BidError(_l("This invitation has already been answered."))
    invitation.status = "accepted" if accept else "declined"
    invitation.answered_at = utc_now()
    db.session.flush()
    record("invitation." + invitation.status, invitation)
    from marketplace.auth.models import User

    inviter = [db.session.get(User, invitation.invited_by_id)] if invitation.invited_by_id else []
    kind = "invitation.accepted" if accept else "invitation.declined"
    if any(inviter):
        notify(inviter, kind, _link(invitation.demand), provider=user.org.name, demand=invitation.demand.title)
    else:
        notify_org(invitation.demand.org, kind, _link(invitation.demand), provider=user.org.name, demand=invitation.demand.title)
    return invitation
