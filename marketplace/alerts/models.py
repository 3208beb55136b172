"""Saved searches: a browse filter set kept by a user, with an email alert of new matches."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from marketplace.db import Base, state_check, utc_now

TARGETS = ("demands", "providers")
FREQUENCIES = ("daily", "weekly", "off")


class SavedSearch(Base):
    __tablename__ = "saved_search"
    __table_args__ = (state_check("target", TARGETS), state_check("frequency", FREQUENCIES))

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    target: Mapped[str] = mapped_column(sa.String(10))
    name: Mapped[str] = mapped_column(sa.String(120))
    # The browse page's query-string filters (only the known keys are kept).
    params: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    frequency: Mapped[str] = mapped_column(sa.String(8), default="daily")
    # Items newer than this are "new" for the next alert.
    checked_at: Mapped[datetime] = mapped_column(default=utc_now)
    created_at: Mapped[datetime] = mapped_column(default=utc_now)
