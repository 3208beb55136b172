"""Pagination of SQLAlchemy selects, read from ?page= and ?per_page=."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from flask import current_app, request

from marketplace.cache import remembered
from marketplace.extensions import db


@dataclass
class Page:
    items: list[Any]
    page: int
    per_page: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    def window(self, size: int = 2) -> list[int | None]:
        """Page numbers to show, with None for a gap: 1 … 4 5 [6] 7 8 … 20."""
        shown = sorted({1, self.pages, *range(max(1, self.page - size), min(self.pages, self.page + size) + 1)})
        out: list[int | None] = []
        for number in shown:
            if out and number - (out[-1] or 0) > 1:
                out.append(None)
            out.append(number)
        return out


def _int_arg(name: str, default: int, low: int, high: int) -> int:
    try:
        value = int(request.args.get(name, default))
    except (TypeError, ValueError):
        value = default
    return max(low, min(high, value))


def total(query: sa.Select) -> int:
    """How many rows the query selects. A long list's total (LIST_COUNT_CACHE_MIN rows or more) is kept
    LIST_COUNT_CACHE_SECONDS per query: counting 100k open demands costs a scan (50-90 ms on PostgreSQL)
    on every page view, and a total of that size a few seconds old is not noticeable; shorter lists
    (a firm's own demands) count every time, so they stay exact."""
    count = sa.select(sa.func.count()).select_from(query.order_by(None).subquery())
    # The statement's structure and parameter values, as SQLAlchemy's own statement cache keys it (the
    # key the SQLAlchemy docs' caching recipe uses): ~100x cheaper than compiling the SQL to key on it.
    key = count._generate_cache_key()
    return remembered("list_totals", (key.key, repr([p.effective_value for p in key.bindparams])), "LIST_COUNT_CACHE_SECONDS", 30,
                      lambda: db.session.scalar(count) or 0,
                      keep=lambda n: n >= current_app.config.get("LIST_COUNT_CACHE_MIN", 1000))


def paginate(query: sa.Select, per_page: int | None = None, scalars: bool = True) -> Page:
    per_page = per_page or _int_arg("per_page", current_app.config.get("PER_PAGE", 20), 5, 100)
    total_rows = total(query)
    pages = max(1, -(-total_rows // per_page))
    page = _int_arg("page", 1, 1, pages)
    limited = query.limit(per_page).offset((page - 1) * per_page)
    result = db.session.execute(limited)
    items = list(result.scalars() if scalars else result)
    return Page(items=items, page=page, per_page=per_page, total=total_rows)


def paginate_parts(parts: list[sa.Select], per_page: int | None = None) -> Page:
    """One list made of several selects shown one after another, paged as if it were one select.
    For an order that one ORDER BY could only give by sorting every row (e.g. "best match first, then
    newest": each part is ordered by its own index); the parts must not share rows."""
    per_page = per_page or _int_arg("per_page", current_app.config.get("PER_PAGE", 20), 5, 100)
    totals = [total(part) for part in parts]
    pages = max(1, -(-sum(totals) // per_page))
    page = _int_arg("page", 1, 1, pages)
    skip, items = (page - 1) * per_page, []
    for part, rows in zip(parts, totals):
        if skip < rows and len(items) < per_page:
            items += db.session.scalars(part.limit(per_page - len(items)).offset(skip)).all()
        skip = max(0, skip - rows)
    return Page(items=items, page=page, per_page=per_page, total=sum(totals))
