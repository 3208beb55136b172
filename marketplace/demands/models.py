"""Demand lists (需求清单) and demands."""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Optional

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace.db import Base, TimestampMixin, link_table, state_check, utc_now

if TYPE_CHECKING:
    from marketplace.auth.models import User
    from marketplace.orgs.models import Organisation
    from marketplace.pools.models import Pool
    from marketplace.taxonomy.models import TaxonomyTerm

DEMAND_STATUSES = ("draft", "open", "awarded", "closed", "cancelled")
VISIBILITIES = ("public", "pool")
LIST_STATUSES = ("draft", "published")

demand_scenario = sa.Table(
    "demand_scenario",
    Base.metadata,
    sa.Column("demand_id", sa.ForeignKey("demand.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("term_id", sa.ForeignKey("taxonomy_term.id", ondelete="CASCADE"), primary_key=True),
    # True: stored from the text by `flask demands infer-scenarios`, not yet confirmed by the firm
    # (saving the demand's form confirms them: demands/services.py).
    sa.Column("inferred", sa.Boolean, nullable=False, default=False, server_default=sa.false()),
)
demand_voucher = link_table("demand_voucher", "demand", "taxonomy_term")


class DemandList(TimestampMixin, Base):
    __tablename__ = "demand_list"
    __table_args__ = (state_check("status", LIST_STATUSES),)

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(sa.String(200))
    description: Mapped[str] = mapped_column(sa.Text, default="")
    # A bureau, a chain-leader firm or a single firm publishes a list.
    publisher_org_id: Mapped[int] = mapped_column(sa.ForeignKey("organisation.id"), index=True)
    chain_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("taxonomy_term.id"))
    city_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("taxonomy_term.id"))
    status: Mapped[str] = mapped_column(sa.String(12), default="draft")
    is_demo: Mapped[bool] = mapped_column(default=False)
    published_at: Mapped[Optional[datetime]] = mapped_column()
    created_by_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("user_account.id"))

    publisher: Mapped["Organisation"] = relationship()
    chain: Mapped[Optional["TaxonomyTerm"]] = relationship(foreign_keys=[chain_id])
    city: Mapped[Optional["TaxonomyTerm"]] = relationship(foreign_keys=[city_id])
    demands: Mapped[list["Demand"]] = relationship(back_populates="demand_list", order_by="Demand.id")


class Demand(TimestampMixin, Base):
    __tablename__ = "demand"
    __table_args__ = (
        state_check("status", DEMAND_STATUSES),
        state_check("visibility", VISIBILITIES),
        sa.CheckConstraint(
            "budget_min IS NULL OR budget_max IS NULL OR budget_min <= budget_max", name="budget_order"
        ),
        sa.CheckConstraint("budget_min IS NULL OR budget_min >= 0", name="budget_min_nonneg"),
        sa.CheckConstraint("visibility = 'public' OR pool_id IS NOT NULL", name="pool_visibility_has_pool"),
        sa.CheckConstraint("status <> 'cancelled' OR cancel_reason <> ''", name="cancel_has_reason"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # The firm that owns the demand. For a chain list published on behalf of firms, the
    # bureau creates it with owner_confirmed=False and the firm confirms or claims it.
    org_id: Mapped[int] = mapped_column(sa.ForeignKey("organisation.id"), index=True)
    owner_confirmed: Mapped[bool] = mapped_column(default=True)
    list_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("demand_list.id", ondelete="SET NULL"), index=True)
    title: Mapped[str] = mapped_column(sa.String(200))
    description: Mapped[str] = mapped_column(sa.Text, default="")
    industry_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("taxonomy_term.id"), index=True)
    chain_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("taxonomy_term.id"), index=True)
    stage_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("taxonomy_term.id"))
    city_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("taxonomy_term.id"), index=True)
    # Budget in 万元 (10,000 CNY).
    budget_min: Mapped[Optional[Decimal]] = mapped_column(sa.Numeric(12, 2))
    budget_max: Mapped[Optional[Decimal]] = mapped_column(sa.Numeric(12, 2))
    deadline: Mapped[Optional[date]] = mapped_column()
    visibility: Mapped[str] = mapped_column(sa.String(10), default="public")
    pool_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("pool.id", ondelete="SET NULL"))
    status: Mapped[str] = mapped_column(sa.String(12), default="draft", index=True)
    cancel_reason: Mapped[str] = mapped_column(sa.Text, default="")
    is_demo: Mapped[bool] = mapped_column(default=False)
    published_at: Mapped[Optional[datetime]] = mapped_column()
    closed_at: Mapped[Optional[datetime]] = mapped_column()
    created_by_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("user_account.id"))
    # Optimistic locking: a stale edit raises StaleDataError instead of overwriting.
    version: Mapped[int] = mapped_column(default=1)
    __mapper_args__ = {"version_id_col": version}

    org: Mapped["Organisation"] = relationship()
    demand_list: Mapped[Optional[DemandList]] = relationship(back_populates="demands")
    industry: Mapped[Optional["TaxonomyTerm"]] = relationship(foreign_keys=[industry_id])
    chain: Mapped[Optional["TaxonomyTerm"]] = relationship(foreign_keys=[chain_id])
    stage: Mapped[Optional["TaxonomyTerm"]] = relationship(foreign_keys=[stage_id])
    city: Mapped[Optional["TaxonomyTerm"]] = relationship(foreign_keys=[city_id])
    pool: Mapped[Optional["Pool"]] = relationship()
    scenarios: Mapped[list["TaxonomyTerm"]] = relationship(secondary=demand_scenario)
    vouchers: Mapped[list["TaxonomyTerm"]] = relationship(secondary=demand_voucher)
    created_by: Mapped[Optional["User"]] = relationship()

    @property
    def is_open(self) -> bool:
        return self.status == "open"

    def __repr__(self) -> str:
        return f"<Demand {self.id} {self.status} {self.title!r}>"


class Bookmark(Base):
    """A provider keeps an eye on an open demand."""

    __tablename__ = "bookmark"
    __table_args__ = (sa.UniqueConstraint("org_id", "demand_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(sa.ForeignKey("organisation.id", ondelete="CASCADE"), index=True)
    demand_id: Mapped[int] = mapped_column(sa.ForeignKey("demand.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("user_account.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utc_now)

    demand: Mapped[Demand] = relationship()

from marketplace.demands.import_models import DemandImport  # noqa: E402,F401  (the import area keeps its model apart)
