"""Bids, firm side: bids received, shortlist, decline, award, close after delivery, review, invite.

The provider side (bid, edit, withdraw, my bids, invitations) is in provider_views.py.
"""
from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from marketplace.bids import queries, services
from marketplace.bids.forms import DeclineForm, InviteForm, ReviewForm
from marketplace.bids.models import BID_STATUSES, Bid
from marketplace.demands import access
from marketplace.demands.models import Demand
from marketplace.demands.forms import attach_error
from marketplace.demands.views import get_own_demand, require_manufacturer
from marketplace.errors import fail
from marketplace.extensions import db
from marketplace.offerings.models import Offering
from marketplace.orgs.models import Organisation
from marketplace.pagination import paginate

bp = Blueprint("bids", __name__, url_prefix="/bids")


def get_bid(bid_id: int) -> Bid:
    """A bid its provider or the demand's firm may see; 404 for everyone else."""
    bid = db.session.get(Bid, bid_id)
    if bid is None or not current_user.is_authenticated:
        abort(404)
    if bid.provider_org_id != current_user.org_id and not access.can_see_bids(current_user, bid.demand):
        abort(404)
    return bid


def get_bid_for_firm(bid_id: int) -> Bid:
    """A bid the firm decides on: 404 if unseen, 403 for the provider itself."""
    bid = get_bid(bid_id)
    if not access.can_see_bids(current_user, bid.demand):
        abort(403)
    return bid


def _back(bid: Bid):
    return redirect(url_for("demands.detail", demand_id=bid.demand_id) + "#bids")


def _check_version(bid: Bid) -> bool:
    return request.form.get("version") == str(bid.version)


STALE_BID = _l("The bid changed after you opened this page. Look at the current version before deciding.")


@bp.route("/received")
@login_required
def received():
    require_manufacturer()
    page = paginate(queries.received(current_user.org_id, request.args))
    has_demands = db.session.scalar(sa.select(Demand.id).where(Demand.org_id == current_user.org_id).limit(1)) is not None
    return render_template(
        "bids/received.html", page=page, rows=queries.with_records(page.items), statuses=BID_STATUSES,
        counts=queries.status_counts(Demand.org_id, current_user.org_id), has_demands=has_demands,
        OTHER_AWARDED=services.OTHER_AWARDED,
    )


@bp.route("/<int:bid_id>")
@login_required
def detail(bid_id: int):
    bid = get_bid(bid_id)
    is_firm = access.can_see_bids(current_user, bid.demand)
    row = queries.with_records([bid])[0]
    return render_template("bids/detail.html", bid=bid, row=row, is_firm=is_firm, OTHER_AWARDED=services.OTHER_AWARDED)


def _decide(bid_id: int, action, done_message: str):
    bid = get_bid_for_firm(bid_id)
    if not _check_version(bid):
        fail(409, str(STALE_BID))
    try:
        action(bid)
    except services.BidError as error:
        db.session.rollback()
        flash(error.message, "danger")
    else:
        db.session.commit()
        flash(done_message, "success")
    return _back(bid)


@bp.route("/<int:bid_id>/shortlist", methods=["POST"])
@login_required
def shortlist(bid_id: int):
    return _decide(bid_id, services.shortlist, _("Bid shortlisted; the provider has been told."))


@bp.route("/<int:bid_id>/award", methods=["POST"])
@login_required
def award(bid_id: int):
    return _decide(bid_id, services.award, _("Bid awarded. Bidding is closed and the other bidders have been told."))


@bp.route("/<int:bid_id>/decline", methods=["GET", "POST"])
@login_required
def decline(bid_id: int):
    bid = get_bid_for_firm(bid_id)
    if request.method == "GET" and bid.status not in services.DECLINABLE:
        flash(_("Only a submitted or shortlisted bid can be declined."), "warning")
        return _back(bid)
    form = DeclineForm()
    status = 200
    if form.validate_on_submit():
        if not _check_version(bid):
            form.reason.errors.append(STALE_BID)
            status = 409
        else:
            try:
                services.decline(bid, form.reason.data)
            except services.BidError as error:
                form.reason.errors.append(error.message)
            else:
                db.session.commit()
                flash(_("Bid declined; the provider has been told why."), "success")
                return _back(bid)
    elif form.errors:
        status = 400
    version = request.form.get("version") if request.method == "POST" and status != 409 else bid.version
    return render_template("bids/decline.html", bid=bid, form=form, version=version), status


@bp.route("/demand/<int:demand_id>/close", methods=["POST"])
@login_required
def close(demand_id: int):
    demand = get_own_demand(demand_id)
    try:
        services.close_demand(demand)
    except services.BidError as error:
        flash(error.message, "danger")
    else:
        db.session.commit()
        flash(_("The demand is closed. Please rate the provider's work."), "success")
    return redirect(url_for("demands.detail", demand_id=demand.id) + "#review")


@bp.route("/demand/<int:demand_id>/review", methods=["GET", "POST"])
@login_required
def review(demand_id: int):
    demand = get_own_demand(demand_id)
    problem = services.review_problem(demand)
    if problem and request.method == "GET":  # e.g. a bookmarked link: no form for a review that cannot be made
        flash(problem, "warning")
        return redirect(url_for("demands.detail", demand_id=demand.id))
    form = ReviewForm()
    if form.validate_on_submit():
        try:
            services.review(current_user, demand, form.rating.data, form.comment.data)
        except services.BidError as error:
            if not error.field:
                flash(error.message, "danger")
                return redirect(url_for("demands.detail", demand_id=demand.id))
            attach_error(form, error)
        else:
            db.session.commit()
            flash(_("Thank you. Your review is shown on the provider's page."), "success")
            return redirect(url_for("demands.detail", demand_id=demand.id) + "#review")
    return render_template("bids/review.html", demand=demand, form=form, bid=services.awarded_bid(demand.id)), \
        400 if form.errors else 200


@bp.route("/demand/<int:demand_id>/invite", methods=["POST"])
@login_required
def invite(demand_id: int):
    demand = get_own_demand(demand_id)
    form = InviteForm()
    if not form.validate_on_submit():
        flash(_("Choose a provider to invite."), "danger")
        return redirect(url_for("demands.detail", demand_id=demand.id))
    provider = db.session.get(Organisation, int(form.provider_org_id.data)) if form.provider_org_id.data.isdigit() else None
    offering = db.session.get(Offering, int(form.offering_id.data)) if (form.offering_id.data or "").isdigit() else None
    try:
        services.invite(current_user, demand, provider, offering, form.message.data)
    except services.BidError as error:
        flash(error.message, "warning")
    else:
        db.session.commit()
        flash(_("%(provider)s has been invited to bid.", provider=provider.name), "success")
    return redirect(url_for("demands.detail", demand_id=demand.id) + "#ranked")


from marketplace.bids import provider_views  # noqa: E402,F401  (routes on the same blueprint)
