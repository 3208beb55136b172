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


def _count(query: sa.Select) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(query.order_by(None).subquery())) or 0


def _statement_key(query: sa.Select) -> tuple | None:
    """The statement's shape and its parameters (what SQLAlchemy's own statement cache keys on): two
    visitors share a cached count or ranking only when they ask the same question. None when not cacheable."""
    cache_key = query._generate_cache_key()
    if cache_key is None:
        return None
    return cache_key.key, tuple(repr(p.effective_value) for p in cache_key.bindparams)


def _total(query: sa.Select, shared: bool) -> int:
    key = _statement_key(query.order_by(None)) if shared else None
    if key is None:
        return _count(query)
    return remembered("browse_totals", key, "BROWSE_COUNT_CACHE_SECONDS", 30, lambda: _count(query))


def _page_of(query: sa.Select, eager: tuple, offset: int, limit: int, shared_ranking: bool = False) -> list[Any]:
    """The page's ids first, then those rows with what they show (`eager` loader options): the database
    sorts and cuts bare rows, and joins related rows only for the page, not for every match it sorted.
    The rows are read through the query's own conditions, so a kept ranking never shows a row that
    has since become hidden."""
    entity = query.column_descriptions[0]["entity"]
    key = sa.inspect(entity).primary_key[0]
    ids_query = query.with_only_columns(key)
    ids = _shared_ranking(ids_query, offset, limit) if shared_ranking else None
    if ids is None:
        ids = list(db.session.scalars(ids_query.limit(limit).offset(offset)))
    if not ids:
        return []
    rows = {getattr(row, key.key): row
            for row in db.session.scalars(query.order_by(None).where(key.in_(ids)).options(*eager))}
    return [rows[i] for i in ids if i in rows]


SHARED_RANKING_ROWS = 500  # the first 25 pages of 20: the pages people read


def _shared_ranking(ids_query: sa.Select, offset: int, limit: int) -> list | None:
    """The ids of a keyword search's first SHARED_RANKING_ROWS results, kept per statement and
    parameters for SEARCH_CACHE_SECONDS: scoring every demand's text is most of a search's cost, and
    the same few searches are run again and again. None past those rows or when not cacheable."""
    if offset + limit > SHARED_RANKING_ROWS:
        return None
    cache_key = _statement_key(ids_query)
    if cache_key is None:
        return None
    ranked = remembered("search_rankings", cache_key, "SEARCH_CACHE_SECONDS", 30,
                        lambda: list(db.session.scalars(ids_query.limit(SHARED_RANKING_ROWS))))
    return ranked[offset:offset + limit]


def paginate(query: sa.Select, per_page: int | None = None, scalars: bool = True, shared_total: bool = False,
             eager: tuple | None = None, shared_ranking: bool = False) -> Page:
    """shared_total: the market-wide browse pages, where counting every open row on each view is the
    largest cost and a total up to BROWSE_COUNT_CACHE_SECONDS old is acceptable (the rows are live).
    eager: loader options for a select of one entity, applied to the page's rows only (_page_of).
    shared_ranking (with eager): a keyword search's order of results kept briefly (_shared_ranking)."""
    per_page = per_page or _int_arg("per_page", current_app.config.get("PER_PAGE", 20), 5, 100)
    total = _total(query, shared_total)
    pages = max(1, -(-total // per_page))
    page = _int_arg("page", 1, 1, pages)
    offset = (page - 1) * per_page
    if eager is not None:
        return Page(items=_page_of(query, eager, offset, per_page, shared_ranking), page=page, per_page=per_page, total=total)
    limited = query.limit(per_page).offset(offset)
    result = db.session.execute(limited)
    items = list(result.scalars() if scalars else result)
    return Page(items=items, page=page, per_page=per_page, total=total)


def paginate_parts(parts: list[sa.Select], per_page: int | None = None, shared_total: bool = False,
                   eager: tuple | None = None) -> Page:
    """One list made of several selects shown one after another, paged as if it were one select
    (shared_total and eager as for paginate). For an order one ORDER BY could only give by sorting every
    row (e.g. "best match first, then newest", each part read in its own index's order); the parts must
    not share rows."""
    per_page = per_page or _int_arg("per_page", current_app.config.get("PER_PAGE", 20), 5, 100)
    totals = [_total(part, shared_total) for part in parts]
    pages = max(1, -(-sum(totals) // per_page))
    page = _int_arg("page", 1, 1, pages)
    skip, items = (page - 1) * per_page, []
    for part, rows in zip(parts, totals):
        if skip < rows and len(items) < per_page:
            if eager is not None:
                items += _page_of(part, eager, skip, per_page - len(items))
            else:
                items += db.session.scalars(part.limit(per_page - len(items)).offset(skip)).all()
        skip = max(0, skip - rows)
    return Page(items=items, page=page, per_page=per_page, total=sum(totals))
