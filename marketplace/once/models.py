"""FormSubmission: a create form's one-time token, used once."""
from __future__ import annotations

from datetime import datetime
from typing import Optional

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from marketplace.db import Base, utc_now


class FormSubmission(Base):
    __tablename__ = "form_submission"

    id: Mapped[int] = mapped_column(primary_key=True)
    token: Mapped[str] = mapped_column(sa.String(64), unique=True)
    user_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    # Where the object made by this submission lives; a re-sent form is redirected there.
    url: Mapped[str] = mapped_column(sa.String(500), default="")
    created_at: Mapped[datetime] = mapped_column(default=utc_now, index=True)
