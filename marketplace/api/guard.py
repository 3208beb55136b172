"""What runs before every API v1 view: body checks, token authentication, scopes, rate limits.

The API is token-only: a browser's session cookie is ignored here (the caller is anonymous
without a token), so a cross-site page cannot write through the API with someone's cookie, and
token requests need no CSRF token. Without a token the caller sees exactly what an anonymous
browser sees.
"""
from __future__ import annotations

import functools
import hashlib

from flask import current_app, g, request
from flask_babel import lazy_gettext as _l

from marketplace.api import tokens
from marketplace.api.problems import fail
from marketplace.extensions import db, limiter, login_manager

WRITE_METHODS = ("POST", "PUT", "PATCH", "DELETE")


def _bearer() -> str | None:
    header = request.headers.get("Authorization")
    if header is None:
        return None
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        fail(401, _l("Use the header Authorization: Bearer <token>."))
    return value.strip()


def rate_key() -> str:
    """Per token (by the secret's hash, known before the database is read); per address without one."""
    header = request.headers.get("Authorization", "")
    if header.lower().startswith("bearer ") and header[7:].strip():
        return "api-token:" + hashlib.sha256(header[7:].strip().encode("utf-8", "surrogatepass")).hexdigest()[:32]
    return "api-anon:" + (request.remote_addr or "")


def rate_limit() -> str:
    return current_app.config.get("API_RATE_LIMIT", "120 per minute")


MAX_ID = 2**31 - 1


def check_ids() -> None:
    """An id beyond any row (or any database integer) names nothing: 404, not a database overflow."""
    for value in (request.view_args or {}).values():
        if isinstance(value, int) and not 0 < value <= MAX_ID:
            fail(404)


def check_body() -> None:
    query = request.query_string.decode("latin-1")
    if "\x00" in request.path or "\x00" in query or "%00" in query:  # PostgreSQL refuses NUL in text
        fail(400, _l("The address must not contain NUL characters."))
    if request.method not in WRITE_METHODS:
        return
    limit = current_app.config.get("API_MAX_BODY", 64 * 1024)
    if request.endpoint == "api.v1.import_start":  # a spreadsheet, base64-encoded
        from marketplace.api.list_routes import IMPORT_MAX_BODY

        limit = IMPORT_MAX_BODY
    if (request.content_length or 0) > limit:
        fail(413, _l("The request body is larger than %(limit)s bytes.", limit=limit))
    mimetype = request.mimetype or ""
    is_json = mimetype == "application/json" or mimetype.endswith("+json")
    if not is_json and (request.content_length or 0) > 0:  # (a form body may already have been parsed away)
        fail(415)
    body = request.get_data(cache=True)
    if len(body) > limit:
        fail(413, _l("The request body is larger than %(limit)s bytes.", limit=limit))
    if not body.strip():
        return
    if not is_json:
        fail(415)
    try:
        data = request.get_json(force=True)
    except Exception:  # noqa: BLE001  (werkzeug raises BadRequest with an HTML description)
        data = None
        fail(400, _l("The request body is not valid JSON."))
    if _has_nul(data):
        fail(422, _l("Text must not contain NUL characters."), errors=[])


def _has_nul(value) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_nul(v) for v in value)
    return False


def authenticate() -> None:
    g.api_token = None
    secret = _bearer()
    if secret is None:
        g._login_user = login_manager.anonymous_user()  # the cookie session does not count here
        return
    token = tokens.lookup(secret)
    if token is None:
        fail(401, _l("This token is not valid or has been revoked."))
    if tokens.touch(token, request.remote_addr or ""):
        db.session.commit()
    token.user.login_session_id = None
    g._login_user = token.user
    g.api_token = token


def endpoint(area: str, mode: str | None = None):
    """Scope check for a view: reads need a token with read (or the area's read) scope, or none at all;
    writes need a token with write (or the area's write) scope."""
    def decorate(func):
        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            wanted = mode or ("write" if request.method in WRITE_METHODS else "read")
            token = g.get("api_token")
            if wanted == "write" and token is None:
                fail(401, _l("Changes through the API need a personal access token with a write scope."))
            if not tokens.allows(token, area, wanted):
                fail(403, _l("This token's scopes do not allow this (%(scope)s needed).", scope=f"{area}:{wanted}"))
            return func(*args, **kwargs)
        # One allowance per token across the whole API (not one per endpoint).
        return limiter.shared_limit(rate_limit, scope="api-v1", key_func=rate_key)(wrapper)
    return decorate


def current_token_id() -> int | None:
    token = g.get("api_token") if g else None
    return token.id if token is not None else None
