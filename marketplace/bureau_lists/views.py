"""Chain demand lists: the bureau's lists, adding demands for firms, publishing; firms confirm or claim."""
from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from marketplace.bureau_lists import coverage, services
from marketplace.bureau_lists.forms import ChainListForm, ListedDemandForm, WithdrawForm
from marketplace.bureau_lists.services import ListError
from marketplace.demands.models import Demand, DemandList
from marketplace.demands.queries import row_options
from marketplace.errors import fail
from marketplace.extensions import db
from marketplace.orgs.models import Organisation
from marketplace.pagination import paginate
from marketplace import once
from marketplace.pools.access import can_run_pools
from marketplace.pools.views import apply_error
from marketplace.search import keyword_filter
from marketplace.taxonomy.services import NONE, term_choices

bp = Blueprint("bureau_lists", __name__, url_prefix="/chain-lists")

UNASSIGNED = _l("Not registered yet (unassigned, the firm can claim it)")


def _bureau_list_query():
    return sa.select(DemandList).join(Organisation, DemandList.publisher_org_id == Organisation.id).where(
        Organisation.kind == "bureau")


def can_manage(lst: DemandList) -> bool:
    return bool(current_user.is_authenticated and (current_user.is_admin or current_user.org_id == lst.publisher_org_id))


def list_or_404(list_id: int, manage: bool = False) -> DemandList:
    lst = db.session.get(DemandList, list_id)
    if lst is None or lst.publisher.kind != "bureau":
        abort(404)
    if can_manage(lst):
        return lst
    if lst.status != "published":
        abort(404)
    if manage:
        abort(403)
    return lst


def _require_bureau() -> None:
    if not can_run_pools(current_user):
        abort(403)


@bp.route("/")
@login_required
def index():
    _require_bureau()
    query = _bureau_list_query()
    if not current_user.is_admin:
        query = query.where(DemandList.publisher_org_id == current_user.org_id)
    if request.args.get("status") in ("draft", "published"):
        query = query.where(DemandList.status == request.args["status"])
    keyword = keyword_filter(request.args.get("q"), DemandList.title, DemandList.description)
    if keyword is not None:
        query = query.where(keyword)
    page = paginate(query.order_by(DemandList.created_at.desc(), DemandList.id.desc()))
    stats = {lst.id: _list_stats(lst) for lst in page.items}
    return render_template("bureau_lists/index.html", page=page, stats=stats)


def _list_stats(lst: DemandList) -> dict[str, int]:
    demands = lst.demands
    return {"demands": len(demands), "confirmed": sum(1 for d in demands if d.owner_confirmed),
            "unassigned": sum(1 for d in demands if services.is_unassigned(d))}


def _list_form(lst=None) -> ChainListForm:
    form = ChainListForm(obj=lst) if request.method == "GET" and lst is not None else ChainListForm()
    if request.method == "GET" and lst is None:
        form.city_id.data = current_user.org.city_id if current_user.org else None
    form.chain_id.choices = term_choices("chain", blank=NONE)
    form.city_id.choices = term_choices("city", blank=NONE)
    return form


@bp.route("/new", methods=["GET", "POST"])
@login_required
def new():
    _require_bureau()
    if current_user.org is None or current_user.org.kind != "bureau":
        abort(403)
    form = _list_form()
    if form.validate_on_submit():
        earlier = once.claim(form.nonce.data)
        if earlier is not None:
            flash(_("This form was already sent; the list was created once."), "info")
            return redirect(earlier.url or url_for("bureau_lists.index"))
        lst = services.create_list(current_user.org, current_user, form.data)
        url = url_for("bureau_lists.detail", list_id=lst.id)
        once.done(form.nonce.data, url)
        db.session.commit()
        flash(_("The list was created. Add the firms' demands, then publish it."), "success")
        return redirect(url)
    return render_template("bureau_lists/list_form.html", form=form, lst=None), 400 if form.errors else 200


@bp.route("/<int:list_id>/edit", methods=["GET", "POST"])
@login_required
def edit(list_id: int):
    lst = list_or_404(list_id, manage=True)
    form = _list_form(lst)
    if form.validate_on_submit():
        services.update_list(lst, current_user, form.data)
        db.session.commit()
        flash(_("The list was saved."), "success")
        return redirect(url_for("bureau_lists.detail", list_id=lst.id))
    return render_template("bureau_lists/list_form.html", form=form, lst=lst), 400 if form.errors else 200


@bp.route("/<int:list_id>")
def detail(list_id: int):
    return _render_detail(list_or_404(list_id))


def _render_detail(lst: DemandList, problem=None, status=200):
    manager = can_manage(lst)
    query = sa.select(Demand).where(Demand.list_id == lst.id).order_by(Demand.id).options(*row_options())
    if not manager:
        query = query.where(Demand.status != "cancelled")
    page = paginate(query)  # a province's list runs to hundreds of demands: coverage is computed per page
    demands = page.items
    return render_template(
        "bureau_lists/detail.html", lst=lst, demands=demands, page=page, manager=manager,
        cover=coverage.coverage_for(demands, current_user, lst.city_id) if manager else {},
        unassigned=services.is_unassigned, my_org_id=current_user.org_id if current_user.is_authenticated else None,
        is_firm=bool(current_user.is_authenticated and current_user.org and current_user.org.kind == "manufacturer"),
        threshold=coverage.threshold(), problem=problem, status=status,
    ), status


@bp.route("/<int:list_id>/publish", methods=["POST"])
@login_required
def publish(list_id: int):
    lst = list_or_404(list_id, manage=True)
    try:
        count = services.publish_list(lst, current_user)
    except ListError as error:
        db.session.rollback()
        return _render_detail(lst, str(error.message), error.status)
    db.session.commit()
    flash(_("The list was published; %(n)d demands are open and their firms were asked to confirm.", n=count), "success")
    return redirect(url_for("bureau_lists.detail", list_id=list_id))


# ----------------------------------------------------------------------------- demands in a list

def _demand_form(lst: DemandList, demand: Demand | None = None, fresh: bool = False) -> ListedDemandForm:
    """The form for a listed demand: posted data, or (on GET, or when `fresh`) the demand's current values."""
    fresh = fresh or request.method == "GET"
    form = ListedDemandForm(formdata=None, obj=demand) if fresh and demand is not None else ListedDemandForm()
    if fresh:
        if demand is not None:
            form.firm_id.data = 0 if services.is_unassigned(demand) else demand.org_id
            form.scenario_ids.data = [t.id for t in demand.scenarios]
            form.version.data = demand.version
    firms = db.session.scalars(services.firm_choices_query(lst)).all()
    form.firm_id.choices = [(0, str(UNASSIGNED))] + [(f.id, f.name) for f in firms]
    form.industry_id.choices = term_choices("industry", blank=NONE)
    form.stage_id.choices = term_choices("stage", blank=NONE)
    form.scenario_ids.choices = term_choices("scenario")
    return form


@bp.route("/<int:list_id>/demands/new", methods=["GET", "POST"])
@login_required
def add_demand(list_id: int):
    lst = list_or_404(list_id, manage=True)
    form = _demand_form(lst)
    problem = None
    if form.validate_on_submit():
        earlier = once.claim(form.nonce.data)
        if earlier is not None:
            flash(_("This form was already sent; the demand was added once."), "info")
            return redirect(earlier.url or url_for("bureau_lists.detail", list_id=lst.id))
        try:
            services.add_demand(lst, current_user, form.data)
        except ListError as error:
            db.session.rollback()  # frees the token: the corrected form may be sent again
            problem = apply_error(form, error)
        else:
            once.done(form.nonce.data, url_for("bureau_lists.detail", list_id=lst.id))
            db.session.commit()
            flash(_("The demand was added to the list."), "success")
            if request.form.get("another"):
                return redirect(url_for("bureau_lists.add_demand", list_id=lst.id))
            return redirect(url_for("bureau_lists.detail", list_id=lst.id))
    status = 400 if (form.errors or problem) else 200
    return render_template("bureau_lists/demand_form.html", form=form, lst=lst, demand=None, problem=problem,
                           status=status), status


def _listed_demand_or_404(list_id: int, demand_id: int) -> tuple[DemandList, Demand]:
    lst = list_or_404(list_id, manage=True)
    demand = db.session.get(Demand, demand_id)
    if demand is None or demand.list_id != lst.id:
        abort(404)
    return lst, demand


def _render_demand_form(lst, demand, form, problem=None, status=200, withdraw_form=None):
    if demand is not None and withdraw_form is None:
        withdraw_form = WithdrawForm(formdata=None)
        withdraw_form.version.data = demand.version
    return render_template("bureau_lists/demand_form.html", form=form, lst=lst, demand=demand, problem=problem,
                           status=status, withdraw_form=withdraw_form), status


@bp.route("/<int:list_id>/demands/<int:demand_id>/withdraw", methods=["POST"])
@login_required
def withdraw_demand(list_id: int, demand_id: int):
    lst, demand = _listed_demand_or_404(list_id, demand_id)
    withdraw_form = WithdrawForm()
    problem, status = None, 400
    if withdraw_form.validate_on_submit():
        try:
            services.withdraw_demand(demand, current_user, withdraw_form.version.data, withdraw_form.reason.data)
        except ListError as error:
            db.session.rollback()
            problem, status = apply_error(withdraw_form, error), error.status
        else:
            db.session.commit()
            flash(_("The demand was withdrawn from the list."), "success")
            return redirect(url_for("bureau_lists.detail", list_id=lst.id))
    return _render_demand_form(lst, demand, _demand_form(lst, demand, fresh=True), problem, status, withdraw_form)


@bp.route("/<int:list_id>/demands/<int:demand_id>/edit", methods=["GET", "POST"])
@login_required
def edit_demand(list_id: int, demand_id: int):
    lst, demand = _listed_demand_or_404(list_id, demand_id)
    form = _demand_form(lst, demand)
    problem, status = None, 200
    if form.validate_on_submit():
        try:
            services.update_demand(demand, current_user, form.data)
        except ListError as error:
            db.session.rollback()
            problem, status = apply_error(form, error), error.status
        else:
            db.session.commit()
            flash(_("The demand was saved."), "success")
            return redirect(url_for("bureau_lists.detail", list_id=lst.id))
    elif form.errors:
        status = 400
    return _render_demand_form(lst, demand, form, problem, status)


# ----------------------------------------------------------------------------- the firm's side

@bp.route("/for-my-firm")
@login_required
def mine():
    return _render_mine()


def _render_mine(problem=None, status=200):
    org = current_user.org
    if org is None or org.kind != "manufacturer":
        abort(403)
    listed = sa.select(Demand).join(DemandList, Demand.list_id == DemandList.id).where(DemandList.status == "published")
    to_confirm = db.session.scalars(listed.where(Demand.org_id == org.id, Demand.owner_confirmed.is_(False))
                                    .order_by(Demand.id)).all()
    claimable_query = listed.where(Demand.owner_confirmed.is_(False), Demand.org_id == DemandList.publisher_org_id,
                                   Demand.status == "open")
    if org.city_id:
        claimable_query = claimable_query.where(sa.or_(DemandList.city_id.is_(None), DemandList.city_id == org.city_id))
    claimable = db.session.scalars(claimable_query.order_by(Demand.id).limit(200)).all()
    return render_template("bureau_lists/mine.html", to_confirm=to_confirm, claimable=claimable, problem=problem,
                           status=status), status


FIRM_ACTIONS = {
    "confirm": (services.confirm, _l("Thank you: the demand is confirmed as yours.")),
    "disown": (services.disown, _l("Noted: the demand is no longer listed for your firm.")),
    "claim": (services.claim, _l("The demand is now yours. You can edit it under My demands.")),
}


@bp.route("/demands/<int:demand_id>/<action>", methods=["POST"])
@login_required
def firm_action(demand_id: int, action: str):
    if action not in FIRM_ACTIONS:
        abort(404)
    demand = db.session.get(Demand, demand_id)
    if demand is None or demand.demand_list is None or demand.demand_list.publisher.kind != "bureau":
        abort(404)
    change, message = FIRM_ACTIONS[action]
    try:
        change(demand, current_user, request.form.get("version"))
    except ListError as error:
        db.session.rollback()
        if error.status in (403, 404):
            fail(error.status, str(error.message))
        return _render_mine(str(error.message), error.status)
    db.session.commit()
    flash(str(message), "success")
    return redirect(url_for("bureau_lists.mine"))
