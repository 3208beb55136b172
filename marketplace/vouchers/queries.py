"""Read-only look-ups for pages: budget positions, usable vouchers, vouchers on a contract."""
from __future__ import annotations

from collections import defaultdict
from datetime import date
from decimal import Decimal

import sqlalchemy as sa
from flask import g
from sqlalchemy.orm import joinedload, selectinload

from marketplace.extensions import db
from marketplace.pools.models import PoolApplication
from marketplace.vouchers.ledger import position
from marketplace.vouchers.models import LedgerEntry, Voucher, VoucherScheme

ZERO = Decimal("0.00")
# Everything a scheme's card and rules show, loaded together (the page's query count does not grow with schemes).
SCHEME_LOADS = (joinedload(VoucherScheme.voucher_type), joinedload(VoucherScheme.city), joinedload(VoucherScheme.bureau),
                selectinload(VoucherScheme.industries), selectinload(VoucherScheme.chains), selectinload(VoucherScheme.pools))


def positions(scheme_ids) -> dict[int, dict[str, Decimal]]:
    """Budget, reserved, redeemed and available per scheme, from the ledger (one query)."""
    scheme_ids = list(scheme_ids)
    if not scheme_ids:
        return {}
    budgets = dict(db.session.execute(sa.select(VoucherScheme.id, VoucherScheme.budget).where(VoucherScheme.id.in_(scheme_ids))).all())
    sums: dict[int, dict[str, Decimal]] = defaultdict(lambda: {"reserve": ZERO, "release": ZERO, "payout": ZERO})
    for scheme_id, kind, total in db.session.execute(
            sa.select(LedgerEntry.scheme_id, LedgerEntry.kind, sa.func.sum(LedgerEntry.amount))
            .where(LedgerEntry.scheme_id.in_(scheme_ids)).group_by(LedgerEntry.scheme_id, LedgerEntry.kind)):
        sums[scheme_id][kind] = Decimal(total)
    return {sid: position(Decimal(budgets[sid]), sums[sid]) for sid in scheme_ids if sid in budgets}


def open_schemes(today: date | None = None) -> list[VoucherScheme]:
    today = today or date.today()
    return list(db.session.scalars(sa.select(VoucherScheme).options(*SCHEME_LOADS).where(
        VoucherScheme.status == "open", VoucherScheme.available > 0,
        sa.or_(VoucherScheme.opens_on.is_(None), VoucherScheme.opens_on <= today),
        sa.or_(VoucherScheme.closes_on.is_(None), VoucherScheme.closes_on >= today)).order_by(VoucherScheme.id)))


def _open_schemes_cached() -> tuple[list[VoucherScheme], set[tuple[int, int]]]:
    """Open schemes and the (pool, provider) memberships they need, once per request."""
    if "voucher_open_schemes" not in g:
        schemes = open_schemes()
        pool_ids = {p.id for s in schemes for p in s.pools}
        members = set()
        if pool_ids:
            members = set(db.session.execute(sa.select(PoolApplication.pool_id, PoolApplication.provider_org_id).where(
                PoolApplication.pool_id.in_(pool_ids), PoolApplication.status == "admitted")).all())
        g.voucher_open_schemes = (schemes, members)
    return g.voucher_open_schemes


def usable_voucher_types(offering) -> list:
    """Voucher types (terms) a firm could use on this offering now: the offering accepts the type and
    an open scheme with budget left lets this provider deliver it."""
    schemes, members = _open_schemes_cached()
    accepted = {t.id for t in offering.vouchers}
    found = {}
    for scheme in schemes:
        if scheme.voucher_type_id not in accepted or scheme.voucher_type_id in found:
            continue
        if scheme.pools and not any((p.id, offering.org_id) in members for p in scheme.pools):
            continue
        found[scheme.voucher_type_id] = scheme.voucher_type
    return sorted(found.values(), key=lambda t: t.sort_order)


def vouchers_on_demand(demand_id: int, user) -> list[Voucher]:
    from marketplace.vouchers.access import visible_filter

    if not user.is_authenticated:
        return []
    return list(db.session.scalars(sa.select(Voucher).where(Voucher.demand_id == demand_id, visible_filter(user))
                                   .order_by(Voucher.id)))
