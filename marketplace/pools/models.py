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
COI_STATES = ("pending", "none", "conflict")
OBJECTION_STATUSES = ("open", "sustained", "dismissed")

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
    # How an application's total is made from its panel's sheets: "mean", or "trimmed" (the highest and the
    # lowest sheet dropped when there are 3 or more); the form offers only these.
    score_rule: Mapped[str] = mapped_column(sa.String(10), default="mean", server_default="mean")
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
    # 正式入库: set when the notice period listing this admitted application ended without a sustained objection.
    # Admitted without it: 拟入库 (proposed).
    confirmed_at: Mapped[Optional[datetime]] = mapped_column()
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
    reviewers: Mapped[list["ReviewAssignment"]] = relationship(
        back_populates="application", cascade="all, delete-orphan", order_by="ReviewAssignment.id"
    )


class ApplicationScore(Base):
    """One rubric item's points on one reviewer's sheet. Without a panel the bureau keeps one sheet."""

    __tablename__ = "application_score"
    __table_args__ = (
        sa.UniqueConstraint("application_id", "rubric_item_id", "scored_by_id"),
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


class ReviewAssignment(Base):
    """A reviewer of the expert panel on one application: a user of the bureau that runs the pool.
    The reviewer declares a conflict of interest (or none) before scoring; a conflict recuses them."""

    __tablename__ = "review_assignment"
    __table_args__ = (sa.UniqueConstraint("application_id", "reviewer_id"), state_check("coi", COI_STATES))

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(sa.ForeignKey("pool_application.id", ondelete="CASCADE"), index=True)
    reviewer_id: Mapped[int] = mapped_column(sa.ForeignKey("user_account.id"), index=True)
    assigned_by_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("user_account.id"))
    assigned_at: Mapped[datetime] = mapped_column(default=utc_now)
    coi: Mapped[str] = mapped_column(sa.String(10), default="pending")
    coi_note: Mapped[str] = mapped_column(sa.Text, default="")
    coi_declared_at: Mapped[Optional[datetime]] = mapped_column()

    application: Mapped[PoolApplication] = relationship(back_populates="reviewers")
    reviewer: Mapped["User"] = relationship(foreign_keys=[reviewer_id])

    @property
    def recused(self) -> bool:
        return self.coi == "conflict"


class PoolNotice(Base):
    """One published 公示 of a batch. Notices are kept: a new batch adds a notice, never replaces one."""

    __tablename__ = "pool_notice"
    __table_args__ = (sa.CheckConstraint("starts_on <= ends_on", name="period_order"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    pool_id: Mapped[int] = mapped_column(sa.ForeignKey("pool.id", ondelete="CASCADE"), index=True)
    batch: Mapped[str] = mapped_column(sa.String(80), default="")
    text: Mapped[str] = mapped_column(sa.Text, default="")
    starts_on: Mapped[date] = mapped_column()
    ends_on: Mapped[date] = mapped_column()
    published_at: Mapped[datetime] = mapped_column(default=utc_now)
    published_by_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("user_account.id"))
    # When the period ended and every listed application was settled (正式入库 or removed).
    finalised_at: Mapped[Optional[datetime]] = mapped_column()
    is_demo: Mapped[bool] = mapped_column(default=False)

    pool: Mapped[Pool] = relationship()
    entries: Mapped[list["NoticeEntry"]] = relationship(back_populates="notice", cascade="all, delete-orphan",
                                                        order_by="NoticeEntry.id")
    objections: Mapped[list["Objection"]] = relationship(back_populates="notice", cascade="all, delete-orphan",
                                                         order_by="Objection.id")


class NoticeEntry(Base):
    """An application listed in a notice. A sustained objection takes it out of the batch (removed_at)."""

    __tablename__ = "notice_entry"
    __table_args__ = (sa.UniqueConstraint("notice_id", "application_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    notice_id: Mapped[int] = mapped_column(sa.ForeignKey("pool_notice.id", ondelete="CASCADE"), index=True)
    application_id: Mapped[int] = mapped_column(sa.ForeignKey("pool_application.id", ondelete="CASCADE"), index=True)
    removed_at: Mapped[Optional[datetime]] = mapped_column()

    notice: Mapped[PoolNotice] = relationship(back_populates="entries")
    application: Mapped[PoolApplication] = relationship()


class Objection(Base):
    """异议: lodged during a notice period by a logged-in organisation against one listed application."""

    __tablename__ = "objection"
    __table_args__ = (
        state_check("status", OBJECTION_STATUSES),
        sa.CheckConstraint("status = 'open' OR reply <> ''", name="answer_has_reply"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    notice_id: Mapped[int] = mapped_column(sa.ForeignKey("pool_notice.id", ondelete="CASCADE"), index=True)
    application_id: Mapped[int] = mapped_column(sa.ForeignKey("pool_application.id", ondelete="CASCADE"), index=True)
    org_id: Mapped[int] = mapped_column(sa.ForeignKey("organisation.id"), index=True)
    user_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("user_account.id"))
    reasons: Mapped[str] = mapped_column(sa.Text)
    status: Mapped[str] = mapped_column(sa.String(10), default="open", index=True)
    reply: Mapped[str] = mapped_column(sa.Text, default="")
    lodged_at: Mapped[datetime] = mapped_column(default=utc_now)
    answered_at: Mapped[Optional[datetime]] = mapped_column()
    answered_by_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("user_account.id"))

    notice: Mapped[PoolNotice] = relationship(back_populates="objections")
    application: Mapped[PoolApplication] = relationship()
    org: Mapped["Organisation"] = relationship()
    files: Mapped[list["ObjectionFile"]] = relationship(back_populates="objection", cascade="all, delete-orphan",
                                                        order_by="ObjectionFile.id")


class ObjectionFile(Base):
    """A PDF attached to an objection; its bytes are a StoredFile."""

    __tablename__ = "objection_file"

    id: Mapped[int] = mapped_column(primary_key=True)
    objection_id: Mapped[int] = mapped_column(sa.ForeignKey("objection.id", ondelete="CASCADE"), index=True)
    file_id: Mapped[int] = mapped_column(sa.ForeignKey("stored_file.id"), unique=True)
    original_name: Mapped[str] = mapped_column(sa.String(255))

    objection: Mapped[Objection] = relationship(back_populates="files")
    file: Mapped["StoredFile"] = relationship(lazy="joined", cascade="all, delete-orphan", single_parent=True)

    @property
    def size_bytes(self) -> int:
        return self.file.size_bytes
