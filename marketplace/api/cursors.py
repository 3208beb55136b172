"""Opaque cursors for list endpoints. A cursor carries the position after the last item sent and the
order it was sent in; a cursor that was tampered with or belongs to another order is refused (400)."""
from __future__ import annotations

import base64
import json

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from marketplace.api.problems import fail
from marketplace.extensions import db

BAD_CURSOR = _l("This cursor is not valid. Start again without a cursor, then follow next_cursor.")


def encode(position: int, order: str) -> str:
    raw = json.dumps({"p": position, "o": order}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode(cursor: str | None, order: str) -> int:
    if not cursor:
        return 0
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        data = json.loads(raw)
        position = data["p"]
        if not isinstance(position, int) or isinstance(position, bool) or not 0 <= position <= 10**7 or data["o"] != order:
            raise ValueError
    except (ValueError, KeyError, TypeError, UnicodeDecodeError):
        fail(400, BAD_CURSOR)
    return position


def page(query: sa.Select, cursor: str | None, limit: int, order: str = "") -> tuple[list, str | None]:
    """One page of `query` (already ordered, with a unique last sort key) and the cursor of the next."""
    start = decode(cursor, order)
    rows = list(db.session.scalars(query.offset(start).limit(limit + 1)))
    more = len(rows) > limit
    return rows[:limit], encode(start + limit, order) if more else None
