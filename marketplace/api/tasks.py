"""API housekeeping: stored idempotent answers are kept for a day (long enough for any client's retries)."""
from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from marketplace.api.models import IdempotentRequest
from marketplace.db import utc_now
from marketplace.extensions import db
from marketplace.jobs import periodic

KEEP_IDEMPOTENT_ANSWERS = timedelta(hours=24)


@periodic("api.prune_idempotent_requests", minute="20", hour="*")
def prune_idempotent_requests() -> int:
    result = db.session.execute(sa.delete(IdempotentRequest).where(
        IdempotentRequest.created_at < utc_now() - KEEP_IDEMPOTENT_ANSWERS))
    return result.rowcount
