"""Declarative base with a naming convention, shared mixins and time helpers."""
from __future__ import annotations

from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime, timezone

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.schema import CreateIndex

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


@compiles(CreateIndex, "sqlite")
def _sqlite_create_index(create, compiler, **kw) -> str:
    # An index in a sort order such as `published_at DESC NULLS LAST` (what PostgreSQL needs to
    # serve that ORDER BY): SQLite refuses NULLS in CREATE INDEX and puts NULLs last in DESC anyway.
    return compiler.visit_create_index(create, **kw).replace(" NULLS LAST", "")


SQLITE_BUSY_TIMEOUT_MS = 15_000


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, connection_record):  # pragma: no cover - trivial
    # SQLite: enforce foreign keys, use WAL so readers do not block the writer, and let a writer
    # wait up to 15 s for another to finish. The driver's own transaction handling is switched
    # off so that _sqlite_begin below decides how each transaction begins.
    if type(dbapi_connection).__module__.startswith("sqlite3"):
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.close()


@event.listens_for(Engine, "begin")
def _sqlite_begin(connection) -> None:
    """On SQLite, a transaction that may write takes the write lock when it begins (BEGIN
    IMMEDIATE), so concurrent writers queue on the busy timeout instead of failing with
    "database is locked" when a read transaction tries to become a write one (SQLite cannot
    wait there). GET requests only read, and begin deferred, so readers never queue."""
    if connection.dialect.name == "sqlite" and not connection.connection.dbapi_connection.in_transaction:
        # (Already in one only where sessions share one connection: the tests' in-memory database.)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if _may_write() else "BEGIN")


_READ_PHASE: ContextVar[bool] = ContextVar("sqlite_read_phase", default=False)


@contextmanager
def read_phase():
    """Transactions that begin inside this block only read, so on SQLite they begin deferred and
    hold no write lock. For the slow part of a job or a loading thread (reading rows, encoding,
    ranking): read here, end the transaction (commit), then write in a short one. A write inside
    the block would fail on SQLite as soon as another writer got in first (SQLITE_BUSY_SNAPSHOT)."""
    token = _READ_PHASE.set(True)
    try:
        yield
    finally:
        _READ_PHASE.reset(token)


def _may_write() -> bool:
    from flask import has_request_context, request

    if _READ_PHASE.get():
        return False
    return not has_request_context() or request.method not in ("GET", "HEAD", "OPTIONS")


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
