"""Private messages on a bid (one thread per bid, between the firm and the provider) and the
files attached to a message, a bid (the proposal) or a demand (photos, drawings)."""
from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Optional

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace.db import Base, utc_now

if TYPE_CHECKING:
    from marketplace.auth.models import User
    from marketplace.bids.models import Bid
    from marketplace.files.models import StoredFile
    from marketplace.orgs.models import Organisation


class BidMessage(Base):
    __tablename__ = "bid_message"
    __table_args__ = (sa.Index("ix_bid_message_bid_id_id", "bid_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    bid_id: Mapped[int] = mapped_column(sa.ForeignKey("bid.id", ondelete="CASCADE"))
    sender_org_id: Mapped[int] = mapped_column(sa.ForeignKey("organisation.id"))
    sender_user_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("user_account.id", ondelete="SET NULL"))
    body: Mapped[str] = mapped_column(sa.Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utc_now)

    bid: Mapped["Bid"] = relationship()
    sender_org: Mapped["Organisation"] = relationship()
    sender: Mapped[Optional["User"]] = relationship()
    files: Mapped[list["FileAttachment"]] = relationship(back_populates="message", order_by="FileAttachment.id")


class FileAttachment(Base):
    """A checked file (PDF, PNG or JPEG, decided by its content), kept in the shared files area
    (marketplace/files: in the database, so every host sees it). It belongs to exactly one of:
    a message, a bid (the provider's proposal) or a demand (photos, drawings)."""

    __tablename__ = "file_attachment"
    __table_args__ = (
        sa.CheckConstraint(
            "(CASE WHEN message_id IS NULL THEN 0 ELSE 1 END) + (CASE WHEN bid_id IS NULL THEN 0 ELSE 1 END)"
            " + (CASE WHEN demand_id IS NULL THEN 0 ELSE 1 END) = 1", name="one_owner"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("bid_message.id", ondelete="CASCADE"), index=True)
    bid_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("bid.id", ondelete="CASCADE"), index=True)
    demand_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("demand.id", ondelete="CASCADE"), index=True)
    file_id: Mapped[int] = mapped_column(sa.ForeignKey("stored_file.id", ondelete="CASCADE"), unique=True)
    uploaded_by_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("user_account.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utc_now)

    message: Mapped[Optional[BidMessage]] = relationship(back_populates="files")
    stored: Mapped["StoredFile"] = relationship()

    @property
    def original_name(self) -> str:
        return self.stored.name

    @property
    def content_type(self) -> str:
        return self.stored.content_type

    @property
    def size_bytes(self) -> int:
        return self.stored.size_bytes

    @property
    def is_image(self) -> bool:
        return self.content_type.startswith("image/")


class ThreadRead(Base):
    """How far one person has read one bid's thread: later messages from the other side are unread."""

    __tablename__ = "bid_thread_read"

    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user_account.id", ondelete="CASCADE"), primary_key=True)
    bid_id: Mapped[int] = mapped_column(sa.ForeignKey("bid.id", ondelete="CASCADE"), primary_key=True)
    last_read_message_id: Mapped[int] = mapped_column(default=0)
