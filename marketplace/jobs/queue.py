"""The queue behind `enqueue`: Huey carries JobRun ids; the JobRun row carries the state.

- One Huey task, `marketplace.run_job(run_id)`, runs every job: it claims the row with a
  conditional UPDATE (queued → running), so a message delivered twice runs the job once, and a
  consumer beside gunicorn can never double-run a job.
- While a job runs, a heartbeat thread touches `heartbeat_at`. A worker killed mid-job (kill -9)
  stops the heartbeat; the reaper (every minute, in every consumer, idempotent) re-queues such a
  run while it has attempts left, else marks it failed. Finishing is fenced by the attempt
  number, so a run the reaper took over can no longer commit.
- Periodic jobs: every consumer's scheduler fires; the run's `unique_key` lets one of them win.
"""
from __future__ import annotations

import logging
import os
import socket
import threading
import traceback
from datetime import timedelta
from pathlib import Path

import sqlalchemy as sa
from flask import Flask, current_app
from huey import RedisHuey, SqliteHuey, crontab

from marketplace.db import utc_now
from marketplace.extensions import db
from marketplace.jobs import REGISTRY
from marketplace.jobs.models import JobRun

log = logging.getLogger(__name__)
RUN_TASK = "marketplace.run_job"
WORKER_ID = f"{socket.gethostname()}:{os.getpid()}"[:120]
ERROR_CHARS = 500


def config_defaults(instance_path: str) -> dict:
    return {
        "JOBS_REDIS_URL": os.environ.get("JOBS_REDIS_URL", ""),
        "JOBS_SQLITE_PATH": os.environ.get("JOBS_SQLITE_PATH", str(Path(instance_path) / "jobs.sqlite3")),
        "JOBS_IMMEDIATE": os.environ.get("JOBS_IMMEDIATE", "0") == "1",
        "JOBS_HEARTBEAT_SECONDS": float(os.environ.get("JOBS_HEARTBEAT_SECONDS", 10)),
        "JOBS_STALE_SECONDS": float(os.environ.get("JOBS_STALE_SECONDS", 60)),
        "JOBS_RESEND_SECONDS": float(os.environ.get("JOBS_RESEND_SECONDS", 600)),
        "JOBS_KEEP_DAYS": int(os.environ.get("JOBS_KEEP_DAYS", 30)),
    }


def _setting(app: Flask, key: str):
    value = app.config.get(key)
    return config_defaults(app.instance_path)[key] if value is None else value


# ---------------------------------------------------------------- the Huey instance of an app

def get_huey(app: Flask | None = None):
    app = app or current_app._get_current_object()
    huey = app.extensions.get("huey")
    if huey is None:
        huey = app.extensions["huey"] = _make_huey(app)
    return huey


def _make_huey(app: Flask):
    immediate = bool(_setting(app, "JOBS_IMMEDIATE"))
    url = _setting(app, "JOBS_REDIS_URL")
    if url:
        huey = RedisHuey("marketplace", url=url, immediate=immediate, results=False)
    else:
        path = Path(_setting(app, "JOBS_SQLITE_PATH"))
        path.parent.mkdir(parents=True, exist_ok=True)
        huey = SqliteHuey("marketplace", filename=str(path), immediate=immediate, results=False, timeout=15)

    def run_job(run_id: int) -> None:
        execute(app, run_id)

    def reap_stale() -> None:
        with app.app_context():
            reap()

    app.extensions["huey_run"] = huey.task(name=RUN_TASK)(run_job)
    huey.periodic_task(crontab(minute="*"), name="marketplace.reap")(reap_stale)
    for spec in REGISTRY.values():
        if spec.schedule:
            huey.periodic_task(crontab(**spec.schedule), name=f"periodic:{spec.name}")(
                _periodic_starter(app, spec.name))
    return huey


def _periodic_starter(app: Flask, name: str):
    def start() -> None:
        with app.app_context():
            minute = utc_now().replace(second=0, microsecond=0)
            run = JobRun(name=name, args={}, status="queued", max_attempts=1, retry_delay=0,
                         unique_key=f"{name}@{minute.isoformat()}")
            db.session.add(run)
            try:
                db.session.commit()
            except sa.exc.IntegrityError:  # another consumer's scheduler fired first
                db.session.rollback()
                return
            run_id = run.id
            db.session.remove()
        execute(app, run_id)
    return start


def send(run_id: int, delay: float | None = None) -> None:
    """Put a run on the queue (after its row committed). A lost message is re-sent by the reaper."""
    app = current_app._get_current_object()
    try:
        get_huey(app)
        task = app.extensions["huey_run"]
        if delay:
            task.schedule(args=(run_id,), delay=delay)
        else:
            task(run_id)
    except Exception:
        log.exception("could not send job run %s to the queue; the reaper re-sends it", run_id)


# ---------------------------------------------------------------- running one job

class Heartbeat(threading.Thread):
    """Touches the run's heartbeat_at every few seconds while the job runs, on its own connection."""

    def __init__(self, app: Flask, run_id: int, attempt: int):
        super().__init__(name=f"heartbeat-{run_id}", daemon=True)
        self.app, self.run_id, self.attempt = app, run_id, attempt
        self.stopped = threading.Event()

    def run(self) -> None:
        interval = float(_setting(self.app, "JOBS_HEARTBEAT_SECONDS"))
        with self.app.app_context():
            while not self.stopped.wait(interval):
                try:
                    with db.engine.begin() as connection:
                        connection.execute(_fenced(sa.update(JobRun), self.run_id, self.attempt)
                                           .values(heartbeat_at=utc_now()))
                except Exception:  # a busy database or a dropped connection: try again next beat
                    log.warning("heartbeat of job run %s failed", self.run_id, exc_info=True)

    def stop(self) -> None:
        self.stopped.set()


def _fenced(statement, run_id: int, attempt: int):
    return statement.where(JobRun.id == run_id, JobRun.status == "running", JobRun.attempts == attempt)


def claim(run_id: int) -> tuple[str, dict, int] | None:
    """queued → running, atomically: (name, args, attempt), or None when another worker has it,
    or it is not due, or gone. Ends its transaction, so the job starts with none open (on SQLite
    an open write transaction would block the heartbeat and every other writer)."""
    now = utc_now()
    result = db.session.execute(
        sa.update(JobRun)
        .where(JobRun.id == run_id, JobRun.status == "queued",
               sa.or_(JobRun.run_after.is_(None), JobRun.run_after <= now + timedelta(seconds=1)))
        .values(status="running", attempts=JobRun.attempts + 1, started_at=now, heartbeat_at=now,
                finished_at=None, worker=WORKER_ID)
    )
    if result.rowcount != 1:
        db.session.commit()
        return None
    run = db.session.get(JobRun, run_id)
    claimed = run.name, dict(run.args or {}), run.attempts
    db.session.commit()
    return claimed


def execute(app: Flask, run_id: int) -> None:
    with app.app_context():
        try:
            claimed = claim(run_id)
            if claimed is None:
                return
            name, args, attempt = claimed
            beat = None if _setting(app, "JOBS_IMMEDIATE") else Heartbeat(app, run_id, attempt)
            if beat:
                beat.start()
            try:
                spec = REGISTRY.get(name)
                if spec is None:
                    raise LookupError(f"no job named {name!r} in this worker")
                spec.func(**args)
                finished = db.session.execute(_fenced(sa.update(JobRun), run_id, attempt)
                                              .values(status="done", finished_at=utc_now(), heartbeat_at=utc_now()))
                if finished.rowcount != 1:  # the reaper declared this attempt dead meanwhile
                    db.session.rollback()
                    log.warning("job run %s lost its claim; its work was rolled back", run_id)
                    return
                db.session.commit()
            except Exception as error:
                db.session.rollback()
                log.exception("job run %s (%s) failed", run_id, name)
                _record_failure(run_id, attempt, error)
            finally:
                if beat:
                    beat.stop()
        finally:
            db.session.remove()


def _error_line(error: BaseException) -> str:
    text = f"{type(error).__name__}: {error}"
    return text if len(text) <= ERROR_CHARS else text[:ERROR_CHARS] + "…"


def _record_failure(run_id: int, attempt: int, error: BaseException) -> None:
    run = db.session.get(JobRun, run_id)
    if run is None or run.status != "running" or run.attempts != attempt:
        return
    run.last_error = _error_line(error)
    run.error_detail = "".join(traceback.format_exception(error))[-20000:]
    delay = _schedule_retry(run)
    db.session.commit()
    if delay is not None:
        send(run_id, delay)


def _schedule_retry(run: JobRun) -> float | None:
    """queued again with backoff while attempts are left (returns the delay), else failed."""
    now = utc_now()
    if run.attempts < run.max_attempts:
        delay = float(run.retry_delay) * 2 ** max(run.attempts - 1, 0)
        run.status, run.run_after, run.finished_at = "queued", now + timedelta(seconds=delay), None
        return delay
    run.status, run.finished_at = "failed", now
    return None


# ---------------------------------------------------------------- the reaper

def reap(now=None) -> dict:
    """Runs whose worker died (no heartbeat for JOBS_STALE_SECONDS) are re-queued or failed;
    queued runs whose message was lost are re-sent; old finished runs are deleted."""
    app = current_app._get_current_object()
    now = now or utc_now()
    stale_cutoff = now - timedelta(seconds=float(_setting(app, "JOBS_STALE_SECONDS")))
    counts = {"requeued": 0, "failed": 0, "resent": 0, "deleted": 0}
    to_send: list[tuple[int, float | None]] = []
    stale = db.session.scalars(sa.select(JobRun).where(JobRun.status == "running", JobRun.heartbeat_at < stale_cutoff)).all()
    for run in stale:
        error = f"The worker stopped while running this job (last heartbeat {run.heartbeat_at:%Y-%m-%d %H:%M:%S} UTC)."
        claimed = db.session.execute(
            _fenced(sa.update(JobRun), run.id, run.attempts).where(JobRun.heartbeat_at < stale_cutoff)
            .values(last_error=error))
        if claimed.rowcount != 1:
            continue
        db.session.refresh(run)
        delay = _schedule_retry(run)
        if run.status == "queued":
            counts["requeued"] += 1
            to_send.append((run.id, delay))
        else:
            counts["failed"] += 1
    resend_cutoff = now - timedelta(seconds=float(_setting(app, "JOBS_RESEND_SECONDS")))
    lost = db.session.scalars(sa.select(JobRun).where(
        JobRun.status == "queued", sa.func.coalesce(JobRun.run_after, JobRun.created_at) < resend_cutoff)).all()
    for run in lost:
        run.run_after = now
        counts["resent"] += 1
        to_send.append((run.id, None))
    keep_cutoff = now - timedelta(days=int(_setting(app, "JOBS_KEEP_DAYS")))
    counts["deleted"] = db.session.execute(
        sa.delete(JobRun).where(JobRun.status == "done", JobRun.finished_at < keep_cutoff)).rowcount
    db.session.commit()
    for run_id, delay in to_send:
        send(run_id, delay)
    return counts


def retry(run: JobRun) -> None:
    """A failed run (or one queued for a later retry) goes back on the queue with fresh attempts."""
    run.status, run.attempts, run.run_after, run.finished_at = "queued", 0, utc_now(), None
    db.session.info.setdefault("pending_jobs", []).append(run.id)


# ---------------------------------------------------------------- the consumer

def run_worker(app: Flask, threads: int = 2, periodic: bool = True) -> None:
    """Consume the queue until interrupted (SIGINT/SIGTERM: finish running jobs, then stop)."""
    huey = get_huey(app)
    if huey.immediate:
        raise RuntimeError("JOBS_IMMEDIATE is set: jobs run in the web process, there is nothing to consume")
    consumer = huey.create_consumer(workers=threads, worker_type="thread", periodic=periodic,
                                    check_worker_health=True, initial_delay=0.1, max_delay=1.0)
    consumer.run()
