"""Background jobs: the one interface every area uses.

    from marketplace.jobs import job, periodic, enqueue

    @job("mail.send", retries=5, retry_delay=60)
    def send_mail(message_id: int) -> None:
        ...                      # runs inside an app context with its own db.session; commits its own work

    @periodic("vouchers.expire", minute="0", hour="*")   # crontab fields, as cron reads them
    def expire_vouchers() -> None:
        ...

    enqueue("mail.send", message_id=5, started_by=user.id)  # or enqueue(send_mail, ...)

`enqueue` is called inside a request (or another job): it adds a `JobRun` row to the current
transaction, and the row's id is sent to the queue only when that transaction commits, so the
worker never runs ahead of the rows it needs, and nothing is sent when the transaction rolls
back. Keyword arguments must be JSON-serialisable. It returns the (flushed) `JobRun`.

The queue is Huey (`marketplace/jobs/queue.py`): SQLite in the instance folder by default,
Redis when `JOBS_REDIS_URL` is set; `flask jobs worker` consumes it (any number, any host).
When the job returns, whatever it left in `db.session` is committed together with the run's
"done" status. A job that raises is retried `retries` times, `retry_delay` seconds later,
doubling each time; then it is "failed" with its error. With `JOBS_IMMEDIATE` (the tests) a job
runs synchronously right after the enqueuing commit.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from sqlalchemy import event
from sqlalchemy.orm import Session


@dataclass(frozen=True)
class JobSpec:
    name: str
    func: Callable
    retries: int = 3
    retry_delay: int = 30
    schedule: dict | None = None  # crontab fields for periodic jobs


REGISTRY: dict[str, JobSpec] = {}


def job(name: str, retries: int = 3, retry_delay: int = 30):
    def register(func: Callable) -> Callable:
        REGISTRY[name] = JobSpec(name, func, retries, retry_delay)
        func.job_name = name
        return func
    return register


def periodic(name: str, **crontab):
    def register(func: Callable) -> Callable:
        REGISTRY[name] = JobSpec(name, func, retries=0, schedule=crontab or {"minute": "0"})
        func.job_name = name
        return func
    return register


def enqueue(name_or_func, started_by: int | None = None, **kwargs):
    """Add a JobRun to the current transaction; it is sent to the queue when that commits."""
    from marketplace.extensions import db
    from marketplace.jobs.models import JobRun

    name = getattr(name_or_func, "job_name", name_or_func)
    spec = REGISTRY.get(name)
    if spec is None:
        raise KeyError(f"no job named {name!r}")
    run = JobRun(name=name, args=kwargs, status="queued", attempts=0, max_attempts=spec.retries + 1,
                 retry_delay=spec.retry_delay, started_by_id=started_by)
    db.session.add(run)
    db.session.flush()
    db.session.info.setdefault("pending_jobs", []).append(run.id)
    return run


# SQLAlchemy also fires after_commit / after_rollback when a SAVEPOINT (begin_nested) ends. Jobs
# wait for the outermost commit: sent at a savepoint's release, a worker (or, with JOBS_IMMEDIATE,
# this thread on a second connection) would look for a JobRun row not yet committed; on SQLite it
# waited on this transaction's own write lock. A savepoint rolled back keeps the list: runs added
# inside it are gone with it, and sending a missing run is a no-op.
@event.listens_for(Session, "after_commit")
def _send_pending(session: Session) -> None:
    if session.in_nested_transaction():
        return
    pending = session.info.pop("pending_jobs", None)
    if pending:
        from marketplace.jobs import queue

        for run_id in pending:
            queue.send(run_id)


@event.listens_for(Session, "after_rollback")
def _drop_pending(session: Session) -> None:
    if not session.in_nested_transaction():
        session.info.pop("pending_jobs", None)

