"""Users and their role within their organisation."""
from __future__ import annotations

import secrets
from datetime import datetime
from typing import TYPE_CHECKING, Optional

import sqlalchemy as sa
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace.db import Base, TimestampMixin, state_check, utc_now

if TYPE_CHECKING:
    from marketplace.orgs.models import Organisation

ORG_ROLES = ("owner", "member")


def new_session_token() -> str:
    return secrets.token_urlsafe(32)


class User(UserMixin, TimestampMixin, Base):
    __tablename__ = "user_account"
    __table_args__ = (state_check("org_role", ORG_ROLES),)

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("organisation.id"), index=True)
    email: Mapped[str] = mapped_column(sa.String(254), unique=True)
    name: Mapped[str] = mapped_column(sa.String(80))
    password_hash: Mapped[str] = mapped_column(sa.String(255))
    org_role: Mapped[str] = mapped_column(sa.String(10), default="member")
    is_admin: Mapped[bool] = mapped_column(default=False)
    active: Mapped[bool] = mapped_column(default=True)
    locale: Mapped[Optional[str]] = mapped_column(sa.String(10))
    last_login_at: Mapped[Optional[datetime]] = mapped_column()
    # Set when the person proved the address is theirs (a verification or password-reset link).
    email_verified_at: Mapped[Optional[datetime]] = mapped_column()
    # An account someone else created (admin, organisation owner): choose an own password first.
    must_set_password: Mapped[bool] = mapped_column(default=False, server_default=sa.false())

    org: Mapped[Optional["Organisation"]] = relationship(back_populates="users")

    # Set by the user loader: the server-side session this request belongs to.
    login_session_id = None  # type: str | None

    def get_id(self) -> str:
        return f"{self.id}:{self.login_session_id}"

    @property
    def is_active(self) -> bool:  # Flask-Login
        return self.active

    @property
    def is_owner(self) -> bool:
        return self.org_role == "owner"

    @property
    def kind(self) -> str:
        """The user's role on the platform: manufacturer, provider, bureau or admin."""
        if self.is_admin:
            return "admin"
        return self.org.kind if self.org else "none"

    def __repr__(self) -> str:
        return f"<User {self.id} {self.email}>"


class LoginSession(Base):
    """A server-side record of one login. Deleting it ends that session for good, even if
    someone kept a copy of the (signed, client-side) session cookie."""

    __tablename__ = "login_session"

    id: Mapped[str] = mapped_column(sa.String(64), primary_key=True, default=new_session_token)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utc_now)
    ip_address: Mapped[str] = mapped_column(sa.String(45), default="")
    user_agent: Mapped[str] = mapped_column(sa.String(300), default="")


TOKEN_PURPOSES = ("reset", "verify")


class AccountToken(Base):
    """A one-time link sent by email (password reset, address verification). Only a hash of
    the token is stored, so a copy of the database does not hold working links."""

    __tablename__ = "account_token"
    __table_args__ = (state_check("purpose", TOKEN_PURPOSES),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    purpose: Mapped[str] = mapped_column(sa.String(10))
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utc_now)
    expires_at: Mapped[datetime] = mapped_column()
    used_at: Mapped[Optional[datetime]] = mapped_column()

    user: Mapped[User] = relationship()
