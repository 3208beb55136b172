"""Demands: public browse and detail pages; the firm's dashboard, create, edit, publish, cancel."""
from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from marketplace.bids import context as bid_context
from marketplace import once, search
from marketplace.demands import access, services, suggestions
from marketplace.demands.forms import DemandForm, ReasonForm, attach_error, is_stale
from marketplace.demands.models import Demand, DemandList
from marketplace.demands.queries import (MINE_STATUSES, SORTS, bid_counts, browse_row_options, browse_terms,
                                         filtered_demands, own_demands, status_counts)
from marketplace.extensions import db
from marketplace.matches import services as matches
from marketplace.pagination import paginate
from marketplace.pools.models import Pool
from marketplace.taxonomy.services import NONE, code_choices, term_choices

bp = Blueprint("demands", __name__, url_prefix="/demands")


def get_visible_demand(demand_id: int) -> Demand:
    """The demand, or 404 for one that does not exist or that the user may not see."""
    demand = db.session.get(Demand, demand_id)
    if demand is None or not access.can_view(current_user, demand):
        abort(404)
    return demand


def get_own_demand(demand_id: int) -> Demand:
    """The demand for a change: 404 if not visible, 403 if visible but not the user's firm's."""
    demand = get_visible_demand(demand_id)
    if not access.can_edit(current_user, demand):
        abort(403)
    return demand


def require_manufacturer() -> None:
    if current_user.org is None or current_user.org.kind != "manufacturer":
        abort(403)


@bp.route("/")
def browse():
    base = sa.select(Demand).where(access.visible_filter(current_user))
    if not request.args.get("status"):
        base = base.where(Demand.status == "open")
    found = search.parse(request.args.get("q"))
    page = paginate(filtered_demands(base, request.args), shared_total=True, eager=browse_row_options(),
                    shared_ranking=found is not None)
    filters = {kind: code_choices(kind) for kind in ("city", "industry", "chain", "scenario")}
    return render_template("demands/browse.html", page=page, terms=browse_terms(page.items), filters=filters, sorts=list(SORTS),
                           search=found)


@bp.route("/<int:demand_id>")
def detail(demand_id: int):
    demand = get_visible_demand(demand_id)
    ranked = matches.offerings_for_demand(demand, current_user, limit=10) if access.can_see_ranking(current_user, demand) else None
    matching = ranked is not None and bool(matches.pending("demand", [demand]))
    return render_template(
        "demands/detail.html", demand=demand, can_edit=access.can_edit(current_user, demand), ranked=ranked,
        matching_pending=matching, inferred={term_id for _, term_id in services.inferred_scenario_ids([demand.id])},
        cancel_form=ReasonForm(), **bid_context.for_demand_page(demand),
    )


@bp.route("/mine")
@login_required
def mine():
    require_manufacturer()
    page = paginate(own_demands(current_user.org_id, request.args))
    ids = [d.id for d in page.items]
    return render_template(
        "demands/mine.html", page=page, statuses=MINE_STATUSES, counts=status_counts(current_user.org_id),
        bids=bid_counts(ids), match_counts=matches.match_counts([d.id for d in page.items if d.status == "open"]),
        matching_pending=matches.pending("demand", page.items),
    )


def _form_choices(form: DemandForm) -> DemandForm:
    for name, kind in (("industry_id", "industry"), ("chain_id", "chain"), ("stage_id", "stage"), ("city_id", "city")):
        getattr(form, name).choices = term_choices(kind, blank=NONE)
    form.scenario_ids.choices = term_choices("scenario")
    form.voucher_ids.choices = term_choices("voucher")
    pools = db.session.scalars(sa.select(Pool).where(Pool.status.in_(("open", "closed"))).order_by(Pool.name)).all()
    form.pool_id.choices = [(0, NONE)] + [(p.id, p.name) for p in pools]
    lists = db.session.scalars(
        sa.select(DemandList).where(DemandList.publisher_org_id == current_user.org_id).order_by(DemandList.id.desc())
    ).all()
    form.list_id.choices = [(0, NONE)] + [(dl.id, dl.title) for dl in lists]
    return form


def _form_data(form: DemandForm) -> dict:
    return {name: getattr(form, name).data for name in services.FIELDS + ("scenario_ids", "voucher_ids")}


@bp.route("/new", methods=["GET", "POST"])
@login_required
def new():
    require_manufacturer()
    form = _form_choices(DemandForm())
    if request.method == "GET":
        form.city_id.data = current_user.org.city_id or 0
        form.industry_id.data = current_user.org.industry_id or 0
        form.list_id.data = request.args.get("list_id", 0, type=int)
    elif form.validate_on_submit():
        if suggested := suggestions.offer_suggestions(form):
            return render_template("demands/form.html", form=form, demand=None, suggested=suggested)
        earlier = once.claim(form.nonce.data)
        if earlier is not None:
            flash(_("This demand was already saved."), "info")
            return redirect(earlier.url or url_for("demands.mine"))
        try:
            demand = services.create_demand(current_user, _form_data(form), publish=bool(form.publish.data))
        except services.DemandError as error:
            db.session.rollback()  # frees the token: the corrected form may be sent again
            attach_error(form, error)
        else:
            url = url_for("demands.detail", demand_id=demand.id)
            once.done(form.nonce.data, url)
            published = demand.status == "open"
            db.session.commit()
            flash(_("Demand published.") if published else _("Draft saved."), "success")
            return redirect(url)
    return render_template("demands/form.html", form=form, demand=None)


@bp.route("/suggest-terms", methods=["POST"])
@login_required
def suggest_terms():
    """Terms suggested for the posted title and description, as JSON (for the form's chips)."""
    require_manufacturer()
    return suggestions.as_json(request.form.get("title", ""), request.form.get("description", ""))


@bp.route("/<int:demand_id>/edit", methods=["GET", "POST"])
@login_required
def edit(demand_id: int):
    demand = get_own_demand(demand_id)
    if demand.status not in services.EDITABLE_STATUSES:
        flash(_("Only draft or open demands can be edited."), "warning")
        return redirect(url_for("demands.detail", demand_id=demand.id))
    form = _form_choices(DemandForm(obj=demand))
    status = 200
    if request.method == "GET":
        form.version.data = demand.version
        form.scenario_ids.data = [t.id for t in demand.scenarios]
        form.voucher_ids.data = [t.id for t in demand.vouchers]
        form.pool_id.data = demand.pool_id or 0
        form.list_id.data = demand.list_id or 0
    elif form.validate_on_submit():
        # a demand that had scenarios and is saved without them lost them on purpose: no suggestions then
        if not demand.scenarios and (suggested := suggestions.offer_suggestions(form)):
            return render_template("demands/form.html", form=form, demand=demand, suggested=suggested)
        if is_stale(form, demand, _("Someone else saved this demand while you were editing. Your text is kept below; "
                                    "check the current version in another tab, then save again to replace it.")):
            status = 409
        else:
            try:
                services.update_demand(demand, _form_data(form))
                if form.publish.data and demand.status == "draft":
                    services.publish_demand(demand)
            except services.DemandError as error:
                attach_error(form, error)
            else:
                db.session.commit()
                flash(_("Demand saved."), "success")
                return redirect(url_for("demands.detail", demand_id=demand.id))
    return render_template("demands/form.html", form=form, demand=demand), status


@bp.route("/<int:demand_id>/publish", methods=["POST"])
@login_required
def publish(demand_id: int):
    demand = get_own_demand(demand_id)
    try:
        services.publish_demand(demand)
    except services.DemandError as error:
        flash(error.message, "danger")
    else:
        db.session.commit()
        flash(_("Demand published."), "success")
    return redirect(url_for("demands.detail", demand_id=demand.id))


@bp.route("/<int:demand_id>/cancel", methods=["GET", "POST"])
@login_required
def cancel(demand_id: int):
    demand = get_own_demand(demand_id)
    if request.method == "GET" and demand.status not in services.EDITABLE_STATUSES:
        flash(_("Only draft or open demands can be cancelled."), "warning")
        return redirect(url_for("demands.detail", demand_id=demand.id))
    form = ReasonForm()
    if form.validate_on_submit():
        try:
            services.cancel_demand(demand, form.reason.data)
        except services.DemandError as error:
            attach_error(form, error)
        else:
            db.session.commit()
            flash(_("Demand cancelled."), "success")
            return redirect(url_for("demands.detail", demand_id=demand.id))
    return render_template("demands/cancel.html", form=form, demand=demand), 400 if form.errors else 200


from marketplace.demands import list_views  # noqa: E402,F401  (routes on the same blueprint)
