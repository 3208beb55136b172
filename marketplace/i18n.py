"""Locale selection and the per-area translation catalogs.

Each area keeps its own catalog in marketplace/translations/<area>/ so areas can be
translated independently; Flask-Babel merges every directory listed here.
"""
from __future__ import annotations

from pathlib import Path

from flask import current_app, request, session
from flask_login import current_user

TRANSLATIONS_ROOT = Path(__file__).resolve().parent / "translations"
LOCALE_COOKIE = "locale"


def translation_directories() -> list[str]:
    if not TRANSLATIONS_ROOT.exists():
        return [str(TRANSLATIONS_ROOT)]
    return sorted(str(p) for p in TRANSLATIONS_ROOT.iterdir() if p.is_dir()) or [str(TRANSLATIONS_ROOT)]


def supported(locale: str | None) -> str | None:
    return locale if locale in current_app.config["LANGUAGES"] else None


def select_locale() -> str:
    """Session choice, then the signed-in user's preference, then the cookie; Chinese by default.
    The JSON API (no session) follows Accept-Language first."""
    if request.path.startswith("/api/"):
        best = request.accept_languages.best_match(["zh-CN", "zh", "en"])
        if best:
            return "en" if best == "en" else "zh_CN"
    choice = supported(session.get("locale"))
    if choice:
        return choice
    if current_user and current_user.is_authenticated and supported(current_user.locale):
        return current_user.locale
    return supported(request.cookies.get(LOCALE_COOKIE)) or current_app.config["BABEL_DEFAULT_LOCALE"]


def is_english() -> bool:
    from flask_babel import get_locale

    locale = get_locale()  # read per call, not cached: force_locale() renders mail in the recipient's language
    return locale is not None and locale.language == "en"
