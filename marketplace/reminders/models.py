"""Every reminder sent, so that none is sent twice."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from marketplace.db import Base, utc_now


class ReminderLog(Base):
    __tablename__ = "reminder_log"
    __table_args__ = (sa.UniqueConstraint("kind", "object_type", "object_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(40))
    object_type: Mapped[str] = mapped_column(sa.String(40))
    object_id: Mapped[int] = mapped_column()
    # Distinguishes cycles of the same reminder (e.g. the date a re-check falls due).
    key: Mapped[str] = mapped_column(sa.String(40), default="")
    detail: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    sent_at: Mapped[datetime] = mapped_column(default=utc_now)
