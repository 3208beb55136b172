"""One-time emailed links: password reset (1 hour) and email verification (2 days); and the
own password an account created by someone else must choose. Flush, never commit."""
from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

import sqlalchemy as sa
from flask import url_for
from flask_babel import lazy_gettext as _l

from marketplace.audit.services import record
from marketplace.auth import passwords
from marketplace.auth.models import AccountToken, User
from marketplace.auth.services import end_all_sessions, find_user
from marketplace.db import utc_now
from marketplace.extensions import db

LIFETIMES = {"reset": timedelta(hours=1), "verify": timedelta(days=2)}

PROBLEMS = {
    "invalid": _l("This link is not valid. It may have been copied incompletely."),
    "expired": _l("This link has expired. Links are valid for one hour; please ask for a new one."),
    "used": _l("This link has already been used. Each link works once; please ask for a new one."),
}


def _hash(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def issue(user: User, purpose: str) -> str:
    """A new token for `user`; earlier unused ones of the same purpose stop working."""
    now = utc_now()
    db.session.execute(sa.update(AccountToken).where(
        AccountToken.user_id == user.id, AccountToken.purpose == purpose, AccountToken.used_at.is_(None)).values(used_at=now))
    raw = secrets.token_urlsafe(32)
    db.session.add(AccountToken(user_id=user.id, purpose=purpose, token_hash=_hash(raw), expires_at=now + LIFETIMES[purpose]))
    db.session.flush()
    return raw


def check(raw: str, purpose: str) -> tuple[AccountToken | None, str | None]:
    """(token, None) for a usable link, else (None, a key of PROBLEMS)."""
    token = db.session.scalar(sa.select(AccountToken).where(AccountToken.token_hash == _hash(raw or ""),
                                                            AccountToken.purpose == purpose))
    if token is None or not token.user.active:
        return None, "invalid"
    if token.used_at is not None:
        return None, "used"
    if token.expires_at <= utc_now():
        return None, "expired"
    return token, None


def request_reset(email: str) -> None:
    """Email a reset link if an active account has this address. The caller answers the same
    either way, so the form does not reveal which addresses have accounts."""
    from marketplace.mail.services import send

    user = find_user(email)
    if user is None or not user.active:
        return
    raw = issue(user, "reset")
    send(user, "account.password_reset", "password_reset", _l("Reset your password"),
         reset_url=url_for("auth.reset_password", token=raw, _external=True))
    record("user.password_reset_requested", user, actor=user)


def reset_password(token: AccountToken, new_password: str) -> User:
    """Use the link: the new password is set, the link is spent, every session ends."""
    user = token.user
    spent = db.session.execute(sa.update(AccountToken).where(AccountToken.id == token.id, AccountToken.used_at.is_(None))
                               .values(used_at=utc_now())).rowcount
    if not spent:  # the same link submitted twice at once: only the first counts
        raise ValueError("token already used")
    user.password_hash = passwords.hash_password(new_password)
    user.must_set_password = False
    user.email_verified_at = user.email_verified_at or utc_now()  # the link reached this address
    end_all_sessions(user)
    record("user.password_reset", user, actor=user)
    return user


def send_verification(user: User) -> None:
    from marketplace.mail.services import send

    raw = issue(user, "verify")
    send(user, "account.verify_email", "verify_email", _l("Confirm your email address"),
         verify_url=url_for("auth.verify_email", token=raw, _external=True))


def verify(token: AccountToken) -> User:
    token.used_at = utc_now()
    token.user.email_verified_at = token.user.email_verified_at or utc_now()
    record("user.email_verified", token.user, actor=token.user)
    return token.user


def set_own_password(user: User, new_password: str) -> None:
    """The first password an account chooses itself (it was created with someone else's)."""
    if passwords.verify_password(user.password_hash, new_password):
        from marketplace.auth.services import AccountError

        raise AccountError(_l("Choose a password different from the one you were given."), "new_password")
    user.password_hash = passwords.hash_password(new_password)
    user.must_set_password = False
    end_all_sessions(user)
    record("user.password_set", user, actor=user)
