"""One-time form tokens: a double-clicked or re-sent create form makes one object.

The GET that renders a create form issues a token kept in the session; the POST that creates
the object consumes it. A second POST with the same token finds it gone and is refused.
"""
from __future__ import annotations

import secrets

from flask import session

KEY = "form_nonces"
KEEP = 20  # tokens kept per session (several tabs may be open)


def issue() -> str:
    token = secrets.token_urlsafe(16)
    tokens = [t for t in session.get(KEY, []) if t != token][-(KEEP - 1):]
    session[KEY] = tokens + [token]
    return token


def is_fresh(token: str | None) -> bool:
    return bool(token) and token in session.get(KEY, [])


def consume(token: str | None) -> bool:
    """True the first time a token issued to this session is used; False afterwards."""
    tokens = session.get(KEY, [])
    if not token or token not in tokens:
        return False
    session[KEY] = [t for t in tokens if t != token]
    return True
