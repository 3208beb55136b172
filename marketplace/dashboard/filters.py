"""Reading the dashboard (and export) filters from the query string."""
from __future__ import annotations

from datetime import date

from flask_login import current_user

from marketplace.dashboard.queries import GROUPS, Filters
from marketplace.taxonomy.services import by_code

ALL = "all"


def _month(value: str | None) -> date | None:
    """'2026-03' → date(2026, 3, 1); anything else → None."""
    try:
        year, month = (int(part) for part in (value or "").split("-"))
        return date(year, month, 1) if 2000 <= year <= 2100 and 1 <= month <= 12 else None
    except ValueError:
        return None


def _next_month(day: date) -> date:
    return date(day.year + day.month // 12, day.month % 12 + 1, 1)


def default_city_code(user) -> str:
    """A bureau sees its own city unless it asks for another (or all); admins see all."""
    org = getattr(user, "org", None)
    if user.is_authenticated and not user.is_admin and org is not None and org.city is not None:
        return org.city.code
    return ALL


def city_code(args) -> str:
    return args.get("city") or default_city_code(current_user)


def parse(args) -> Filters:
    def term_id(kind: str, code: str | None):
        term = by_code(kind, code) if code and code != ALL else None
        return term.id if term else None

    start, last = _month(args.get("from")), _month(args.get("to"))
    return Filters(
        city_id=term_id("city", city_code(args)),
        chain_id=term_id("chain", args.get("chain")),
        industry_id=term_id("industry", args.get("industry")),
        scenario_id=term_id("scenario", args.get("scenario")),
        start=start, end=_next_month(last) if last else None,
        group=args.get("group") if args.get("group") in GROUPS else "chain",
    )
