"""Personal access tokens and the stored results of idempotent creates."""
from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Optional

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace.db import Base, utc_now

if TYPE_CHECKING:
    from marketplace.auth.models import User


class ApiToken(Base):
    """A user's personal access token. Only a SHA-256 hash of the secret is stored; the secret is
    shown once, when the token is made. `prefix` (the first characters) lets the owner recognise it."""

    __tablename__ = "api_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(sa.String(80))
    prefix: Mapped[str] = mapped_column(sa.String(16))
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    scopes: Mapped[list] = mapped_column(sa.JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(default=utc_now)
    last_used_at: Mapped[Optional[datetime]] = mapped_column()
    last_used_ip: Mapped[str] = mapped_column(sa.String(45), default="")
    revoked_at: Mapped[Optional[datetime]] = mapped_column()

    user: Mapped["User"] = relationship()

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class IdempotentRequest(Base):
    """The first answer to a create sent with an Idempotency-Key; a retry gets the same answer."""

    __tablename__ = "api_idempotent_request"
    __table_args__ = (sa.UniqueConstraint("token_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    token_id: Mapped[int] = mapped_column(sa.ForeignKey("api_token.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(sa.String(200))
    fingerprint: Mapped[str] = mapped_column(sa.String(64))  # method, path and body hashed
    status_code: Mapped[int] = mapped_column()
    body: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    location: Mapped[str] = mapped_column(sa.String(300), default="")
    created_at: Mapped[datetime] = mapped_column(default=utc_now, index=True)
