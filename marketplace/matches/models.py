"""Stored embeddings: recomputed only when the model or the text changes."""
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
