"""The budget ledger: the only code that moves a scheme's money.

Every movement locks the scheme row (SELECT … FOR UPDATE on PostgreSQL; on SQLite the write
transaction already serialises writers), checks what is left inside the same transaction, appends
an entry and moves `voucher_scheme.available` with one UPDATE. The CHECK on `available` is the
backstop: even code that skipped the check could not take the budget below zero.
Services flush, never commit.
"""
from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError, OperationalError

from marketplace.extensions import db
from marketplace.vouchers.errors import VoucherError
from marketplace.vouchers.models import LedgerEntry, VoucherScheme

FEN = Decimal("0.01")  # 0.01 万元 = 100 yuan: amounts are rounded to this, half up


def to_fen(value) -> Decimal:
    return Decimal(value).quantize(FEN, rounding=ROUND_HALF_UP)


def covered(share_percent, cap, amount) -> Decimal:
    """min(cap, share × amount), rounded to 0.01 万元 half up."""
    return min(to_fen(cap), to_fen(Decimal(share_percent) * Decimal(amount) / Decimal(100)))


def lock_scheme(scheme_id: int) -> VoucherScheme:
    """The scheme row, locked for the rest of the transaction, with fresh values.

    PostgreSQL: SELECT … FOR UPDATE. SQLite ignores FOR UPDATE, but a writing request's transaction
    already holds the database's write lock from its BEGIN IMMEDIATE (marketplace/db.py)."""
    return db.session.scalars(
        sa.select(VoucherScheme).where(VoucherScheme.id == scheme_id).with_for_update()
        .execution_options(populate_existing=True)).one()


def totals(scheme_id: int) -> dict[str, Decimal]:
    """Sums per entry kind, from the ledger itself."""
    rows = db.session.execute(sa.select(LedgerEntry.kind, sa.func.sum(LedgerEntry.amount))
                              .where(LedgerEntry.scheme_id == scheme_id).group_by(LedgerEntry.kind)).all()
    sums = {kind: Decimal("0.00") for kind in ("reserve", "release", "payout")}
    sums.update({kind: Decimal(total) for kind, total in rows})
    return sums


def position(budget: Decimal, sums: dict[str, Decimal]) -> dict[str, Decimal]:
    """Budget, what is reserved for issued vouchers, what was paid, and what is still available."""
    return {"budget": budget, "reserved": sums["reserve"] - sums["release"] - sums["payout"],
            "redeemed": sums["payout"], "available": budget - sums["reserve"] + sums["release"]}


def _append(scheme: VoucherScheme, voucher, kind: str, amount: Decimal, actor, note: str = "") -> LedgerEntry:
    amount = to_fen(amount)
    delta = {"reserve": -amount, "release": amount, "payout": Decimal("0")}[kind]
    # No SAVEPOINT here: on SQLite (pysqlite) releasing the outermost savepoint commits, which would make
    # the reservation permanent before the request decides. A refused UPDATE fails the whole transaction.
    try:
        db.session.execute(sa.update(VoucherScheme).where(VoucherScheme.id == scheme.id)
                           .values(available=VoucherScheme.available + delta)
                           .execution_options(synchronize_session=False))
        entry = LedgerEntry(scheme_id=scheme.id, voucher_id=voucher.id, kind=kind, amount=amount,
                            available_after=to_fen(scheme.available + delta),
                            actor_user_id=getattr(actor, "id", None), note=note[:200])
        db.session.add(entry)
        db.session.flush()
    except (IntegrityError, OperationalError):  # the CHECK refused, or (SQLite) another writer held the lock too long
        raise VoucherError(_l("The scheme's budget does not cover this voucher any more."), status=409) from None
    db.session.refresh(scheme)
    return entry


def reserve(voucher, amount: Decimal, actor) -> LedgerEntry:
    scheme = lock_scheme(voucher.scheme_id)
    left = position(scheme.budget, totals(scheme.id))["available"]
    if left < amount or scheme.available < amount:
        raise VoucherError(_l("The scheme has %(left)s 万元 left, less than this voucher's %(amount)s 万元. "
                              "Nothing was issued.", left=left, amount=amount), status=409)
    return _append(scheme, voucher, "reserve", amount, actor)


def release(voucher, amount: Decimal, actor, note: str = "") -> LedgerEntry | None:
    if amount <= 0:
        return None
    return _append(lock_scheme(voucher.scheme_id), voucher, "release", amount, actor, note)


def payout(voucher, amount: Decimal, actor, note: str = "") -> LedgerEntry:
    return _append(lock_scheme(voucher.scheme_id), voucher, "payout", amount, actor, note)


def adjust_budget(scheme: VoucherScheme, new_budget: Decimal) -> None:
    """Change a scheme's total budget; refused below what is already reserved or paid."""
    new_budget = to_fen(new_budget)
    locked = lock_scheme(scheme.id)
    committed = locked.budget - locked.available
    if new_budget < committed:
        raise VoucherError(_l("The budget cannot be lower than the %(committed)s 万元 already reserved or paid.",
                              committed=committed), field="budget")
    db.session.execute(sa.update(VoucherScheme).where(VoucherScheme.id == scheme.id).values(
        budget=new_budget, available=new_budget - committed).execution_options(synchronize_session=False))
    db.session.refresh(scheme)
