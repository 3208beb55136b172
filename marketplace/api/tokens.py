"""Personal access tokens: make (the secret is returned once), look up by hash, revoke. Flush, never commit."""
from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from marketplace.api.models import ApiToken
from marketplace.audit.services import record
from marketplace.db import utc_now
from marketplace.extensions import db

TOKEN_PREFIX = "mkt_"
# Areas a token may be limited to; "read" and "write" alone cover every area.
AREAS = ("demands", "offerings", "bids", "pools", "notifications", "webhooks")
SCOPE_LABELS = {
    "read": _l("Read everything you can see"),
    "write": _l("Make changes in every area"),
    **{f"{area}:read": label for area, label in (
        ("demands", _l("Read demands and demand lists")), ("offerings", _l("Read offerings")),
        ("bids", _l("Read bids")), ("pools", _l("Read pools and applications")),
        ("notifications", _l("Read notifications")), ("webhooks", _l("Read webhooks")))},
    **{f"{area}:write": label for area, label in (
        ("demands", _l("Change demands")), ("offerings", _l("Change offerings")), ("bids", _l("Submit and decide bids")),
        ("pools", _l("Apply to pools and decide applications")), ("notifications", _l("Mark notifications read")),
        ("webhooks", _l("Register webhooks")))},
}
SCOPES = tuple(SCOPE_LABELS)


def hash_secret(secret: str) -> str:
    # The secret is 256 random bits, so a fast hash is enough (no dictionary to guess from).
    return hashlib.sha256(secret.encode("utf-8", "surrogatepass")).hexdigest()


def create_token(user, name: str, scopes: list[str]) -> tuple[ApiToken, str]:
    scopes = [s for s in SCOPES if s in set(scopes)]
    if not scopes:
        raise ValueError(str(_l("Choose at least one scope.")))
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(user_id=user.id, name=name.strip()[:80], prefix=secret[:12], token_hash=hash_secret(secret),
                     scopes=scopes)
    db.session.add(token)
    db.session.flush()
    record("api_token.create", token, actor=user, name=token.name, scopes=scopes)
    return token, secret


def lookup(secret: str) -> ApiToken | None:
    """The active token for this secret, with an active user; None otherwise."""
    if not secret.startswith(TOKEN_PREFIX) or len(secret) > 100:
        return None
    token = db.session.scalar(sa.select(ApiToken).where(ApiToken.token_hash == hash_secret(secret)))
    if token is None or not token.is_active or not token.user.active:
        return None
    return token


TOUCH_EVERY = timedelta(minutes=1)


def touch(token: ApiToken, ip_address: str) -> bool:
    """Record the last use, at most once a minute (a busy token does not write on every request)."""
    now = utc_now()
    if token.last_used_at is not None and now - token.last_used_at < TOUCH_EVERY and token.last_used_ip == ip_address[:45]:
        return False
    token.last_used_at = now
    token.last_used_ip = (ip_address or "")[:45]
    return True


def revoke(token: ApiToken, user) -> None:
    if token.revoked_at is None:
        token.revoked_at = utc_now()
        db.session.flush()
        record("api_token.revoke", token, actor=user, name=token.name)


def allows(token: ApiToken | None, area: str, mode: str) -> bool:
    """Whether the token's scopes allow `mode` (read|write) in `area`; write implies read."""
    if token is None:
        return mode == "read"
    scopes = set(token.scopes or ())
    wanted = {mode, f"{area}:{mode}"}
    if mode == "read":
        wanted |= {"write", f"{area}:write"}
    return bool(scopes & wanted)


def user_tokens(user) -> list[ApiToken]:
    return list(db.session.scalars(sa.select(ApiToken).where(ApiToken.user_id == user.id)
                                   .order_by(ApiToken.revoked_at.is_not(None), ApiToken.id.desc())))
