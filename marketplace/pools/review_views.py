"""Pools, bureau side: the application queue, reviewing one application, members."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from marketplace.audit.labels import action_label
from marketplace.extensions import db
from marketplace.pagination import paginate
from marketplace.pools import access, panel, queries, scoring, services
from marketplace.pools import review as reviewing
from marketplace.pools.errors import PoolError
from marketplace.pools.forms import (AppealAnswerForm, AssignReviewersForm, BatchAdmitForm, DecisionForm, MemberActionForm,
                                     RecheckForm, score_form_class)
from marketplace.pools.views import apply_error, bp


def attachment_url(attachment) -> str | None:
    """The provider engineer's download route, when it is there."""
    from flask import current_app

    if "applications.attachment" not in current_app.view_functions:
        return None
    return url_for("applications.attachment", attachment_id=attachment.id)


# ----------------------------------------------------------------------------- the queue

def _render_queue(pool, batch_form=None, problem=None, status=200, chosen=()):
    page = paginate(queries.application_queue(pool, request.args))
    return render_template("pools/queue.html", pool=pool, page=page, counts=queries.status_counts(pool),
                           batch_form=batch_form or BatchAdmitForm(), problem=problem, chosen={int(i) for i in chosen},
                           left=services.places_left(pool), status=status), status


@bp.route("/<int:pool_id>/applications")
@login_required
def queue(pool_id: int):
    return _render_queue(access.managed_pool_or_404(pool_id))


@bp.route("/<int:pool_id>/applications/admit", methods=["POST"])
@login_required
def batch_admit(pool_id: int):
    pool = access.managed_pool_or_404(pool_id)
    form = BatchAdmitForm()
    chosen = [int(i) for i in request.form.getlist("application_ids") if i.isdigit()]
    if not form.validate_on_submit():
        return _render_queue(pool, form, status=400, chosen=chosen)
    try:
        admitted = reviewing.batch_admit(pool, current_user, chosen, form.batch.data)
    except PoolError as error:
        db.session.rollback()
        return _render_queue(pool, form, apply_error(form, error), error.status, chosen)
    db.session.commit()
    flash(_("%(n)d applications were admitted as “%(batch)s”.", n=len(admitted), batch=form.batch.data.strip()), "success")
    return redirect(url_for("pools.queue", pool_id=pool.id, status="admitted"))


# ----------------------------------------------------------------------------- one application

def _score_form(application, formdata=True):
    form_class = score_form_class(application.pool.rubric_items)
    if formdata and request.method == "POST":
        return form_class()
    form = form_class(formdata=None)
    for score in application.scores:
        getattr(form, f"points_{score.rubric_item_id}").data = score.points
        getattr(form, f"comment_{score.rubric_item_id}").data = score.comment
    form.version.data = application.version
    return form


def render_review(application, score_form=None, decision_form=None, appeal_form=None, assign_form=None, problem=None,
                  status=200):
    if assign_form is None:
        assign_form = AssignReviewersForm(formdata=None)
        assign_form.reviewer_ids.choices = [(u.id, u.name) for u in panel.eligible_reviewers(application)]
    decision_form = decision_form or DecisionForm(formdata=None, batch=application.batch or "首批入库")
    appeal_form = appeal_form or AppealAnswerForm(formdata=None)
    score_form = score_form or _score_form(application, formdata=False)
    for form in (score_form, decision_form, appeal_form):
        # Fresh forms, and forms refused as stale (409), carry the current version; typed text stays.
        if status == 409 or not form.version.data:
            form.version.data = application.version
    return render_template(
        "pools/review.html", action_label=action_label, application=application, pool=application.pool, score_form=score_form,
        decision_form=decision_form, appeal_form=appeal_form, problem=problem, attachment_url=attachment_url,
        assign_form=assign_form, sheets=scoring.sheets(application) if application.reviewers else [],
        gaps=scoring.admission_gaps(application),
        history=queries.application_history(application), left=services.places_left(application.pool),
        in_window=reviewing.submitted_in_window(application), due=reviewing.due_for_recheck(application), status=status,
    ), status


@bp.route("/applications/<int:application_id>")
@login_required
def review(application_id: int):
    return render_review(access.managed_application_or_404(application_id))


@bp.route("/applications/<int:application_id>/scores", methods=["POST"])
@login_required
def score(application_id: int):
    application = access.managed_application_or_404(application_id)
    form = _score_form(application)
    if not form.validate_on_submit():
        return render_review(application, score_form=form, status=400)
    entries = {item.id: (getattr(form, f"points_{item.id}").data, getattr(form, f"comment_{item.id}").data)
               for item in application.pool.rubric_items}
    try:
        reviewing.save_scores(application, current_user, form.version.data, entries)
    except PoolError as error:
        db.session.rollback()
        return render_review(application, score_form=form, problem=apply_error(form, error), status=error.status)
    db.session.commit()
    flash(_("Scores saved. Total: %(total)s", total=application.total_score if application.total_score is not None else "—"), "success")
    return redirect(url_for("pools.review", application_id=application.id))


@bp.route("/applications/<int:application_id>/decision", methods=["POST"])
@login_required
def decide(application_id: int):
    application = access.managed_application_or_404(application_id)
    form = DecisionForm()
    if not form.validate_on_submit():
        return render_review(application, decision_form=form, status=400)
    try:
        if form.decision.data == "admit":
            reviewing.admit(application, current_user, form.version.data, form.batch.data)
        else:
            reviewing.reject(application, current_user, form.version.data, form.reason.data)
    except PoolError as error:
        db.session.rollback()
        return render_review(application, decision_form=form, problem=apply_error(form, error), status=error.status)
    db.session.commit()
    flash(_("Decision recorded: %(status)s. The provider has been notified.", status=_status(application)), "success")
    return redirect(url_for("pools.queue", pool_id=application.pool_id, status="pending"))


def _status(application) -> str:
    from marketplace.navigation import status_label

    return status_label(application.status)


@bp.route("/applications/<int:application_id>/appeal", methods=["POST"])
@login_required
def answer_appeal(application_id: int):
    application = access.managed_application_or_404(application_id)
    form = AppealAnswerForm()
    if not form.validate_on_submit():
        return render_review(application, appeal_form=form, status=400)
    try:
        reviewing.answer_appeal(application, current_user, form.version.data, form.outcome.data, form.reason.data)
    except PoolError as error:
        db.session.rollback()
        return render_review(application, appeal_form=form, problem=apply_error(form, error), status=error.status)
    db.session.commit()
    flash(_("The appeal was answered and the provider notified."), "success")
    return redirect(url_for("pools.review", application_id=application.id))


# ----------------------------------------------------------------------------- members

MEMBER_ACTIONS = {"admitted": ("suspend", "remove"), "suspended": ("reinstate", "remove")}


def _render_members(pool, failed_id=None, failed_form=None, problem=None, status=200):
    people = queries.members(pool, ("admitted", "suspended", "removed"))
    forms = {}
    for member in people:
        action_form = MemberActionForm(formdata=None, prefix=f"m{member.id}")
        check_form = RecheckForm(formdata=None, prefix=f"c{member.id}")
        action_form.version.data = check_form.version.data = member.version
        if member.id == failed_id and failed_form is not None:
            if isinstance(failed_form, MemberActionForm):
                action_form = failed_form
            else:
                check_form = failed_form
        action_form.action.choices = [c for c in action_form.action.choices if c[0] in MEMBER_ACTIONS.get(member.status, ())]
        forms[member.id] = (action_form, check_form)
    return render_template("pools/members.html", pool=pool, people=people, forms=forms, problem=problem,
                           failed_id=failed_id, due={m.id: reviewing.due_for_recheck(m) for m in people},
                           left=services.places_left(pool), status=status), status


@bp.route("/<int:pool_id>/members")
@login_required
def members(pool_id: int):
    return _render_members(access.managed_pool_or_404(pool_id))


def _member_of(pool_id: int, application_id: int):
    application = access.managed_application_or_404(application_id)
    if application.pool_id != pool_id:
        abort(404)
    return application


@bp.route("/<int:pool_id>/members/<int:application_id>/status", methods=["POST"])
@login_required
def member_status(pool_id: int, application_id: int):
    application = _member_of(pool_id, application_id)
    form = MemberActionForm(prefix=f"m{application.id}")
    if not form.validate_on_submit():
        return _render_members(application.pool, application.id, form, status=400)
    try:
        reviewing.member_action(application, current_user, form.version.data, form.action.data, form.reason.data)
    except PoolError as error:
        db.session.rollback()
        return _render_members(application.pool, application.id, form, apply_error(form, error), error.status)
    db.session.commit()
    flash(_("%(provider)s: %(status)s. The provider has been notified.", provider=application.provider.name,
            status=_status(application)), "success")
    return redirect(url_for("pools.members", pool_id=pool_id))


@bp.route("/<int:pool_id>/members/<int:application_id>/recheck", methods=["POST"])
@login_required
def member_recheck(pool_id: int, application_id: int):
    application = _member_of(pool_id, application_id)
    form = RecheckForm(prefix=f"c{application.id}")
    if not form.validate_on_submit():
        return _render_members(application.pool, application.id, form, status=400)
    try:
        reviewing.recheck(application, current_user, form.version.data, form.passed.data, form.note.data)
    except PoolError as error:
        db.session.rollback()
        return _render_members(application.pool, application.id, form, apply_error(form, error), error.status)
    db.session.commit()
    flash(_("Re-check recorded for %(provider)s.", provider=application.provider.name), "success")
    return redirect(url_for("pools.members", pool_id=pool_id))
