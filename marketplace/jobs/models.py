"""One row per job: what to run, with which arguments, and how it went.

The row is written in the same transaction as the work that asked for it, so a job exists
exactly when that work committed; the queue (Huey) only carries the row's id. Status lives
here, not in the queue, so it survives restarts and every page can show it.
"""
from __future__ import annotations

from datetime import datetime
from typing import Optional

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace.db import Base, state_check, utc_now

JOB_STATUSES = ("queued", "running", "done", "failed")


class JobRun(Base):
    __tablename__ = "job_run"
    __table_args__ = (
        state_check("status", JOB_STATUSES),
        sa.Index("ix_job_run_status_run_after", "status", "run_after"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(100), index=True)
    args: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    status: Mapped[str] = mapped_column(sa.String(10), default="queued")
    attempts: Mapped[int] = mapped_column(default=0)  # attempts started so far
    max_attempts: Mapped[int] = mapped_column(default=1)  # 1 + the job's retries
    retry_delay: Mapped[int] = mapped_column(default=30)  # seconds before the first retry; doubles each time
    last_error: Mapped[Optional[str]] = mapped_column(sa.Text)  # one line, shown to whoever started the job
    error_detail: Mapped[Optional[str]] = mapped_column(sa.Text)  # the traceback, for admins
    worker: Mapped[Optional[str]] = mapped_column(sa.String(120))  # host:pid of the last worker
    heartbeat_at: Mapped[Optional[datetime]] = mapped_column()
    run_after: Mapped[Optional[datetime]] = mapped_column()  # not before (retry backoff)
    # Periodic runs carry "<name>@<minute>": every consumer's scheduler fires, one row wins.
    unique_key: Mapped[Optional[str]] = mapped_column(sa.String(160), unique=True)
    started_by_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("user_account.id", ondelete="SET NULL"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utc_now, index=True)
    started_at: Mapped[Optional[datetime]] = mapped_column()
    finished_at: Mapped[Optional[datetime]] = mapped_column()

    started_by = relationship("User", lazy="joined")

    def __repr__(self) -> str:
        return f"<JobRun {self.id} {self.name} {self.status}>"
