"""Pools, bureau side: the list of a bureau's pools, create and edit, the call, the notice.

The review queue and members are in review_views.py, the public pages in public_views.py;
all share this blueprint.
"""
from __future__ import annotations

from datetime import date, timedelta

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from marketplace.extensions import db
from marketplace.pagination import paginate
from marketplace import once
from marketplace.pools import access, queries, services
from marketplace.pools import review as reviewing
from marketplace.pools.errors import PoolError
from marketplace.pools.forms import NoticeForm, PoolForm
from marketplace.taxonomy.services import NONE, term_choices

bp = Blueprint("pools", __name__, url_prefix="/pools")


def apply_error(form, error: PoolError) -> str | None:
    """Put a service error beside its form field; return it as a page message when it has no field."""
    field = getattr(form, error.field, None) if error.field else None
    if field is not None and field.type != "FieldList":
        field.errors = list(field.errors) + [str(error.message)]
        return None
    return str(error.message)


def _pool_form(pool=None) -> PoolForm:
    form = PoolForm(obj=pool) if request.method == "GET" and pool is not None else PoolForm()
    if request.method == "GET":
        if pool is not None:
            form.industry_ids.data = [t.id for t in pool.industries]
            form.scenario_ids.data = [t.id for t in pool.scenarios]
            form.version.data = pool.version
            for row, item in zip(form.rubric, pool.rubric_items):
                row.form.name.data, row.form.max_points.data = item.name, item.max_points
        else:
            form.city_id.data = current_user.org.city_id if current_user.org else None
    form.city_id.choices = term_choices("city", blank=NONE)
    form.industry_ids.choices = term_choices("industry")
    form.scenario_ids.choices = term_choices("scenario")
    return form


@bp.route("/manage")
@login_required
def manage():
    access.require_pool_officer()
    page = paginate(queries.managed_pools(current_user, request.args))
    counts = {pool.id: queries.status_counts(pool) for pool in page.items}
    return render_template("pools/manage.html", page=page, counts=counts)


@bp.route("/new", methods=["GET", "POST"])
@login_required
def new():
    access.require_pool_officer()
    if current_user.org is None or current_user.org.kind != "bureau":
        abort(403)  # an admin without a bureau cannot own a pool
    form = _pool_form()
    problem = None
    if form.validate_on_submit():
        earlier = once.claim(form.nonce.data)
        if earlier is not None:
            flash(_("This form was already sent; the pool was created once."), "info")
            return redirect(earlier.url or url_for("pools.manage"))
        try:
            pool = services.create_pool(current_user.org, current_user, form.data, form.rubric_rows())
        except PoolError as error:
            db.session.rollback()  # frees the token: the corrected form may be sent again
            problem = apply_error(form, error)
        else:
            url = url_for("pools.overview", pool_id=pool.id)
            once.done(form.nonce.data, url)
            db.session.commit()
            flash(_("The pool was created as a draft. Open the call when it is ready."), "success")
            return redirect(url)
    status = 400 if (form.errors or problem) else 200
    return render_template("pools/form.html", form=form, pool=None, problem=problem, status=status), status


@bp.route("/<int:pool_id>/edit", methods=["GET", "POST"])
@login_required
def edit(pool_id: int):
    pool = access.managed_pool_or_404(pool_id)
    form = _pool_form(pool)
    problem, status = None, 200
    if form.validate_on_submit():
        try:
            services.update_pool(pool, current_user, form.data, form.rubric_rows())
        except PoolError as error:
            db.session.rollback()
            problem, status = apply_error(form, error), error.status
        else:
            db.session.commit()
            flash(_("The pool was saved."), "success")
            return redirect(url_for("pools.overview", pool_id=pool.id))
    elif form.errors:
        status = 400
    return render_template("pools/form.html", form=form, pool=pool, problem=problem, status=status), status


@bp.route("/<int:pool_id>/manage")
@login_required
def overview(pool_id: int):
    return _render_overview(access.managed_pool_or_404(pool_id))


def _render_overview(pool, problem=None, status=200):
    return render_template("pools/overview.html", pool=pool, counts=queries.status_counts(pool),
                           members=services.member_count(pool), left=services.places_left(pool),
                           window_open=services.window_open(pool), notice=services.notice_state(pool),
                           has_scores=services.has_scores(pool), problem=problem, status=status,
                           recheck_due=sum(1 for m in queries.members(pool) if reviewing.due_for_recheck(m))), status


CALL_ACTIONS = {
    "open": (services.open_call, _l("The call is open: providers can apply.")),
    "close": (services.close_call, _l("The call is closed: no new applications.")),
    "archive": (services.archive_pool, _l("The pool was archived.")),
}


@bp.route("/<int:pool_id>/call/<action>", methods=["POST"])
@login_required
def call(pool_id: int, action: str):
    pool = access.managed_pool_or_404(pool_id)
    if action not in CALL_ACTIONS:
        abort(404)
    change, message = CALL_ACTIONS[action]
    try:
        change(pool, current_user, request.form.get("version"))
    except PoolError as error:
        db.session.rollback()
        return _render_overview(pool, str(error.message), error.status)
    db.session.commit()
    flash(str(message), "success")
    return redirect(url_for("pools.overview", pool_id=pool_id))


@bp.route("/<int:pool_id>/notice", methods=["GET", "POST"])
@login_required
def notice(pool_id: int):
    from marketplace.pools import notices

    pool = access.managed_pool_or_404(pool_id)
    form = NoticeForm(formdata=None) if request.method == "GET" else NoticeForm()
    awaiting = notices.awaiting_notice(pool)
    if request.method == "GET":
        form.version.data = pool.version
        form.notice_text.data = services.default_notice(pool)
        form.notice_starts_on.data = date.today()
        form.notice_ends_on.data = date.today() + timedelta(days=7)
        form.batch.data = next((a.batch for a in awaiting if a.batch), "")
    problem, status = None, 200
    if form.validate_on_submit():
        try:
            notices.publish(pool, current_user, form.data)
        except PoolError as error:
            db.session.rollback()
            problem, status = apply_error(form, error), error.status
        else:
            db.session.commit()
            flash(_("The public notice was published. The listed providers are proposed members (拟入库) until it ends."), "success")
            return redirect(url_for("pools.public_detail", pool_id=pool.id))
    elif form.errors:
        status = 400
    return render_template("pools/notice.html", pool=pool, form=form, problem=problem, status=status,
                           members=awaiting, earlier=queries.notices(pool), notice_state=notices.state), status


from marketplace.pools import notice_views, panel_views, public_views, review_views  # noqa: E402,F401  (routes on this blueprint)
