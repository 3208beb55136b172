"""Background jobs: the one interface every area uses.

    from marketplace.jobs import job, periodic, enqueue

    @job("mail.send", retries=5, retry_delay=60)
    def send_mail(message_id: int) -> None:
        ...                      # runs inside an app context with its own db.session; commits its own work

    @periodic("vouchers.expire", minute="0", hour="*")   # crontab fields, as cron reads them
    def expire_vouchers() -> None:
        ...

    enqueue("mail.send", message_id=5, started_by=user.id)  # or enqueue(send_mail, ...)

`enqueue` is called inside a request (or another job): the job is sent only when that
transaction commits, so the worker never runs ahead of the rows it needs, and nothing is sent
when the transaction rolls back. Keyword arguments must be JSON-serialisable.

This first version runs each job in-process right after the commit, in a fresh app context.
It is the interface only: the jobs area (issue 15) replaces the internals with a real queue
(embedded store by default, Redis in production, a worker command, retries, status).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from flask import current_app
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


def enqueue(name_or_func, started_by: int | None = None, **kwargs) -> None:
    from marketplace.extensions import db

    name = getattr(name_or_func, "job_name", name_or_func)
    if name not in REGISTRY:
        raise KeyError(f"no job named {name!r}")
    db.session.info.setdefault("pending_jobs", []).append((name, kwargs))


def run_now(name: str, **kwargs) -> None:
    """Run one job in a fresh app context (its own session), committing its work."""
    from marketplace.extensions import db

    app = current_app._get_current_object()
    with app.app_context():
        try:
            REGISTRY[name].func(**kwargs)
            db.session.commit()
        except Exception:
            db.session.rollback()
            app.logger.exception("job %s failed", name)
        finally:
            db.session.remove()


@event.listens_for(Session, "after_commit")
def _send_pending(session: Session) -> None:
    pending = session.info.pop("pending_jobs", None)
    for name, kwargs in pending or ():
        run_now(name, **kwargs)


@event.listens_for(Session, "after_rollback")
def _drop_pending(session: Session) -> None:
    session.info.pop("pending_jobs", None)
