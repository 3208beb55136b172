"""The provider side of pools: open calls, apply, track, withdraw, appeal, attachments."""
from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from sqlalchemy.exc import IntegrityError

from marketplace.applications import files, services
from marketplace.applications.forms import AppealForm, ApplicationForm, VersionForm
from marketplace.extensions import db
from marketplace.offerings.views import provider_org_or_403
from marketplace.pagination import paginate
from marketplace.pools import review as pool_review
from marketplace.pools.access import can_view_public
from marketplace.pools.errors import PoolError
from marketplace.pools.models import APPLICATION_STATUSES, LIVE_APPLICATION_STATUSES, Attachment, Pool, PoolApplication
from marketplace.pools.queries import application_history, public_pools
from marketplace.pools.services import accepting_applications, places_left
from marketplace.taxonomy.services import code_choices

bp = Blueprint("applications", __name__, url_prefix="/applications")

# What the applicant sees of the audit trail of its application.
HISTORY_LABELS = {
    "application.submitted": _l("Submitted"),
    "application.withdrawn": _l("Withdrawn"),
    "application.scored": _l("Under review"),
    "application.admitted": _l("Admitted"),
    "application.rejected": _l("Rejected"),
    "application.appealed": _l("Appeal sent"),
    "application.appeal_reopened": _l("Appeal accepted: the review is reopened"),
    "application.appeal_upheld": _l("Appeal answered: the decision stands"),
    "application.suspended": _l("Membership suspended"),
    "application.removed": _l("Removed from the pool"),
    "application.reinstated": _l("Membership reinstated"),
    "application.rechecked": _l("Periodic re-check"),
    "application.reopened_by_objection": _l("An objection was sustained: taken out of the batch, under review again"),
    "application.confirmed": _l("Formally admitted (正式入库)"),
}


def timeline(application: PoolApplication) -> list[tuple]:
    """(when, label) oldest first, without repeats of the same step in a row."""
    steps: list[tuple] = []
    for event in reversed(application_history(application)):
        label = HISTORY_LABELS.get(event.action)
        if label is not None and (not steps or steps[-1][1] != label):
            steps.append((event.created_at, label))
    return steps


def own_application_or_404(application_id: int) -> PoolApplication:
    """Applications are private to the applicant here: everyone else gets 404."""
    application = db.session.get(PoolApplication, application_id)
    if application is None or not current_user.is_authenticated or application.provider_org_id != current_user.org_id:
        abort(404)
    return application


def open_calls(args) -> sa.Select:
    """Pools whose call is open today, with the public list's filters (city, scenario, keywords)."""
    today = date.today()
    return public_pools({"sort": "closing", **args.to_dict(), "status": "open"}).where(
        sa.or_(Pool.opens_on.is_(None), Pool.opens_on <= today), sa.or_(Pool.closes_on.is_(None), Pool.closes_on >= today))


@bp.route("/calls")
@login_required
def calls():
    org = provider_org_or_403()
    page = paginate(open_calls(request.args))
    mine = {a.pool_id: a for a in db.session.scalars(sa.select(PoolApplication).where(
        PoolApplication.provider_org_id == org.id, PoolApplication.pool_id.in_([p.id for p in page.items]),
        PoolApplication.status.in_(LIVE_APPLICATION_STATUSES)))}
    filters = {kind: code_choices(kind) for kind in ("city", "scenario")}
    return render_template("applications/calls.html", page=page, mine=mine, filters=filters,
                           places={p.id: places_left(p) for p in page.items})


@bp.route("/")
@login_required
def mine():
    org = provider_org_or_403()
    query = sa.select(PoolApplication).where(PoolApplication.provider_org_id == org.id)
    if request.args.get("status") in APPLICATION_STATUSES:
        query = query.where(PoolApplication.status == request.args["status"])
    page = paginate(query.order_by(PoolApplication.submitted_at.desc(), PoolApplication.id.desc()))
    return render_template("applications/mine.html", page=page, statuses=APPLICATION_STATUSES)


@bp.route("/pools/<int:pool_id>/apply", methods=["GET", "POST"])
@login_required
def apply(pool_id: int):
    org = provider_org_or_403()
    pool = db.session.get(Pool, pool_id)
    if pool is None or not can_view_public(pool):
        abort(404)
    existing = services.live_application(pool, org)
    if existing is not None:
        flash(_("Your organisation has already applied to this pool."), "info")
        return redirect(url_for(".detail", application_id=existing.id))
    offerings = services.published_offerings(org)
    form = ApplicationForm()
    form.offering_ids.choices = [(o.id, o.title) for o in offerings]
    if not accepting_applications(pool):
        flash(_("This pool is not accepting applications at the moment."), "warning")
        return render_template("applications/apply.html", pool=pool, form=form, offerings=offerings, closed=True), 409
    if form.validate_on_submit():
        chosen = [o for o in offerings if o.id in set(form.offering_ids.data)]
        try:
            application = _submit(pool, org, chosen, form)
        except services.ApplicationError as error:
            flash(str(error.message), "danger")
            return render_template("applications/apply.html", pool=pool, form=form, offerings=offerings), error.status
        except IntegrityError:  # the same form sent twice at once: the first one counts
            db.session.rollback()
            existing = services.live_application(pool, org) or abort(409)
            return redirect(url_for(".detail", application_id=existing.id))
        flash(_("Application submitted. The bureau will review it; you will be notified of the decision."), "success")
        return redirect(url_for(".detail", application_id=application.id))
    return render_template("applications/apply.html", pool=pool, form=form, offerings=offerings)


def _submit(pool: Pool, org, offerings, form) -> PoolApplication:
    """Apply and commit (the files are stored in the same transaction, so a refused save keeps none)."""
    application = services.apply(pool, org, current_user, offerings, form.statement.data,
                                 getattr(form.attachments, "uploads", []))
    db.session.commit()
    return application


def _render_detail(application: PoolApplication, appeal_form=None, status: int = 200):
    withdraw_form = VersionForm(formdata=None, data={"version": application.version})
    return render_template(
        "applications/detail.html", application=application, withdraw_form=withdraw_form,
        appeal_form=appeal_form or AppealForm(formdata=None), history=timeline(application),
        can_withdraw=application.status in services.WITHDRAWABLE,
        can_appeal=application.status == "rejected" and application.appealed_at is None,
    ), status


@bp.route("/<int:application_id>")
@login_required
def detail(application_id: int):
    return _render_detail(own_application_or_404(application_id))


@bp.route("/<int:application_id>/withdraw", methods=["POST"])
@login_required
def withdraw(application_id: int):
    application = own_application_or_404(application_id)
    form = VersionForm()
    try:
        services.withdraw(application, current_user, form.version.data)
    except services.ApplicationError as error:
        flash(str(error.message), "danger")
        return _render_detail(application, status=error.status)
    db.session.commit()
    flash(_("Application withdrawn. You may apply again while the call is open."), "success")
    return redirect(url_for(".detail", application_id=application.id))


@bp.route("/<int:application_id>/appeal", methods=["POST"])
@login_required
def appeal(application_id: int):
    application = own_application_or_404(application_id)
    form = AppealForm()
    if form.validate_on_submit():
        try:
            pool_review.appeal(application, current_user, form.text.data)
        except PoolError as error:
            if error.field == "text":
                form.text.errors.append(error.message)
            else:
                flash(str(error.message), "danger")
            return _render_detail(application, form, error.status)
        db.session.commit()
        flash(_("Appeal sent. The bureau will answer it."), "success")
        return redirect(url_for(".detail", application_id=application.id))
    return _render_detail(application, form, 400)


@bp.route("/attachments/<int:attachment_id>")
@login_required
def attachment(attachment_id: int):
    found = db.session.get(Attachment, attachment_id)
    if found is None or not services.can_download(current_user, found):
        abort(404)
    return files.send_attachment(found)
