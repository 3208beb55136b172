"""Keyword filters for browse pages (substring match, which suits Chinese without a tokenizer)."""
from __future__ import annotations

import sqlalchemy as sa

MAX_TERMS = 8


def escape_like(term: str) -> str:
    return term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def keyword_filter(q: str | None, *columns) -> sa.ColumnElement[bool] | None:
    """Every whitespace-separated term must occur in at least one of the columns."""
    terms = [t for t in (q or "").split() if t][:MAX_TERMS]
    if not terms:
        return None
    clauses = []
    for term in terms:
        pattern = f"%{escape_like(term[:100])}%"
        clauses.append(sa.or_(*(col.ilike(pattern, escape="\\") for col in columns)))
    return sa.and_(*clauses)
