"""Declarative base with a naming convention, shared mixins and time helpers."""
from __future__ import annotations

from datetime import datetime, timezone

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utc_now() -> datetime:
    """Naive UTC timestamp; stored the same way on SQLite and PostgreSQL."""
    return datetime.now(timezone.utc).replace(tzinfo=None)


class Base(DeclarativeBase):
    metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)


class TimestampMixin:
    created_at: Mapped[datetime] = mapped_column(default=utc_now, nullable=False)
    updated_at: Mapped[datetime] = mapped_column(default=utc_now, onupdate=utc_now, nullable=False)


def state_check(column: str, states: tuple[str, ...], name: str | None = None) -> sa.CheckConstraint:
    """CHECK constraint that keeps a status column within its known states."""
    allowed = ", ".join(f"'{s}'" for s in states)
    return sa.CheckConstraint(f"{column} IN ({allowed})", name=name or f"{column}_valid")


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, connection_record):  # pragma: no cover - trivial
    # SQLite: enforce foreign keys, use WAL so readers do not block the writer.
    if type(dbapi_connection).__module__.startswith("sqlite3"):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=5000")
        cursor.close()


def link_table(name: str, left: str, right: str, left_col: str | None = None, right_col: str = "term_id") -> sa.Table:
    """A many-to-many association table (both sides cascade on delete), e.g. demand ↔ taxonomy term."""
    left_col = left_col or f"{left}_id"
    right_table = "taxonomy_term" if right_col == "term_id" else right
    return sa.Table(
        name,
        Base.metadata,
        sa.Column(left_col, sa.ForeignKey(f"{left}.id", ondelete="CASCADE"), primary_key=True),
        sa.Column(right_col, sa.ForeignKey(f"{right_table}.id", ondelete="CASCADE"), primary_key=True),
    )
