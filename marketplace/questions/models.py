"""Questions on a demand (答疑): a provider asks, the firm answers publicly or privately."""
from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Optional

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace.db import Base, state_check, utc_now

if TYPE_CHECKING:
    from marketplace.demands.models import Demand
    from marketplace.orgs.models import Organisation

QUESTION_STATUSES = ("open", "answered")


class Question(Base):
    __tablename__ = "demand_question"
    __table_args__ = (
        state_check("status", QUESTION_STATUSES),
        sa.CheckConstraint("status <> 'answered' OR answer <> ''", name="answered_has_answer"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    demand_id: Mapped[int] = mapped_column(sa.ForeignKey("demand.id", ondelete="CASCADE"), index=True)
    # Shown to the firm only; everyone else reads "a provider asked".
    asker_org_id: Mapped[int] = mapped_column(sa.ForeignKey("organisation.id"), index=True)
    asker_user_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("user_account.id", ondelete="SET NULL"))
    body: Mapped[str] = mapped_column(sa.Text)
    status: Mapped[str] = mapped_column(sa.String(10), default="open")
    answer: Mapped[str] = mapped_column(sa.Text, default="")
    # A public answer is a clarification every bidder and the public page see.
    public: Mapped[bool] = mapped_column(default=False)
    answered_at: Mapped[Optional[datetime]] = mapped_column()
    answered_by_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("user_account.id", ondelete="SET NULL"))
    is_demo: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utc_now)

    demand: Mapped["Demand"] = relationship()
    asker: Mapped["Organisation"] = relationship()
