"""Used one-time tokens are kept KEEP_DAYS: long enough for any double click, replay or back-and-resubmit."""
from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from marketplace.db import utc_now
from marketplace.extensions import db
from marketplace.jobs import periodic
from marketplace.once.models import FormSubmission

KEEP_DAYS = 30


@periodic("once.forget_old_tokens", minute="17", hour="3")
def forget_old_tokens() -> None:
    db.session.execute(sa.delete(FormSubmission).where(FormSubmission.created_at < utc_now() - timedelta(days=KEEP_DAYS)))
