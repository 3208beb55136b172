"""Taxonomy terms: cities, industries, chains, stages, scenarios, vouchers, deployment modes."""
from __future__ import annotations

import sqlalchemy as sa
from flask_babel import get_locale
from sqlalchemy.orm import Mapped, mapped_column

from marketplace.db import Base, state_check

TERM_KINDS = ("city", "industry", "chain", "stage", "scenario", "voucher", "deployment")


class TaxonomyTerm(Base):
    __tablename__ = "taxonomy_term"
    __table_args__ = (
        sa.UniqueConstraint("kind", "code"),
        state_check("kind", TERM_KINDS),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(20), index=True)
    code: Mapped[str] = mapped_column(sa.String(40))
    label_zh: Mapped[str] = mapped_column(sa.String(120))
    label_en: Mapped[str] = mapped_column(sa.String(160))
    # Free-text synonyms/keywords (zh and en) that help the matcher infer this term.
    keywords: Mapped[str] = mapped_column(sa.Text, default="")
    sort_order: Mapped[int] = mapped_column(default=0)
    active: Mapped[bool] = mapped_column(default=True)

    @property
    def label(self) -> str:
        """Label in the request's language (falls back to Chinese outside a request)."""
        try:
            locale = str(get_locale() or "zh_CN")
        except Exception:  # outside a request context
            locale = "zh_CN"
        return self.label_en if locale.startswith("en") else self.label_zh

    def __repr__(self) -> str:
        return f"<TaxonomyTerm {self.kind}:{self.code}>"
