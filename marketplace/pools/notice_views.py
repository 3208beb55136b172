"""Pools, 公示 and 异议: the public archive of notices, lodging an objection, the bureau's answers,
and the on-demand check that makes members 正式入库."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from marketplace import files, once
from marketplace.extensions import db
from marketplace.pagination import paginate
from marketplace.pools import access, notices, queries
from marketplace.pools.errors import PoolError
from marketplace.pools.forms import ObjectionAnswerForm, ObjectionForm
from marketplace.pools.models import Objection, ObjectionFile, Pool, PoolNotice
from marketplace.pools.views import apply_error, bp


def public_pool_or_404(pool_id: int) -> Pool:
    pool = db.session.get(Pool, pool_id)
    if pool is None or not (access.can_view_public(pool) or access.can_manage(current_user, pool)):
        abort(404)
    return pool


def _may_see(objection: Objection) -> bool:
    """The objecting organisation and the bureau that runs the pool; nobody else (objections are not public)."""
    return current_user.is_authenticated and (
        (current_user.org_id is not None and current_user.org_id == objection.org_id)
        or access.can_manage(current_user, objection.notice.pool))


def objection_or_404(objection_id: int) -> Objection:
    objection = db.session.get(Objection, objection_id)
    if objection is None or not _may_see(objection):
        abort(404)
    return objection


# ----------------------------------------------------------------------------- public archive

@bp.route("/<int:pool_id>/notices", endpoint="notices")
def notices_archive(pool_id: int):
    pool = public_pool_or_404(pool_id)
    return render_template("pools/notices.html", pool=pool, notices=queries.notices(pool), state=notices.state,
                           may_object=lambda n: notices.may_object(current_user, n),
                           can_manage=access.can_manage(current_user, pool))


@bp.route("/<int:pool_id>/notices/check", methods=["POST"])
@login_required
def check_notices(pool_id: int):
    pool = access.managed_pool_or_404(pool_id)
    confirmed = notices.finalise_due(pool)
    db.session.commit()
    flash(_("Checked the ended notice periods: %(n)d members are now formal members (正式入库).", n=confirmed), "success")
    return redirect(url_for("pools.notices", pool_id=pool.id))


# ----------------------------------------------------------------------------- lodging an objection

def _render_lodge(notice, form, problem=None, status=200):
    return render_template("pools/objection_form.html", notice=notice, pool=notice.pool, form=form, problem=problem,
                           running=notices.state(notice) == "running", status=status), status


@bp.route("/notices/<int:notice_id>/objection", methods=["GET", "POST"])
@login_required
def lodge_objection(notice_id: int):
    notice = db.session.get(PoolNotice, notice_id)
    if notice is None or not access.can_view_public(notice.pool):
        abort(404)
    if not notices.may_object(current_user, notice):
        abort(403)
    form = ObjectionForm()
    form.application_id.choices = [(e.application_id, e.application.provider.name) for e in notices.open_entries(notice)]
    if notices.state(notice) != "running":
        return _render_lodge(notice, form, _("Objections can be lodged only during the notice period (%(start)s – %(end)s).",
                                             start=notice.starts_on.isoformat(), end=notice.ends_on.isoformat()), 409)
    if not form.validate_on_submit():
        return _render_lodge(notice, form, status=400 if request.method == "POST" else 200)
    earlier = once.claim(form.nonce.data)
    if earlier is not None:
        flash(_("This objection was already sent; it was lodged once."), "info")
        return redirect(earlier.url or url_for("pools.notices", pool_id=notice.pool_id))
    try:
        objection = notices.lodge(notice, current_user, form.application_id.data, form.reasons.data,
                                  getattr(form.attachments, "uploads", []))
    except PoolError as error:
        db.session.rollback()
        return _render_lodge(notice, form, apply_error(form, error), error.status)
    url = url_for("pools.objection", objection_id=objection.id)
    once.done(form.nonce.data, url)
    db.session.commit()
    flash(_("Your objection was lodged. The bureau will answer it; you will be notified."), "success")
    return redirect(url)


# ----------------------------------------------------------------------------- the bureau's side

@bp.route("/<int:pool_id>/objections")
@login_required
def objections(pool_id: int):
    pool = access.managed_pool_or_404(pool_id)
    page = paginate(queries.objections(pool, request.args))
    return render_template("pools/objections.html", pool=pool, page=page)


def _render_objection(objection, form=None, problem=None, status=200):
    return render_template("pools/objection.html", objection=objection, notice=objection.notice, pool=objection.notice.pool,
                           form=form or ObjectionAnswerForm(formdata=None), problem=problem, status=status,
                           can_answer=access.can_manage(current_user, objection.notice.pool)), status


@bp.route("/objections/<int:objection_id>")
@login_required
def objection(objection_id: int):
    return _render_objection(objection_or_404(objection_id))


@bp.route("/objections/<int:objection_id>/answer", methods=["POST"])
@login_required
def answer_objection(objection_id: int):
    objection = objection_or_404(objection_id)
    if not access.can_manage(current_user, objection.notice.pool):
        abort(403)
    form = ObjectionAnswerForm()
    if not form.validate_on_submit():
        return _render_objection(objection, form, status=400)
    try:
        notices.answer(objection, current_user, form.outcome.data, form.reply.data)
    except PoolError as error:
        db.session.rollback()
        return _render_objection(objection, form, apply_error(form, error), error.status)
    db.session.commit()
    flash(_("The objection was answered and the objector notified."), "success")
    return redirect(url_for("pools.objection", objection_id=objection.id))


@bp.route("/objections/files/<int:file_id>")
@login_required
def objection_file(file_id: int):
    found = db.session.get(ObjectionFile, file_id)
    if found is None or not _may_see(found.objection):
        abort(404)
    return files.send(found.file, download_name=found.original_name)
