"""One demand-list import: the uploaded file, its checked preview, and how far it got.

The row lives in the database (not the instance folder) so that a web process and a job
worker on different hosts see the same upload and preview. The preview stays until the import
commits; it is cleared in that same transaction.
"""
from __future__ import annotations

from datetime import datetime
from typing import Optional

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, deferred, mapped_column, relationship

from marketplace.db import Base, TimestampMixin, state_check

# checking: the file waits for (or is in) the check job; refused: the file as a whole was
# refused (message); ready: preview to confirm; importing: the import job has it; done.
IMPORT_STATUSES = ("checking", "refused", "ready", "importing", "done")


class DemandImport(TimestampMixin, Base):
    __tablename__ = "demand_import"
    __table_args__ = (state_check("status", IMPORT_STATUSES),)

    id: Mapped[int] = mapped_column(primary_key=True)
    token: Mapped[str] = mapped_column(sa.String(40), unique=True)
    list_id: Mapped[int] = mapped_column(sa.ForeignKey("demand_list.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    filename: Mapped[str] = mapped_column(sa.String(255), default="")
    status: Mapped[str] = mapped_column(sa.String(10), default="checking")
    message: Mapped[Optional[str]] = mapped_column(sa.Text)  # why the file was refused, in the user's language
    locale: Mapped[Optional[str]] = mapped_column(sa.String(10))
    upload: Mapped[Optional[bytes]] = deferred(mapped_column(sa.LargeBinary))  # dropped once checked
    preview: Mapped[Optional[dict]] = deferred(mapped_column(sa.JSON))  # dropped once imported
    total: Mapped[int] = mapped_column(default=0)  # data rows in the file
    valid: Mapped[int] = mapped_column(default=0)  # rows that passed the check
    imported: Mapped[int] = mapped_column(default=0)  # committed demands (0 until the import commits)
    publish: Mapped[bool] = mapped_column(default=True)
    check_run_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("job_run.id", ondelete="SET NULL"))
    import_run_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("job_run.id", ondelete="SET NULL"))

    check_run = relationship("JobRun", foreign_keys=[check_run_id])
    import_run = relationship("JobRun", foreign_keys=[import_run_id])
