"""Bids on demands, invitations to bid, and reviews after delivery."""
from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Optional

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace.db import Base, TimestampMixin, state_check, utc_now

if TYPE_CHECKING:
    from marketplace.demands.models import Demand
    from marketplace.offerings.models import Offering
    from marketplace.orgs.models import Organisation

BID_STATUSES = ("submitted", "shortlisted", "awarded", "declined", "withdrawn")
LIVE_BID_STATUSES = ("submitted", "shortlisted", "awarded")
INVITATION_STATUSES = ("pending", "accepted", "declined")
_LIVE_BID_SQL = "status IN ('submitted', 'shortlisted', 'awarded')"


class Bid(TimestampMixin, Base):
    __tablename__ = "bid"
    __table_args__ = (
        state_check("status", BID_STATUSES),
        sa.CheckConstraint("price >= 0", name="price_nonneg"),
        sa.CheckConstraint("duration_days > 0", name="duration_positive"),
        sa.CheckConstraint("status <> 'declined' OR decline_reason <> ''", name="decline_has_reason"),
        # One live bid per provider per demand, enforced by the database.
        sa.Index(
            "uq_bid_live_provider_demand",
            "demand_id",
            "provider_org_id",
            unique=True,
            sqlite_where=sa.text(_LIVE_BID_SQL),
            postgresql_where=sa.text(_LIVE_BID_SQL),
        ),
        # At most one award per demand.
        sa.Index(
            "uq_bid_one_award_per_demand",
            "demand_id",
            unique=True,
            sqlite_where=sa.text("status = 'awarded'"),
            postgresql_where=sa.text("status = 'awarded'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    demand_id: Mapped[int] = mapped_column(sa.ForeignKey("demand.id"), index=True)
    provider_org_id: Mapped[int] = mapped_column(sa.ForeignKey("organisation.id"), index=True)
    offering_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("offering.id"))
    # Price in 万元 (10,000 CNY).
    price: Mapped[Decimal] = mapped_column(sa.Numeric(12, 2))
    duration_days: Mapped[int] = mapped_column()
    approach: Mapped[str] = mapped_column(sa.Text, default="")
    status: Mapped[str] = mapped_column(sa.String(12), default="submitted", index=True)
    decline_reason: Mapped[str] = mapped_column(sa.Text, default="")
    submitted_by_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("user_account.id"))
    is_demo: Mapped[bool] = mapped_column(default=False)
    version: Mapped[int] = mapped_column(default=1)
    __mapper_args__ = {"version_id_col": version}

    demand: Mapped["Demand"] = relationship()
    provider: Mapped["Organisation"] = relationship()
    offering: Mapped[Optional["Offering"]] = relationship()

    @property
    def is_live(self) -> bool:
        return self.status in LIVE_BID_STATUSES


class Invitation(TimestampMixin, Base):
    """A firm invites a provider to bid on one of its demands."""

    __tablename__ = "invitation"
    __table_args__ = (
        sa.UniqueConstraint("demand_id", "provider_org_id"),
        state_check("status", INVITATION_STATUSES),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    demand_id: Mapped[int] = mapped_column(sa.ForeignKey("demand.id"), index=True)
    provider_org_id: Mapped[int] = mapped_column(sa.ForeignKey("organisation.id"), index=True)
    offering_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("offering.id"))
    message: Mapped[str] = mapped_column(sa.Text, default="")
    status: Mapped[str] = mapped_column(sa.String(10), default="pending")
    invited_by_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("user_account.id"))
    answered_at: Mapped[Optional[datetime]] = mapped_column()

    demand: Mapped["Demand"] = relationship()
    provider: Mapped["Organisation"] = relationship()
    offering: Mapped[Optional["Offering"]] = relationship()


class Review(Base):
    """After an awarded demand is closed, the firm rates the provider (one per award)."""

    __tablename__ = "review"
    __table_args__ = (sa.CheckConstraint("rating BETWEEN 1 AND 5", name="rating_range"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    bid_id: Mapped[int] = mapped_column(sa.ForeignKey("bid.id"), unique=True)
    demand_id: Mapped[int] = mapped_column(sa.ForeignKey("demand.id"), index=True)
    provider_org_id: Mapped[int] = mapped_column(sa.ForeignKey("organisation.id"), index=True)
    reviewer_org_id: Mapped[int] = mapped_column(sa.ForeignKey("organisation.id"))
    reviewer_user_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("user_account.id"))
    rating: Mapped[int] = mapped_column()
    comment: Mapped[str] = mapped_column(sa.Text, default="")
    is_demo: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utc_now)

    bid: Mapped[Bid] = relationship()
    demand: Mapped["Demand"] = relationship()
    provider: Mapped["Organisation"] = relationship(foreign_keys=[provider_org_id])
    reviewer: Mapped["Organisation"] = relationship(foreign_keys=[reviewer_org_id])
