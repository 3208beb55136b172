"""/api/v1/bids: a provider submits, edits and withdraws; the firm shortlists, declines and awards."""
from __future__ import annotations

from flask import request, url_for
from flask_login import current_user

from marketplace.api import http, schemas, serializers
from marketplace.api.cursors import page
from marketplace.api.demand_routes import require_login
from marketplace.api.formdata import check, service_error, to_multidict
from marketplace.api.guard import endpoint
from marketplace.api.problems import fail
from marketplace.api.spec import responses, spec
from marketplace.api.views import v1
from marketplace.bids import queries, services
from marketplace.bids.forms import BidForm
from marketplace.bids.provider_views import _bid_form, _offering, get_own_bid, require_provider
from marketplace.bids.views import get_bid, get_bid_for_firm
from marketplace.demands import access
from marketplace.demands.views import get_visible_demand
from marketplace.extensions import db

TAG = "bids"


@v1.route("/bids")
@endpoint("bids")
@spec.validate(query=schemas.BidQuery, resp=responses(HTTP_200=schemas.BidPage), tags=[TAG])
def bid_list():
    """A provider's own bids, or the bids a firm received, with the pages' filters."""
    require_login()
    args = request.context.query
    kind = current_user.org.kind if current_user.org else None
    filters = args.model_dump(exclude_none=True)
    if kind == "provider":
        query = queries.mine(current_user.org_id, filters)
    elif kind == "manufacturer":
        query = queries.received(current_user.org_id, filters)
    else:
        fail(403)
    items, cursor = page(query, args.cursor, args.limit, f"bids:{args.sort}")
    return {"items": [serializers.bid(b) for b in items], "next_cursor": cursor}


@v1.route("/demands/<int:demand_id>/bids")
@endpoint("bids")
@spec.validate(resp=responses(HTTP_200=schemas.BidPage), tags=[TAG])
def demand_bids(demand_id: int):
    """Every bid on one of your firm's demands (403 for anyone else who can see the demand)."""
    demand = get_visible_demand(demand_id)
    if not access.can_see_bids(current_user, demand):
        fail(403)
    return {"items": [serializers.bid(b) for b in queries.bids_on(demand.id)], "next_cursor": None}


@v1.route("/bids/<int:bid_id>")
@endpoint("bids")
@spec.validate(resp=responses(HTTP_200=schemas.Bid), tags=[TAG])
def bid_detail(bid_id: int):
    """A bid, seen by its provider and by the firm that received it (404 for everyone else)."""
    require_login()
    bid = get_bid(bid_id)
    return http.with_etag(serializers.bid(bid), bid)


def _bid_form_from(body: dict, bid=None) -> BidForm:
    values = {"offering_id": bid.offering_id or 0, "price": bid.price, "duration_days": bid.duration_days,
              "approach": bid.approach} if bid is not None else {}
    values.update({k: v for k, v in body.items() if v is not None})
    form = _bid_form(BidForm(formdata=to_multidict(values), meta={"csrf": False}))
    check(form, {})
    return form


@v1.route("/demands/<int:demand_id>/bids", methods=["POST"])
@endpoint("bids")
@spec.validate(json=schemas.BidCreate, resp=responses(HTTP_201=schemas.Bid), tags=[TAG])
def bid_submit(demand_id: int):
    """Bid on an open demand (one live bid per provider). Send an Idempotency-Key to make retries safe."""
    require_provider()
    demand = get_visible_demand(demand_id)
    replayed = http.replay()
    if replayed is not None:
        return replayed
    form = _bid_form_from(request.context.json.model_dump(exclude_unset=True))
    try:
        bid = services.submit_bid(current_user, demand, _offering(form), form.price.data, form.duration_days.data,
                                  form.approach.data)
    except services.BidError as error:
        service_error(error)
    location = url_for("api.v1.bid_detail", bid_id=bid.id)
    http.remember(serializers.bid(bid), 201, location)
    db.session.commit()
    return http.with_etag(serializers.bid(bid), bid, 201, {"Location": location})


@v1.route("/bids/<int:bid_id>", methods=["PATCH"])
@endpoint("bids")
@spec.validate(json=schemas.BidUpdate, resp=responses(HTTP_200=schemas.Bid), tags=[TAG])
def bid_update(bid_id: int):
    """Revise your bid until the firm acts on it. Requires If-Match (412 if stale)."""
    require_login()
    bid = get_own_bid(bid_id)
    http.check_if_match(bid, required=True)
    form = _bid_form_from(request.context.json.model_dump(exclude_unset=True), bid)
    try:
        services.update_bid(bid, _offering(form), form.price.data, form.duration_days.data, form.approach.data)
    except services.BidError as error:
        service_error(error)
    db.session.commit()
    return http.with_etag(serializers.bid(bid), bid)


def _act(bid, action, *args):
    http.check_if_match(bid)
    try:
        action(bid, *args)
    except services.BidError as error:
        db.session.rollback()
        service_error(error)
    db.session.commit()
    return http.with_etag(serializers.bid(bid), bid)


@v1.route("/bids/<int:bid_id>/withdraw", methods=["POST"])
@endpoint("bids")
@spec.validate(json=schemas.Empty, resp=responses(HTTP_200=schemas.Bid), tags=[TAG])
def bid_withdraw(bid_id: int):
    """Withdraw your submitted or shortlisted bid."""
    require_login()
    return _act(get_own_bid(bid_id), services.withdraw_bid)


@v1.route("/bids/<int:bid_id>/shortlist", methods=["POST"])
@endpoint("bids")
@spec.validate(json=schemas.Empty, resp=responses(HTTP_200=schemas.Bid), tags=[TAG])
def bid_shortlist(bid_id: int):
    """Shortlist a bid on your firm's demand; the provider is told."""
    require_login()
    return _act(get_bid_for_firm(bid_id), services.shortlist)


@v1.route("/bids/<int:bid_id>/decline", methods=["POST"])
@endpoint("bids")
@spec.validate(json=schemas.Reason, resp=responses(HTTP_200=schemas.Bid), tags=[TAG])
def bid_decline(bid_id: int):
    """Decline a bid with a reason the provider sees."""
    require_login()
    return _act(get_bid_for_firm(bid_id), services.decline, request.context.json.reason)


@v1.route("/bids/<int:bid_id>/award", methods=["POST"])
@endpoint("bids")
@spec.validate(json=schemas.Empty, resp=responses(HTTP_200=schemas.Bid), tags=[TAG])
def bid_award(bid_id: int):
    """Award a bid: the demand stops taking bids and every other live bid is declined."""
    require_login()
    return _act(get_bid_for_firm(bid_id), services.award)
