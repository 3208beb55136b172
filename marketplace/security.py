"""Request and response rules that hold for every page: no NUL bytes in input, security headers,
the remember-me cookie, and the client address behind a configured number of proxies."""
from __future__ import annotations

from datetime import timedelta

from flask import Flask, request
from flask_babel import gettext as _
from werkzeug.middleware.proxy_fix import ProxyFix

# Scripts and styles only from our own static files: no inline <script>, no on…= handlers, no eval.
# Inline style *attributes* stay allowed (progress bar widths); <style> elements do not.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; style-src-attr 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'self'; "
    "form-action 'self'; frame-ancestors 'none'"
)
PERMISSIONS_POLICY = "camera=(), microphone=(), geolocation=(), payment=(), usb=(), browsing-topics=()"
HSTS = "max-age=31536000; includeSubDomains"
MAX_REMEMBER = timedelta(days=30)


def init_app(app: Flask) -> None:
    # The remember-me cookie follows the session cookie's Secure flag and lasts at most 30 days.
    app.config.setdefault("REMEMBER_COOKIE_SECURE", app.config.get("SESSION_COOKIE_SECURE", False))
    app.config["REMEMBER_COOKIE_DURATION"] = min(app.config.get("REMEMBER_COOKIE_DURATION") or MAX_REMEMBER, MAX_REMEMBER)
    hops = int(app.config.get("PROXY_FIX_HOPS") or 0)
    if hops > 0:  # trust exactly this many proxies' X-Forwarded-For/-Proto, never more
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)
    app.before_request(refuse_nul_bytes)
    app.after_request(security_headers)


def _has_nul(multidict) -> bool:
    return any("\x00" in key or "\x00" in value for key, value in multidict.items(multi=True) if isinstance(value, str))


def refuse_nul_bytes():
    """A NUL character is never meaningful input, and PostgreSQL refuses it in text (a 500 before this)."""
    from marketplace.errors import fail

    if "\x00" in request.path or _has_nul(request.args) or (request.method != "GET" and _has_nul(request.form)):
        fail(400, _("The request contains a NUL character (\\0), which is not allowed in any field. "
                    "Please remove it and try again."))


def security_headers(response):
    headers = response.headers
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("Referrer-Policy", "same-origin")
    headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    headers.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
    from flask import current_app

    if current_app.config.get("SESSION_COOKIE_SECURE"):
        headers.setdefault("Strict-Transport-Security", HSTS)
    if request.endpoint != "static" and _logged_in():
        # Pages of a signed-in user may hold private data: no browser or proxy keeps a copy.
        if "no-store" not in headers.get("Cache-Control", ""):
            headers["Cache-Control"] = "private, no-store"
    return response


def _logged_in() -> bool:
    from flask_login import current_user

    try:
        return bool(current_user and current_user.is_authenticated)
    except Exception:  # no user loaded (e.g. an error before the session was read)
        return False
