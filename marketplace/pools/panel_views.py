"""Pools, expert panel: the bureau assigns reviewers; a reviewer's "my reviews", COI, sheet and its PDF."""
from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import joinedload
from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from marketplace.extensions import db
from marketplace.i18n import is_english
from marketplace.pagination import paginate
from marketplace.pdf import FontMissing
from marketplace.pools import access, panel, scoring, sheet_pdf
from marketplace.pools.errors import PoolError
from marketplace.pools.forms import AssignReviewersForm, CoiForm, score_form_class
from marketplace.pools.models import ApplicationScore, PoolApplication, ReviewAssignment, RubricItem
from marketplace.pools.views import apply_error, bp


def assignment_or_404(assignment_id: int, bureau_may: bool = False) -> ReviewAssignment:
    """The reviewer's own assignment. The bureau that runs the pool: 403 (or the object, for `bureau_may`);
    anyone else: 404 (a panel is private)."""
    assignment = db.session.get(ReviewAssignment, assignment_id)
    if assignment is None or not current_user.is_authenticated:
        abort(404)
    if assignment.reviewer_id == current_user.id:
        return assignment
    if access.can_manage(current_user, assignment.application.pool):
        if bureau_may:
            return assignment
        abort(403)
    abort(404)


# ----------------------------------------------------------------------------- the bureau assigns

@bp.route("/applications/<int:application_id>/reviewers", methods=["POST"])
@login_required
def assign_reviewers(application_id: int):
    from marketplace.pools.review_views import render_review

    application = access.managed_application_or_404(application_id)
    form = AssignReviewersForm()
    form.reviewer_ids.choices = [(u.id, u.name) for u in panel.eligible_reviewers(application)]
    if not form.validate_on_submit():
        return render_review(application, assign_form=form, status=400)
    try:
        added = panel.assign(application, current_user, form.reviewer_ids.data)
    except PoolError as error:
        db.session.rollback()
        return render_review(application, assign_form=form, problem=apply_error(form, error), status=error.status)
    db.session.commit()
    flash(_("%(names)s joined the panel and were notified.", names="、".join(a.reviewer.name for a in added)), "success")
    return redirect(url_for("pools.review", application_id=application.id))


@bp.route("/applications/<int:application_id>/reviewers/<int:assignment_id>/remove", methods=["POST"])
@login_required
def unassign_reviewer(application_id: int, assignment_id: int):
    from marketplace.pools.review_views import render_review

    application = access.managed_application_or_404(application_id)
    assignment = next((a for a in application.reviewers if a.id == assignment_id), None)
    if assignment is None:
        abort(404)
    name = assignment.reviewer.name
    try:
        panel.unassign(assignment, current_user)
    except PoolError as error:
        db.session.rollback()
        return render_review(application, problem=str(error.message), status=error.status)
    db.session.commit()
    flash(_("%(name)s was taken off the panel; their sheet no longer counts.", name=name), "success")
    return redirect(url_for("pools.review", application_id=application.id))


# ----------------------------------------------------------------------------- the reviewer

@bp.route("/reviews")
@login_required
def my_reviews():
    query = (sa.select(ReviewAssignment).join(PoolApplication).where(ReviewAssignment.reviewer_id == current_user.id)
             .order_by(PoolApplication.status.in_(("submitted", "under_review")).desc(), ReviewAssignment.assigned_at.desc(),
                       ReviewAssignment.id.desc())
             .options(joinedload(ReviewAssignment.application).joinedload(PoolApplication.provider),
                      joinedload(ReviewAssignment.application).joinedload(PoolApplication.pool)))
    page = paginate(query)
    app_ids = [a.application_id for a in page.items]
    scored = dict(db.session.execute(
        sa.select(ApplicationScore.application_id, sa.func.count()).where(
            ApplicationScore.application_id.in_(app_ids), ApplicationScore.scored_by_id == current_user.id)
        .group_by(ApplicationScore.application_id)).all()) if app_ids else {}
    pool_ids = {a.application.pool_id for a in page.items}
    items = dict(db.session.execute(
        sa.select(RubricItem.pool_id, sa.func.count()).where(RubricItem.pool_id.in_(pool_ids))
        .group_by(RubricItem.pool_id)).all()) if pool_ids else {}
    return render_template("pools/my_reviews.html", page=page, scored=scored, items=items)


def _sheet_form(assignment, post: bool):
    form_class = score_form_class(assignment.application.pool.rubric_items)
    if post:
        return form_class()
    form = form_class(formdata=None)
    for score in scoring.sheet_of(assignment.application, assignment).scores.values():
        getattr(form, f"points_{score.rubric_item_id}").data = score.points
        getattr(form, f"comment_{score.rubric_item_id}").data = score.comment
    return form


def _render_sheet(assignment, coi_form=None, score_form=None, problem=None, status=200):
    from marketplace.pools.review_views import attachment_url

    application = assignment.application
    return render_template(
        "pools/review_sheet.html", assignment=assignment, application=application, pool=application.pool,
        sheet=scoring.sheet_of(application, assignment), coi_form=coi_form or CoiForm(formdata=None),
        score_form=score_form or _sheet_form(assignment, post=False), problem=problem, status=status,
        pending=application.status in ("submitted", "under_review"), attachment_url=attachment_url,
    ), status


@bp.route("/reviews/<int:assignment_id>")
@login_required
def review_sheet(assignment_id: int):
    return _render_sheet(assignment_or_404(assignment_id))


@bp.route("/reviews/<int:assignment_id>/coi", methods=["POST"])
@login_required
def declare_coi(assignment_id: int):
    assignment = assignment_or_404(assignment_id)
    form = CoiForm()
    if not form.validate_on_submit():
        return _render_sheet(assignment, coi_form=form, status=400)
    try:
        panel.declare_coi(assignment, current_user, form.coi.data == "conflict", form.coi_note.data)
    except PoolError as error:
        db.session.rollback()
        return _render_sheet(assignment, coi_form=form, problem=apply_error(form, error), status=error.status)
    db.session.commit()
    if assignment.recused:
        flash(_("You are recused from this application. The bureau has been told to assign another reviewer."), "info")
    else:
        flash(_("Declared: no conflict of interest. You can now score the application."), "success")
    return redirect(url_for("pools.review_sheet", assignment_id=assignment.id))


@bp.route("/reviews/<int:assignment_id>/scores", methods=["POST"])
@login_required
def save_sheet(assignment_id: int):
    assignment = assignment_or_404(assignment_id)
    form = _sheet_form(assignment, post=True)
    if not form.validate_on_submit():
        return _render_sheet(assignment, score_form=form, status=400)
    entries = {item.id: (getattr(form, f"points_{item.id}").data, getattr(form, f"comment_{item.id}").data)
               for item in assignment.application.pool.rubric_items}
    try:
        panel.save_sheet(assignment, current_user, entries)
    except PoolError as error:
        db.session.rollback()
        return _render_sheet(assignment, score_form=form, problem=apply_error(form, error), status=error.status)
    db.session.commit()
    sheet = scoring.sheet_of(assignment.application, assignment)
    flash(_("Your sheet was saved (total %(total)s).", total=sheet.total if sheet.total is not None else "—")
          + ("" if sheet.complete else " " + _("Some items are not scored yet.")), "success")
    return redirect(url_for("pools.review_sheet", assignment_id=assignment.id))


@bp.route("/reviews/<int:assignment_id>/sheet.pdf")
@login_required
def sheet_pdf_download(assignment_id: int):
    assignment = assignment_or_404(assignment_id, bureau_may=True)
    try:
        body = sheet_pdf.render(assignment, english=is_english())
    except FontMissing:
        from marketplace.errors import fail

        fail(503, _("The printable sheet needs the Noto CJK font on the server (Debian package fonts-noto-cjk)."))
    return Response(body, mimetype="application/pdf", headers={
        "Content-Disposition": f'attachment; filename="review-sheet-{assignment.application_id}-{assignment.id}.pdf"',
        "Cache-Control": "private, no-store"})
