"""Provider pools run by bureaus, their rubric, applications, scores and attachments."""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Optional

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace.db import Base, TimestampMixin, link_table, state_check, utc_now

if TYPE_CHECKING:
    from marketplace.auth.models import User
    from marketplace.files.models import StoredFile
    from marketplace.offerings.models import Offering
    from marketplace.orgs.models import Organisation
    from marketplace.taxonomy.models import TaxonomyTerm

POOL_STATUSES = ("draft", "open", "closed", "archived")
APPLICATION_STATUSES = ("submitted", "under_review", "admitted", "rejected", "withdrawn", "suspended", "removed")
LIVE_APPLICATION_STATUSES = ("submitted", "under_review", "admitted", "suspended")

pool_industry = link_table("pool_industry", "pool", "taxonomy_term")
pool_scenario = link_table("pool_scenario", "pool", "taxonomy_term")
application_offering = link_table("application_offering", "pool_application", "offering",
                                  left_col="application_id", right_col="offering_id")


class Pool(TimestampMixin, Base):
    __tablename__ = "pool"
    __table_args__ = (
        state_check("status", POOL_STATUSES),
        sa.CheckConstraint("quota IS NULL OR quota > 0", name="quota_positive"),
        sa.CheckConstraint("opens_on IS NULL OR closes_on IS NULL OR opens_on <= closes_on", name="window_order"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    bureau_org_id: Mapped[int] = mapped_column(sa.ForeignKey("organisation.id"), index=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    city_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("taxonomy_term.id"))
    description: Mapped[str] = mapped_column(sa.Text, default="")
    criteria: Mapped[str] = mapped_column(sa.Text, default="")
    opens_on: Mapped[Optional[date]] = mapped_column()
    closes_on: Mapped[Optional[date]] = mapped_column()
    quota: Mapped[Optional[int]] = mapped_column()
    status: Mapped[str] = mapped_column(sa.String(12), default="draft", index=True)
    # Public notice (公示) of an admitted batch.
    notice_text: Mapped[str] = mapped_column(sa.Text, default="")
    notice_starts_on: Mapped[Optional[date]] = mapped_column()
    notice_ends_on: Mapped[Optional[date]] = mapped_column()
    recheck_months: Mapped[Optional[int]] = mapped_column()
    is_demo: Mapped[bool] = mapped_column(default=False)
    version: Mapped[int] = mapped_column(default=1)
    __mapper_args__ = {"version_id_col": version}

    bureau: Mapped["Organisation"] = relationship()
    city: Mapped[Optional["TaxonomyTerm"]] = relationship()
    industries: Mapped[list["TaxonomyTerm"]] = relationship(secondary=pool_industry)
    scenarios: Mapped[list["TaxonomyTerm"]] = relationship(secondary=pool_scenario)
    rubric_items: Mapped[list["RubricItem"]] = relationship(
        back_populates="pool", cascade="all, delete-orphan", order_by="RubricItem.sort_order"
    )
    applications: Mapped[list["PoolApplication"]] = relationship(back_populates="pool")

    def __repr__(self) -> str:
        return f"<Pool {self.id} {self.status} {self.name!r}>"


class RubricItem(Base):
    __tablename__ = "rubric_item"
    __table_args__ = (sa.CheckConstraint("max_points > 0", name="max_points_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    pool_id: Mapped[int] = mapped_column(sa.ForeignKey("pool.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    description: Mapped[str] = mapped_column(sa.Text, default="")
    max_points: Mapped[int] = mapped_column()
    sort_order: Mapped[int] = mapped_column(default=0)

    pool: Mapped[Pool] = relationship(back_populates="rubric_items")


class PoolApplication(TimestampMixin, Base):
    __tablename__ = "pool_application"
    __table_args__ = (
        state_check("status", APPLICATION_STATUSES),
        sa.CheckConstraint("status <> 'rejected' OR decision_reason <> ''", name="reject_has_reason"),
        # One live application per provider per pool.
        sa.Index(
            "uq_pool_application_live",
            "pool_id",
            "provider_org_id",
            unique=True,
            sqlite_where=sa.text("status IN ('submitted', 'under_review', 'admitted', 'suspended')"),
            postgresql_where=sa.text("status IN ('submitted', 'under_review', 'admitted', 'suspended')"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    pool_id: Mapped[int] = mapped_column(sa.ForeignKey("pool.id"), index=True)
    provider_org_id: Mapped[int] = mapped_column(sa.ForeignKey("organisation.id"), index=True)
    statement: Mapped[str] = mapped_column(sa.Text, default="")
    status: Mapped[str] = mapped_column(sa.String(14), default="submitted", index=True)
    total_score: Mapped[Optional[Decimal]] = mapped_column(sa.Numeric(7, 2))
    decision_reason: Mapped[str] = mapped_column(sa.Text, default="")
    batch: Mapped[Optional[str]] = mapped_column(sa.String(80))
    submitted_at: Mapped[datetime] = mapped_column(default=utc_now)
    decided_at: Mapped[Optional[datetime]] = mapped_column()
    decided_by_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("user_account.id"))
    appeal_text: Mapped[str] = mapped_column(sa.Text, default="")
    appealed_at: Mapped[Optional[datetime]] = mapped_column()
    # How the bureau answered the (single) appeal: "" (not yet), "upheld" or "reopened".
    appeal_outcome: Mapped[str] = mapped_column(sa.String(12), default="")
    last_checked_on: Mapped[Optional[date]] = mapped_column()
    is_demo: Mapped[bool] = mapped_column(default=False)
    version: Mapped[int] = mapped_column(default=1)
    __mapper_args__ = {"version_id_col": version}

    pool: Mapped[Pool] = relationship(back_populates="applications")
    provider: Mapped["Organisation"] = relationship()
    offerings: Mapped[list["Offering"]] = relationship(secondary=application_offering)
    scores: Mapped[list["ApplicationScore"]] = relationship(
        back_populates="application", cascade="all, delete-orphan"
    )
    attachments: Mapped[list["Attachment"]] = relationship(
        back_populates="application", cascade="all, delete-orphan", order_by="Attachment.id"
    )
    decided_by: Mapped[Optional["User"]] = relationship()


class ApplicationScore(Base):
    __tablename__ = "application_score"
    __table_args__ = (
        sa.UniqueConstraint("application_id", "rubric_item_id"),
        sa.CheckConstraint("points >= 0", name="points_nonneg"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(sa.ForeignKey("pool_application.id", ondelete="CASCADE"))
    rubric_item_id: Mapped[int] = mapped_column(sa.ForeignKey("rubric_item.id", ondelete="CASCADE"))
    points: Mapped[Decimal] = mapped_column(sa.Numeric(6, 2))
    comment: Mapped[str] = mapped_column(sa.Text, default="")
    scored_by_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("user_account.id"))
    scored_at: Mapped[datetime] = mapped_column(default=utc_now)

    application: Mapped[PoolApplication] = relationship(back_populates="scores")
    rubric_item: Mapped[RubricItem] = relationship()


class Attachment(Base):
    """A PDF attached to a pool application; its bytes are a StoredFile (marketplace.files)."""

    __tablename__ = "attachment"

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(sa.ForeignKey("pool_application.id", ondelete="CASCADE"), index=True)
    file_id: Mapped[int] = mapped_column(sa.ForeignKey("stored_file.id"), unique=True)
    original_name: Mapped[str] = mapped_column(sa.String(255))
    uploaded_at: Mapped[datetime] = mapped_column(default=utc_now)

    application: Mapped[PoolApplication] = relationship(back_populates="attachments")
    # The file goes when its attachment goes; joined so lists show sizes without a query per file.
    file: Mapped["StoredFile"] = relationship(lazy="joined", cascade="all, delete-orphan", single_parent=True)

    @property
    def size_bytes(self) -> int:
        return self.file.size_bytes

    @property
    def sha256(self) -> str:
        return self.file.sha256
