"""Webhook endpoints an organisation registers, and the log of every delivery with its response."""
from __future__ import annotations

from datetime import datetime
from typing import Optional

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace.db import Base, state_check, utc_now

EVENTS = ("demand.matched", "offering.matched", "bid.received", "bid.decided", "invitation.received",
          "application.decided")
DELIVERY_STATUSES = ("pending", "delivered", "failed")


class WebhookEndpoint(Base):
    __tablename__ = "webhook_endpoint"

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(sa.ForeignKey("organisation.id", ondelete="CASCADE"), index=True)
    url: Mapped[str] = mapped_column(sa.String(500))
    # Kept in clear: it signs every delivery (the receiver holds the same secret).
    secret: Mapped[str] = mapped_column(sa.String(80))
    events: Mapped[list] = mapped_column(sa.JSON, default=list)
    # For the *.matched events: only matches scoring at least this (0–1).
    min_score: Mapped[float] = mapped_column(default=0.5)
    active: Mapped[bool] = mapped_column(default=True)
    created_by_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("user_account.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utc_now)

    deliveries: Mapped[list["WebhookDelivery"]] = relationship(back_populates="endpoint", cascade="all, delete-orphan",
                                                               passive_deletes=True)


class WebhookDelivery(Base):
    __tablename__ = "webhook_delivery"
    __table_args__ = (state_check("status", DELIVERY_STATUSES),)

    id: Mapped[int] = mapped_column(primary_key=True)
    endpoint_id: Mapped[int] = mapped_column(sa.ForeignKey("webhook_endpoint.id", ondelete="CASCADE"), index=True)
    event: Mapped[str] = mapped_column(sa.String(40))
    payload: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    status: Mapped[str] = mapped_column(sa.String(10), default="pending")
    attempts: Mapped[int] = mapped_column(default=0)
    response_status: Mapped[Optional[int]] = mapped_column()
    response_body: Mapped[str] = mapped_column(sa.Text, default="")
    error: Mapped[str] = mapped_column(sa.String(500), default="")
    created_at: Mapped[datetime] = mapped_column(default=utc_now, index=True)
    last_attempt_at: Mapped[Optional[datetime]] = mapped_column()
    delivered_at: Mapped[Optional[datetime]] = mapped_column()

    endpoint: Mapped[WebhookEndpoint] = relationship(back_populates="deliveries")
