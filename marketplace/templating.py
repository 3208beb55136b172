"""Jinja globals and filters shared by every template."""
from __future__ import annotations

from datetime import date, datetime
from functools import lru_cache

from babel.dates import format_date as babel_format_date

from flask import Flask, request, url_for
from flask_babel import format_datetime, get_locale
from jinja2 import pass_context
from flask_login import current_user
from markupsafe import Markup

from marketplace.i18n import is_english
from marketplace.matching.text import format_amount, format_amount_range
from marketplace.navigation import role_nav, status_colour, status_label


def term_label(term, english: bool | None = None) -> str:
    if term is None:
        return ""
    if english is None:
        english = is_english()
    return term.label_en if english else term.label_zh


@pass_context
def term_filter(context, term) -> str:
    """`term|term`: the language is read once per render (the `english` context value), not per label."""
    return term_label(term, context.get("english"))


def money(value) -> str:
    """Amounts are kept in 万元 (10,000 CNY): "50 万元", or "¥500k" / "¥1.5M" in English."""
    return format_amount(value, is_english())


def money_range(low, high) -> str:
    from flask_babel import gettext as _

    if low is None and high is None:
        return _("Not stated")
    if low is None:
        return _("up to %(amount)s", amount=money(high))
    if high is None:
        return _("from %(amount)s", amount=money(low))
    return format_amount_range(low, high, is_english())


def url_with(**changes) -> str:
    """The current URL with some query arguments changed (None removes one); page resets unless given."""
    args = request.args.to_dict(flat=False)
    if "page" not in changes:
        args.pop("page", None)
    for key, value in changes.items():
        if value is None or value == "":
            args.pop(key, None)
        else:
            args[key] = value
    return url_for(request.endpoint, **(request.view_args or {}), **args)


def _date(value, format="medium") -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        if format == "medium":  # to the minute, written the same way as plain dates
            format = "MMM d, yyyy HH:mm" if is_english() else "yyyy年M月d日 HH:mm"
        return format_datetime(value, format)
    if isinstance(value, date):
        return _plain_date(value, format, str(get_locale()))
    return str(value)


@lru_cache(maxsize=4096)
def _plain_date(value: date, format: str, locale: str) -> str:
    """Dates repeat down a list (deadlines, days); Babel's formatting is the costly part of a row."""
    return babel_format_date(value, format, locale=locale)


def unread_notifications() -> int:
    if not current_user.is_authenticated:
        return 0
    from marketplace.notifications.services import unread_count

    return unread_count(current_user)


def nl2br(text: str) -> Markup:
    """Line breaks kept, everything else escaped."""
    escaped = Markup.escape(text or "")
    return Markup("<br>").join(escaped.split("\n"))


def init_app(app: Flask) -> None:
    from marketplace.search import highlight, snippet

    app.jinja_env.filters.update(term=term_filter, money=money, date=_date, nl2br=nl2br, highlight=highlight, snippet=snippet)
    app.jinja_env.globals.update(
        money_range=money_range, url_with=url_with, term_label=term_label, is_english=is_english,
        unread_notifications=unread_notifications, get_locale=get_locale,
        role_nav=role_nav, status_label=status_label, status_colour=status_colour,
    )
    # Read once per render (term_filter); force_locale() renders mail in its own language, and its
    # render_template call runs this again inside it.
    app.context_processor(lambda: {"english": is_english()})
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
