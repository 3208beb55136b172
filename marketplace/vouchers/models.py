"""Voucher schemes, vouchers, claims, their files and the append-only budget ledger.

Money is 万元 in Numeric(12,2) (budgets Numeric(14,2)). The scheme's `available` column is the
budget not yet reserved or paid; every ledger row moves it in the same transaction and a CHECK
keeps it between 0 and the budget, so the database itself refuses an overspend.
"""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Optional

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace.db import Base, TimestampMixin, link_table, state_check, utc_now

if TYPE_CHECKING:
    from marketplace.bids.models import Bid
    from marketplace.files.models import StoredFile
    from marketplace.demands.models import Demand
    from marketplace.orgs.models import Organisation
    from marketplace.pools.models import Pool
    from marketplace.taxonomy.models import TaxonomyTerm

SCHEME_STATUSES = ("draft", "open", "closed")
VOUCHER_STATUSES = ("applied", "rejected", "issued", "accepted", "claimed", "returned", "paid", "expired", "withdrawn")
# A firm holds at most one of these per scheme and contract (demand).
LIVE_VOUCHER_STATUSES = ("applied", "issued", "accepted", "claimed", "returned", "paid")
CLAIM_STATUSES = ("submitted", "returned", "approved")
LEDGER_KINDS = ("reserve", "release", "payout")
FIRM_SIZES = ("micro", "small", "medium", "large")
# Documents a scheme may ask for with a claim (the firm's acceptance report is always needed).
CLAIM_DOCUMENTS = ("invoice", "payment_proof", "contract")
FILE_KINDS = ("acceptance",) + CLAIM_DOCUMENTS

_LIVE_SQL = "status IN ('applied', 'issued', 'accepted', 'claimed', 'returned', 'paid')"

scheme_industry = link_table("voucher_scheme_industry", "voucher_scheme", "taxonomy_term", left_col="scheme_id")
scheme_chain = link_table("voucher_scheme_chain", "voucher_scheme", "taxonomy_term", left_col="scheme_id")
scheme_pool = link_table("voucher_scheme_pool", "voucher_scheme", "pool", left_col="scheme_id", right_col="pool_id")


class VoucherScheme(TimestampMixin, Base):
    __tablename__ = "voucher_scheme"
    __table_args__ = (
        state_check("status", SCHEME_STATUSES),
        sa.CheckConstraint("share_percent > 0 AND share_percent <= 100", name="share_range"),
        sa.CheckConstraint("cap > 0", name="cap_positive"),
        sa.CheckConstraint("budget > 0", name="budget_positive"),
        # The budget cannot be overspent: every reservation lowers `available` in the same transaction.
        sa.CheckConstraint("available >= 0 AND available <= budget", name="available_within_budget"),
        sa.CheckConstraint("validity_days > 0", name="validity_positive"),
        sa.CheckConstraint("opens_on IS NULL OR closes_on IS NULL OR opens_on <= closes_on", name="window_order"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    bureau_org_id: Mapped[int] = mapped_column(sa.ForeignKey("organisation.id"), index=True)
    voucher_type_id: Mapped[int] = mapped_column(sa.ForeignKey("taxonomy_term.id"), index=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    city_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("taxonomy_term.id"), index=True)
    description: Mapped[str] = mapped_column(sa.Text, default="")
    firm_sizes: Mapped[list] = mapped_column(sa.JSON, default=list)
    # Share of the amount actually paid that the voucher covers, in percent (e.g. 30.00).
    share_percent: Mapped[Decimal] = mapped_column(sa.Numeric(5, 2))
    cap: Mapped[Decimal] = mapped_column(sa.Numeric(12, 2))
    budget: Mapped[Decimal] = mapped_column(sa.Numeric(14, 2))
    available: Mapped[Decimal] = mapped_column(sa.Numeric(14, 2))
    opens_on: Mapped[Optional[date]] = mapped_column()
    closes_on: Mapped[Optional[date]] = mapped_column()
    validity_days: Mapped[int] = mapped_column(default=180)
    allow_before_award: Mapped[bool] = mapped_column(default=False)
    required_documents: Mapped[list] = mapped_column(sa.JSON, default=list)
    status: Mapped[str] = mapped_column(sa.String(10), default="draft", index=True)
    is_demo: Mapped[bool] = mapped_column(default=False)
    version: Mapped[int] = mapped_column(default=1)
    __mapper_args__ = {"version_id_col": version}

    bureau: Mapped["Organisation"] = relationship()
    voucher_type: Mapped["TaxonomyTerm"] = relationship(foreign_keys=[voucher_type_id])
    city: Mapped[Optional["TaxonomyTerm"]] = relationship(foreign_keys=[city_id])
    industries: Mapped[list["TaxonomyTerm"]] = relationship(secondary=scheme_industry)
    chains: Mapped[list["TaxonomyTerm"]] = relationship(secondary=scheme_chain)
    pools: Mapped[list["Pool"]] = relationship(secondary=scheme_pool)

    def window_open(self, today: date | None = None) -> bool:
        today = today or date.today()
        return (self.status == "open" and (self.opens_on is None or self.opens_on <= today)
                and (self.closes_on is None or today <= self.closes_on))

    def __repr__(self) -> str:
        return f"<VoucherScheme {self.id} {self.status} {self.name!r}>"


class Voucher(TimestampMixin, Base):
    __tablename__ = "voucher"
    __table_args__ = (
        state_check("status", VOUCHER_STATUSES),
        sa.CheckConstraint("status <> 'rejected' OR decision_reason <> ''", name="reject_has_reason"),
        sa.CheckConstraint("face_value IS NULL OR face_value > 0", name="face_value_positive"),
        sa.CheckConstraint("status IN ('applied', 'rejected', 'withdrawn') OR (code IS NOT NULL AND face_value IS NOT NULL"
                           " AND expires_on IS NOT NULL)", name="issued_has_code"),
        # One live voucher of a scheme per contract, enforced by the database.
        sa.Index("uq_voucher_live_scheme_demand", "scheme_id", "demand_id", unique=True,
                 sqlite_where=sa.text(_LIVE_SQL), postgresql_where=sa.text(_LIVE_SQL)),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    scheme_id: Mapped[int] = mapped_column(sa.ForeignKey("voucher_scheme.id"), index=True)
    firm_org_id: Mapped[int] = mapped_column(sa.ForeignKey("organisation.id"), index=True)
    demand_id: Mapped[int] = mapped_column(sa.ForeignKey("demand.id"), index=True)
    bid_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("bid.id"), index=True)
    provider_org_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("organisation.id"), index=True)
    # Contract value (万元) the application was made against: the awarded price, or the budget before award.
    contract_amount: Mapped[Decimal] = mapped_column(sa.Numeric(12, 2))
    requested_amount: Mapped[Decimal] = mapped_column(sa.Numeric(12, 2))
    status: Mapped[str] = mapped_column(sa.String(10), default="applied", index=True)
    code: Mapped[Optional[str]] = mapped_column(sa.String(32), unique=True)
    face_value: Mapped[Optional[Decimal]] = mapped_column(sa.Numeric(12, 2))
    issued_at: Mapped[Optional[datetime]] = mapped_column()
    expires_on: Mapped[Optional[date]] = mapped_column(index=True)
    note: Mapped[str] = mapped_column(sa.Text, default="")
    decision_reason: Mapped[str] = mapped_column(sa.Text, default="")
    decided_at: Mapped[Optional[datetime]] = mapped_column()
    decided_by_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("user_account.id"))
    acceptance_report: Mapped[str] = mapped_column(sa.Text, default="")
    accepted_at: Mapped[Optional[datetime]] = mapped_column()
    redeemed_amount: Mapped[Optional[Decimal]] = mapped_column(sa.Numeric(12, 2))
    applied_by_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("user_account.id"))
    is_demo: Mapped[bool] = mapped_column(default=False)
    version: Mapped[int] = mapped_column(default=1)
    __mapper_args__ = {"version_id_col": version}

    scheme: Mapped[VoucherScheme] = relationship()
    firm: Mapped["Organisation"] = relationship(foreign_keys=[firm_org_id])
    provider: Mapped[Optional["Organisation"]] = relationship(foreign_keys=[provider_org_id])
    demand: Mapped["Demand"] = relationship()
    bid: Mapped[Optional["Bid"]] = relationship()
    claims: Mapped[list["VoucherClaim"]] = relationship(back_populates="voucher", order_by="VoucherClaim.id")
    files: Mapped[list["VoucherFile"]] = relationship(back_populates="voucher", order_by="VoucherFile.id")

    @property
    def open_claim(self) -> Optional["VoucherClaim"]:
        return next((c for c in self.claims if c.status == "submitted"), None)


class VoucherClaim(TimestampMixin, Base):
    """The provider's claim after delivery; returned claims stay on record and a new one is filed."""

    __tablename__ = "voucher_claim"
    __table_args__ = (
        state_check("status", CLAIM_STATUSES),
        sa.CheckConstraint("amount_paid > 0", name="paid_positive"),
        sa.CheckConstraint("amount_claimed > 0", name="claimed_positive"),
        sa.CheckConstraint("status <> 'returned' OR review_reason <> ''", name="return_has_reason"),
        sa.Index("uq_voucher_claim_open", "voucher_id", unique=True,
                 sqlite_where=sa.text("status = 'submitted'"), postgresql_where=sa.text("status = 'submitted'")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    voucher_id: Mapped[int] = mapped_column(sa.ForeignKey("voucher.id"), index=True)
    provider_org_id: Mapped[int] = mapped_column(sa.ForeignKey("organisation.id"), index=True)
    invoice_number: Mapped[str] = mapped_column(sa.String(60))
    amount_paid: Mapped[Decimal] = mapped_column(sa.Numeric(12, 2))
    amount_claimed: Mapped[Decimal] = mapped_column(sa.Numeric(12, 2))
    status: Mapped[str] = mapped_column(sa.String(10), default="submitted", index=True)
    review_reason: Mapped[str] = mapped_column(sa.Text, default="")
    payment_reference: Mapped[str] = mapped_column(sa.String(80), default="")
    reviewed_at: Mapped[Optional[datetime]] = mapped_column()
    reviewed_by_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("user_account.id"))
    submitted_by_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("user_account.id"))
    is_demo: Mapped[bool] = mapped_column(default=False)
    version: Mapped[int] = mapped_column(default=1)
    __mapper_args__ = {"version_id_col": version}

    voucher: Mapped[Voucher] = relationship(back_populates="claims")
    files: Mapped[list["VoucherFile"]] = relationship(back_populates="claim", order_by="VoucherFile.id")


class VoucherFile(Base):
    """A checked PDF: the firm's acceptance files or the provider's claim documents."""

    __tablename__ = "voucher_file"
    __table_args__ = (state_check("kind", FILE_KINDS),)

    id: Mapped[int] = mapped_column(primary_key=True)
    voucher_id: Mapped[int] = mapped_column(sa.ForeignKey("voucher.id"), index=True)
    claim_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("voucher_claim.id"), index=True)
    kind: Mapped[str] = mapped_column(sa.String(16))
    original_name: Mapped[str] = mapped_column(sa.String(255))
    # The bytes live in the shared files area (marketplace.files).
    file_id: Mapped[int] = mapped_column(sa.ForeignKey("stored_file.id"), unique=True)
    uploaded_by_org_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("organisation.id"))
    uploaded_at: Mapped[datetime] = mapped_column(default=utc_now)

    voucher: Mapped[Voucher] = relationship(back_populates="files")
    claim: Mapped[Optional[VoucherClaim]] = relationship(back_populates="files")
    file: Mapped["StoredFile"] = relationship()


class LedgerEntry(Base):
    """Append-only: a reservation when a voucher is issued, a release when it expires or is paid
    below its face value, a payout when a claim is approved. Database triggers refuse UPDATE and DELETE."""

    __tablename__ = "voucher_ledger"
    __table_args__ = (
        state_check("kind", LEDGER_KINDS),
        sa.CheckConstraint("amount > 0", name="amount_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    scheme_id: Mapped[int] = mapped_column(sa.ForeignKey("voucher_scheme.id"), index=True)
    voucher_id: Mapped[int] = mapped_column(sa.ForeignKey("voucher.id"), index=True)
    kind: Mapped[str] = mapped_column(sa.String(10))
    amount: Mapped[Decimal] = mapped_column(sa.Numeric(12, 2))
    # The scheme's available budget right after this entry (a running balance, for reading the ledger).
    available_after: Mapped[Decimal] = mapped_column(sa.Numeric(14, 2))
    actor_user_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("user_account.id"))
    note: Mapped[str] = mapped_column(sa.String(200), default="")
    created_at: Mapped[datetime] = mapped_column(default=utc_now)

    voucher: Mapped[Voucher] = relationship()


# Append-only, enforced where the rows live (also for tables made by create_all in tests).
APPEND_ONLY_SQL = {
    "sqlite": [
        "CREATE TRIGGER voucher_ledger_no_update BEFORE UPDATE ON voucher_ledger "
        "BEGIN SELECT RAISE(ABORT, 'voucher_ledger is append-only'); END",
        "CREATE TRIGGER voucher_ledger_no_delete BEFORE DELETE ON voucher_ledger "
        "BEGIN SELECT RAISE(ABORT, 'voucher_ledger is append-only'); END",
    ],
    "postgresql": [
        "CREATE OR REPLACE FUNCTION voucher_ledger_append_only() RETURNS trigger AS $$ "
        "BEGIN RAISE EXCEPTION 'voucher_ledger is append-only'; END; $$ LANGUAGE plpgsql",
        "CREATE TRIGGER voucher_ledger_no_change BEFORE UPDATE OR DELETE ON voucher_ledger "
        "FOR EACH ROW EXECUTE FUNCTION voucher_ledger_append_only()",
    ],
}
DROP_APPEND_ONLY_SQL = {
    "sqlite": ["DROP TRIGGER IF EXISTS voucher_ledger_no_update", "DROP TRIGGER IF EXISTS voucher_ledger_no_delete"],
    "postgresql": ["DROP TRIGGER IF EXISTS voucher_ledger_no_change ON voucher_ledger",
                   "DROP FUNCTION IF EXISTS voucher_ledger_append_only()"],
}


@sa.event.listens_for(LedgerEntry.__table__, "after_create")
def _append_only(table, connection, **kw):
    for statement in APPEND_ONLY_SQL.get(connection.dialect.name, []):
        connection.exec_driver_sql(statement)


@sa.event.listens_for(LedgerEntry.__table__, "before_drop")
def _drop_append_only(table, connection, **kw):
    for statement in DROP_APPEND_ONLY_SQL.get(connection.dialect.name, []):
        connection.exec_driver_sql(statement)
