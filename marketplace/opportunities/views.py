"""Opportunities: open demands ranked for the provider's offerings, with filters and bookmarks."""
from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from marketplace.audit.services import record
from marketplace.bids.models import LIVE_BID_STATUSES, Bid
from marketplace.demands import access
from marketplace.demands.models import Bookmark, Demand
from marketplace.demands.queries import row_options
from marketplace.extensions import db
from marketplace.matches import services as matches
from marketplace.offerings.models import Offering
from marketplace.offerings.views import provider_org_or_403
from marketplace.opportunities import queries
from marketplace.pagination import paginate, paginate_parts
from marketplace.taxonomy.services import code_choices
from marketplace.urls import safe_next

bp = Blueprint("opportunities", __name__, url_prefix="/opportunities")


@bp.route("/")
@login_required
def index():
    org = provider_org_or_403()
    query = queries.opportunities(current_user, org.id, request.args)
    matched_only = matches.enabled() and request.args.get("matched") == "1"
    if matched_only:
        query = query.where(Demand.id.in_(matches.matched_for_provider(org.id)))
    sort = request.args.get("sort") if request.args.get("sort") in queries.SORTS else "match"
    # shared_total: the provider's total of open demands (100k at volume) up to BROWSE_COUNT_CACHE_SECONDS old
    if sort == "match" and matches.enabled():  # stored matches, by SQL: no ranking here
        page = paginate_parts(queries.best_match_first(query, org.id, matched_only), shared_total=True, eager=row_options())
    else:
        page = paginate(queries.ordered(query, sort), shared_total=True, eager=row_options())
    ids = [d.id for d in page.items]
    by_id = matches.provider_items(org.id, page.items)
    saved = set(db.session.scalars(queries.bookmarked_ids(org.id).where(Bookmark.demand_id.in_(ids))))
    my_bids = {bid.demand_id: bid for bid in db.session.scalars(
        sa.select(Bid).where(Bid.provider_org_id == org.id, Bid.demand_id.in_(ids), Bid.status.in_(LIVE_BID_STATUSES)))}
    has_offerings = db.session.scalar(
        sa.select(sa.func.count(Offering.id)).where(Offering.org_id == org.id, Offering.status == "published")) or 0
    filters = {kind: code_choices(kind) for kind in ("city", "industry", "chain", "scenario")}
    return render_template(
        "opportunities/index.html", page=page, ranked=by_id, saved=saved, my_bids=my_bids, filters=filters,
        budgets=queries.BUDGET_LABELS, deadlines=queries.DEADLINE_LABELS, sort=sort,
        has_offerings=has_offerings, matching=matches.enabled(),
        can_bid="bids.new" in current_app.view_functions,
    )


def _visible_demand_or_404(demand_id: int) -> Demand:
    demand = db.session.get(Demand, demand_id)
    if demand is None or not access.can_view(current_user, demand):
        abort(404)
    return demand


def _back():
    return redirect(safe_next(request.form.get("next")) or url_for(".index"))


@bp.route("/<int:demand_id>/bookmark", methods=["POST"])
@login_required
def bookmark(demand_id: int):
    org = provider_org_or_403()
    demand = _visible_demand_or_404(demand_id)
    exists = db.session.scalar(sa.select(Bookmark.id).where(Bookmark.org_id == org.id, Bookmark.demand_id == demand.id))
    if exists is None:
        db.session.add(Bookmark(org_id=org.id, demand_id=demand.id, user_id=current_user.id))
        record("demand.bookmarked", demand)
        try:
            db.session.commit()
        except sa.exc.IntegrityError:  # saved twice at once: one bookmark is enough
            db.session.rollback()
    flash(_("Saved to your bookmarks."), "success")
    return _back()


@bp.route("/<int:demand_id>/unbookmark", methods=["POST"])
@login_required
def unbookmark(demand_id: int):
    org = provider_org_or_403()
    demand = _visible_demand_or_404(demand_id)
    removed = db.session.execute(
        sa.delete(Bookmark).where(Bookmark.org_id == org.id, Bookmark.demand_id == demand.id)).rowcount
    if removed:
        record("demand.unbookmarked", demand)
        db.session.commit()
    flash(_("Removed from your bookmarks."), "info")
    return _back()
