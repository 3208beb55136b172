"""The mail log (every message sent or tried), notification preferences and digest progress."""
from __future__ import annotations

from datetime import datetime
from typing import Optional

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from marketplace.db import Base, state_check, utc_now

MAIL_STATUSES = ("queued", "sent", "failed", "given_up")
CHANNELS = ("in_app", "email", "digest")


class MailMessage(Base):
    """One email. The rendered text is kept so a retry sends exactly what was first written,
    and the operator can read what went out."""

    __tablename__ = "mail_message"
    __table_args__ = (state_check("status", MAIL_STATUSES), sa.Index("ix_mail_message_status_next", "status", "next_attempt_at"))

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("user_account.id", ondelete="SET NULL"), index=True)
    to: Mapped[str] = mapped_column(sa.String(254))
    # What the mail is about: "account.password_reset", a notification kind, "digest", "alert", ...
    kind: Mapped[str] = mapped_column(sa.String(60), index=True)
    locale: Mapped[str] = mapped_column(sa.String(10), default="zh_CN")
    subject: Mapped[str] = mapped_column(sa.String(300))
    body_text: Mapped[str] = mapped_column(sa.Text)
    body_html: Mapped[str] = mapped_column(sa.Text, default="")
    unsubscribe_url: Mapped[str] = mapped_column(sa.String(500), default="")
    status: Mapped[str] = mapped_column(sa.String(10), default="queued")
    attempts: Mapped[int] = mapped_column(default=0)
    error: Mapped[str] = mapped_column(sa.Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utc_now, index=True)
    sent_at: Mapped[Optional[datetime]] = mapped_column()
    next_attempt_at: Mapped[Optional[datetime]] = mapped_column()
    # With the embedded file transport: the file the message was written to.
    file_name: Mapped[str] = mapped_column(sa.String(120), default="")


class NotificationPreference(Base):
    """How one user wants one kind of notification: in the app only, by email at once, or in
    the daily digest. No row means the kind's default (marketplace.mail.preferences.DEFAULTS)."""

    __tablename__ = "notification_preference"
    __table_args__ = (sa.UniqueConstraint("user_id", "kind"), state_check("channel", CHANNELS))

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(sa.String(60))
    channel: Mapped[str] = mapped_column(sa.String(10))
    updated_at: Mapped[datetime] = mapped_column(default=utc_now, onupdate=utc_now)


class DigestState(Base):
    """Up to which notification a user's daily digest has been sent, so none is mailed twice."""

    __tablename__ = "mail_digest_state"

    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user_account.id", ondelete="CASCADE"), primary_key=True)
    last_notification_id: Mapped[int] = mapped_column(default=0)
    sent_at: Mapped[Optional[datetime]] = mapped_column()
