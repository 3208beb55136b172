"""`flask jobs worker | status | retry ID | reap`."""
from __future__ import annotations

import logging

import click
import sqlalchemy as sa
from flask import current_app
from flask.cli import AppGroup

from marketplace.extensions import db
from marketplace.jobs import queue
from marketplace.jobs.models import JobRun

jobs_cli = AppGroup("jobs", help="The background job queue.")


@jobs_cli.command("worker")
@click.option("--threads", default=2, show_default=True, help="Jobs run at once in this process.")
@click.option("--no-periodic", is_flag=True, help="Do not fire periodic jobs from this worker (they are de-duplicated anyway).")
@click.option("--quiet", is_flag=True, help="Log warnings only.")
def worker_command(threads, no_periodic, quiet):
    """Consume the queue (run any number, on any host that reaches the database and the queue)."""
    logging.basicConfig(level=logging.WARNING if quiet else logging.INFO,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    app = current_app._get_current_object()
    store = app.config.get("JOBS_REDIS_URL") or queue._setting(app, "JOBS_REDIS_URL") or queue._setting(app, "JOBS_SQLITE_PATH")
    click.echo(f"jobs worker {queue.WORKER_ID}: {threads} threads, queue {_redact(store)}", err=True)
    queue.run_worker(app, threads=threads, periodic=not no_periodic)


def _redact(url: str) -> str:
    return sa.engine.make_url(url).render_as_string(hide_password=True) if "://" in url else url


@jobs_cli.command("status")
@click.option("--limit", default=20, show_default=True, help="Failed runs to list.")
def status_command(limit):
    """Queued, running and failed jobs (with their errors)."""
    counts = dict(db.session.execute(sa.select(JobRun.status, sa.func.count()).group_by(JobRun.status)).all())
    click.echo("  ".join(f"{s}: {counts.get(s, 0)}" for s in ("queued", "running", "failed", "done")))
    for status in ("running", "queued", "failed"):
        runs = db.session.scalars(sa.select(JobRun).where(JobRun.status == status)
                                  .order_by(JobRun.id.desc()).limit(limit)).all()
        for run in runs:
            line = f"{run.id:>7}  {run.status:<8} {run.name:<28} attempts {run.attempts}/{run.max_attempts}"
            if run.status == "running":
                line += f"  heartbeat {run.heartbeat_at:%H:%M:%S} on {run.worker}"
            elif run.status == "queued" and run.run_after:
                line += f"  not before {run.run_after:%H:%M:%S}"
            click.echo(line)
            if run.last_error:
                click.echo(f"         {run.last_error}")


@jobs_cli.command("retry")
@click.argument("run_id", type=int)
def retry_command(run_id):
    """Put a failed job back on the queue."""
    run = db.session.get(JobRun, run_id)
    if run is None:
        raise click.ClickException(f"No job {run_id}.")
    if run.status in ("running", "done"):
        raise click.ClickException(f"Job {run_id} is {run.status}; only failed or queued jobs can be retried.")
    queue.retry(run)
    db.session.commit()
    click.echo(f"Job {run_id} ({run.name}) is queued again.")


@jobs_cli.command("reap")
def reap_command():
    """What every worker does each minute: fail or re-queue runs whose worker died."""
    counts = queue.reap()
    click.echo(", ".join(f"{k}: {v}" for k, v in counts.items()))


COMMANDS = [jobs_cli]
