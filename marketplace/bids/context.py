"""What the demand page shows about bids, by who is looking.

The owning firm sees every bid side by side, its invitations and, after delivery, the review;
a provider sees its own bid (or a button to bid); the city's bureau sees only counts.
"""
from __future__ import annotations

import sqlalchemy as sa
from flask import request
from flask_login import current_user

from marketplace.bids import queries, services
from marketplace.bids.forms import DeclineForm, InviteForm, ReviewForm
from marketplace.bids.models import Bid
from marketplace.demands import access
from marketplace.extensions import db


def for_demand_page(demand) -> dict:
    context: dict = {"bidding_open": services.bidding_open(demand), "OTHER_AWARDED": services.OTHER_AWARDED}
    user = current_user
    if access.can_see_bids(user, demand):
        rows = queries.with_records(queries.bids_on(demand.id, request.args.get("bid_sort")))
        invitations = queries.invitations_on(demand.id)
        awarded = services.awarded_bid(demand.id)
        context.update(
            bid_rows=rows, invitations=invitations, invited_ids={i.provider_org_id for i in invitations},
            awarded=awarded, review=queries.review_of_bid(awarded.id) if awarded else None,
            decline_form=DeclineForm(), invite_form=InviteForm(), review_form=ReviewForm(),
        )
    elif user.is_authenticated and user.org is not None and user.org.kind == "provider":
        mine = db.session.scalars(sa.select(Bid).where(Bid.demand_id == demand.id, Bid.provider_org_id == user.org_id)
                                  .order_by(Bid.id.desc())).first()
        context.update(my_bid=mine, can_bid=context["bidding_open"] and (mine is None or not mine.is_live),
                       invitation=queries.pending_invitation(demand.id, user.org_id))
    if access.can_see_ranking(user, demand) and not access.can_see_bids(user, demand):
        context["bid_counts"] = queries.status_counts(Bid.demand_id, demand.id)
    return context
