"""Bids, provider side: bid on an open demand, edit until shortlisted, withdraw, my bids, invitations."""
from __future__ import annotations

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from marketplace.bids import queries, services
from marketplace.bids.forms import BidForm
from marketplace.bids.models import BID_STATUSES, Bid, Invitation
from marketplace.bids.views import bp, get_bid
from marketplace.demands.forms import attach_error, is_stale
from marketplace.demands.views import get_visible_demand
from marketplace.extensions import db
from marketplace.offerings.models import Offering
from marketplace.pagination import paginate
from marketplace.taxonomy.services import NONE


def require_provider() -> None:
    if current_user.org is None or current_user.org.kind != "provider":
        abort(403)


def get_own_bid(bid_id: int) -> Bid:
    """The provider's own bid: 404 if unseen, 403 for the firm that received it."""
    bid = get_bid(bid_id)
    if bid.provider_org_id != current_user.org_id:
        abort(403)
    return bid


def _bid_form(form: BidForm) -> BidForm:
    offerings = db.session.scalars(sa.select(Offering).where(
        Offering.org_id == current_user.org_id, Offering.status == "published").order_by(Offering.title)).all()
    form.offering_id.choices = [(0, NONE)] + [(o.id, o.title) for o in offerings]
    return form


def _offering(form: BidForm) -> Offering | None:
    return db.session.get(Offering, form.offering_id.data) if form.offering_id.data else None


@bp.route("/new", methods=["GET", "POST"])
@login_required
def new():
    require_provider()
    demand = get_visible_demand(request.args.get("demand_id", 0, type=int))
    existing = services.live_bid(demand.id, current_user.org_id)
    if existing is not None:
        flash(_("Your company already has a live bid on this demand."), "info")
        return redirect(url_for("bids.detail", bid_id=existing.id))
    if not services.bidding_open(demand):
        flash(_("This demand is no longer open for bids."), "warning")
        return redirect(url_for("demands.detail", demand_id=demand.id))
    form = _bid_form(BidForm())
    if request.method == "GET":
        form.offering_id.data = request.args.get("offering_id", 0, type=int)
    elif form.validate_on_submit():
        try:
            bid = services.submit_bid(current_user, demand, _offering(form), form.price.data, form.duration_days.data,
                                      form.approach.data)
        except services.BidError as error:
            attach_error(form, error)
        else:
            db.session.commit()
            flash(_("Your bid has been sent to %(firm)s.", firm=demand.org.name), "success")
            return redirect(url_for("bids.detail", bid_id=bid.id))
    return render_template("bids/form.html", form=form, demand=demand, bid=None), 400 if form.errors or form.form_errors else 200


@bp.route("/<int:bid_id>/edit", methods=["GET", "POST"])
@login_required
def edit(bid_id: int):
    bid = get_own_bid(bid_id)
    if bid.status not in services.EDITABLE_BID_STATUSES:
        flash(_("This bid can no longer be changed: the firm has already acted on it."), "warning")
        return redirect(url_for("bids.detail", bid_id=bid.id))
    form = _bid_form(BidForm(obj=bid))
    status = 200
    if request.method == "GET":
        form.version.data = bid.version
        form.offering_id.data = bid.offering_id or 0
    elif form.validate_on_submit():
        if is_stale(form, bid, _("This bid was changed elsewhere after you opened it. Your text is kept below; "
                                 "check the current bid, then save again to replace it.")):
            status = 409
        else:
            try:
                services.update_bid(bid, _offering(form), form.price.data, form.duration_days.data, form.approach.data)
            except services.BidError as error:
                attach_error(form, error)
            else:
                db.session.commit()
                flash(_("Bid updated; the firm has been told."), "success")
                return redirect(url_for("bids.detail", bid_id=bid.id))
    return render_template("bids/form.html", form=form, demand=bid.demand, bid=bid), status


@bp.route("/<int:bid_id>/withdraw", methods=["POST"])
@login_required
def withdraw(bid_id: int):
    bid = get_own_bid(bid_id)
    try:
        services.withdraw_bid(bid)
    except services.BidError as error:
        flash(error.message, "danger")
    else:
        db.session.commit()
        flash(_("Bid withdrawn."), "success")
    return redirect(url_for("bids.mine"))


@bp.route("/mine")
@login_required
def mine():
    require_provider()
    page = paginate(queries.mine(current_user.org_id, request.args))
    pending = db.session.scalar(sa.select(sa.func.count(Invitation.id)).where(
        Invitation.provider_org_id == current_user.org_id, Invitation.status == "pending")) or 0
    return render_template("bids/mine.html", page=page, statuses=BID_STATUSES, pending_invitations=pending,
                           counts=queries.status_counts(Bid.provider_org_id, current_user.org_id),
                           OTHER_AWARDED=services.OTHER_AWARDED)


@bp.route("/invitations")
@login_required
def invitations():
    require_provider()
    page = paginate(queries.invitations_received(current_user.org_id, request.args.get("status")))
    live = {b.demand_id: b for b in db.session.scalars(sa.select(Bid).where(
        Bid.provider_org_id == current_user.org_id, Bid.demand_id.in_([i.demand_id for i in page.items])))
        if b.is_live}
    return render_template("bids/invitations.html", page=page, live=live)


@bp.route("/invitations/<int:invitation_id>/answer", methods=["POST"])
@login_required
def answer_invitation(invitation_id: int):
    require_provider()
    invitation = db.session.get(Invitation, invitation_id)
    if invitation is None or invitation.provider_org_id != current_user.org_id:
        abort(404)
    accept = request.form.get("answer") == "accept"
    try:
        services.answer_invitation(invitation, accept, current_user)
    except services.BidError as error:
        flash(error.message, "warning")
        return redirect(url_for("bids.invitations"))
    db.session.commit()
    if accept and services.bidding_open(invitation.demand):
        flash(_("Invitation accepted. Prepare your bid below."), "success")
        return redirect(url_for("bids.new", demand_id=invitation.demand_id, offering_id=invitation.offering_id or 0))
    flash(_("Invitation accepted.") if accept else _("Invitation declined; the firm has been told."), "success")
    return redirect(url_for("bids.invitations"))

