"""One-time form tokens: a double-clicked or re-sent create form makes one object.

The create form carries a fresh token; after the object is made, the token is remembered in
the session with the object's address, and a second submit with the same token is sent there.
"""
from __future__ import annotations

import secrets

from flask import session

KEY = "form_once"
KEEP = 30


def new_token() -> str:
    return secrets.token_urlsafe(16)


def done_url(token: str | None) -> str | None:
    """Where the object made with this token lives, if the token was used already."""
    if not token:
        return None
    return session.get(KEY, {}).get(token)


def remember(token: str | None, url: str) -> None:
    if not token:
        return
    used = dict(session.get(KEY, {}))
    used[token] = url
    session[KEY] = dict(list(used.items())[-KEEP:])
