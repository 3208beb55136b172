"""Stored embeddings (recomputed only when the model or the text changes) and stored matches."""
from __future__ import annotations

from datetime import datetime

import numpy as np
import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from marketplace.db import Base, state_check, utc_now


class Embedding(Base):
    __tablename__ = "embedding"
    __table_args__ = (
        sa.UniqueConstraint("object_type", "object_id", "model_name"),
        state_check("object_type", ("demand", "offering")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    object_type: Mapped[str] = mapped_column(sa.String(10))
    object_id: Mapped[int] = mapped_column()
    model_name: Mapped[str] = mapped_column(sa.String(200))
    text_hash: Mapped[str] = mapped_column(sa.String(64))
    dim: Mapped[int] = mapped_column()
    vector: Mapped[bytes] = mapped_column(sa.LargeBinary)
    updated_at: Mapped[datetime] = mapped_column(default=utc_now, onupdate=utc_now, index=True)

    def as_array(self) -> np.ndarray:
        return np.frombuffer(self.vector, dtype=np.float32, count=self.dim)


class Match(Base):
    """One stored demand–offering pairing, scored as the demand's ranking scores it (the score the
    "why this match" page shows), so pages read ranked lists and counts with SQL instead of ranking."""
    __tablename__ = "match"
    __table_args__ = (
        sa.UniqueConstraint("demand_id", "offering_id"),
        sa.Index("ix_match_demand_score", "demand_id", "score"),        # a demand's top offerings, its counts
        sa.Index("ix_match_offering_score", "offering_id", "score"),    # an offering's top demands
        sa.Index("ix_match_provider_demand", "provider_org_id", "demand_id", "score"),  # a provider's opportunities
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    demand_id: Mapped[int] = mapped_column(sa.ForeignKey("demand.id", ondelete="CASCADE"))
    offering_id: Mapped[int] = mapped_column(sa.ForeignKey("offering.id", ondelete="CASCADE"))
    provider_org_id: Mapped[int] = mapped_column(sa.ForeignKey("organisation.id", ondelete="CASCADE"))
    score: Mapped[float] = mapped_column(sa.Float)
    signals: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    reasons: Mapped[list] = mapped_column(sa.JSON, default=list)  # [{"code", "zh", "en"}, ...]
    model_name: Mapped[str] = mapped_column(sa.String(200))
    matcher_version: Mapped[str] = mapped_column(sa.String(40))
    computed_at: Mapped[datetime] = mapped_column(default=utc_now)


class MatchState(Base):
    """When an item's matches were last computed, and by which model and matcher: an item whose
    row changed after computed_at (or that has no state yet) shows "matching…"."""
    __tablename__ = "match_state"
    __table_args__ = (
        sa.UniqueConstraint("object_type", "object_id"),
        state_check("object_type", ("demand", "offering")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    object_type: Mapped[str] = mapped_column(sa.String(10))
    object_id: Mapped[int] = mapped_column()
    model_name: Mapped[str] = mapped_column(sa.String(200))
    matcher_version: Mapped[str] = mapped_column(sa.String(40), index=True)
    computed_at: Mapped[datetime] = mapped_column(default=utc_now)


# Indexes for the sorts and the incremental index sync (updated_at) of the tables the matcher
# reads; declared here, beside the queries that need them, so the demands and offerings models stay as they are.
def _indexes() -> None:
    from marketplace.demands.models import Demand
    from marketplace.offerings.models import Offering

    demand, offering = Demand.__table__.c, Offering.__table__.c  # columns, without configuring the mappers yet
    sa.Index("ix_demand_status_published_at", demand.status, demand.published_at)
    # The lists' "newest first" (demands/queries.py SORTS) in its own order: PostgreSQL cannot serve
    # DESC NULLS LAST from an ascending index and would sort every matching demand for a page of 20.
    sa.Index("ix_demand_newest", demand.published_at.desc().nulls_last(), demand.id.desc())
    sa.Index("ix_demand_updated_at", demand.updated_at)
    sa.Index("ix_offering_status_published_at", offering.status, offering.published_at)
    sa.Index("ix_offering_updated_at", offering.updated_at)


_indexes()
