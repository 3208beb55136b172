"""Job status pages: every job for admins (filter, paging, retry), one job for whoever started it."""
from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from marketplace.extensions import db
from marketplace.jobs import queue
from marketplace.jobs.models import JOB_STATUSES, JobRun
from marketplace.pagination import paginate
from marketplace.search import keyword_filter
from marketplace.urls import safe_next

bp = Blueprint("jobs", __name__)
RETRYABLE = ("failed", "queued")


def get_visible_run(run_id: int) -> JobRun:
    """Admins see every job; anyone else only the jobs they started (others: 404)."""
    run = db.session.get(JobRun, run_id)
    if run is None or not (current_user.is_admin or run.started_by_id == current_user.id):
        abort(404)
    return run


@bp.route("/admin/jobs/")
@login_required
def index():
    if not current_user.is_admin:
        abort(403)
    query = sa.select(JobRun)
    if request.args.get("status") in JOB_STATUSES:
        query = query.where(JobRun.status == request.args["status"])
    keyword = keyword_filter(request.args.get("q"), JobRun.name, JobRun.last_error)
    if keyword is not None:
        query = query.where(keyword)
    counts = dict(db.session.execute(sa.select(JobRun.status, sa.func.count()).group_by(JobRun.status)).all())
    page = paginate(query.order_by(JobRun.id.desc()))
    return render_template("jobs/index.html", page=page, counts=counts, statuses=JOB_STATUSES)


@bp.route("/jobs/<int:run_id>")
@login_required
def detail(run_id: int):
    return render_template("jobs/detail.html", run=get_visible_run(run_id), retryable=RETRYABLE)


@bp.route("/jobs/<int:run_id>/retry", methods=["POST"])
@login_required
def retry(run_id: int):
    run = get_visible_run(run_id)
    if run.status not in RETRYABLE:
        flash(_("This job is %(status)s; only failed or waiting jobs can be retried.", status=status_text(run.status)), "warning")
    else:
        queue.retry(run)
        db.session.commit()
        flash(_("The job is queued again."), "success")
    return redirect(safe_next(request.form.get("next")) or url_for("jobs.detail", run_id=run_id))


@bp.app_template_global("job_status_text")
def status_text(status: str) -> str:
    labels = {"queued": _("Queued"), "running": _("Running"), "done": _("Done"), "failed": _("Failed")}
    return labels.get(status, status)
