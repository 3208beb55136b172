"""Who may see and act on schemes and vouchers. Every voucher view fetches its objects here.

A firm sees its own vouchers; a provider sees the vouchers issued on its contracts (not the
applications before issue); a bureau sees the vouchers of its own schemes; the admin sees all.
"""
from __future__ import annotations

import sqlalchemy as sa
from flask import abort
from flask_login import current_user

from marketplace.extensions import db
from marketplace.pools.access import can_run_pools, is_bureau
from marketplace.vouchers.models import Voucher, VoucherScheme

PUBLIC_SCHEME_STATUSES = ("open", "closed")
HIDDEN_FROM_PROVIDER = ("applied", "rejected", "withdrawn")


def can_manage_scheme(user, scheme: VoucherScheme) -> bool:
    return bool(user and user.is_authenticated and (user.is_admin or (is_bureau(user) and user.org_id == scheme.bureau_org_id)))


def role(user, voucher: Voucher) -> str | None:
    """firm, provider, bureau (or admin) — or None when the user may not see the voucher."""
    if not (user and user.is_authenticated):
        return None
    if user.is_admin:
        return "bureau"
    if user.org_id == voucher.firm_org_id:
        return "firm"
    if user.org_id == voucher.provider_org_id and voucher.status not in HIDDEN_FROM_PROVIDER:
        return "provider"
    if can_manage_scheme(user, voucher.scheme):
        return "bureau"
    return None


def visible_filter(user):
    """SQL condition: the vouchers `user` may see."""
    if user.is_admin:
        return sa.true()
    own_schemes = sa.select(VoucherScheme.id).where(VoucherScheme.bureau_org_id == user.org_id)
    return sa.or_(Voucher.firm_org_id == user.org_id,
                  sa.and_(Voucher.provider_org_id == user.org_id, Voucher.status.not_in(HIDDEN_FROM_PROVIDER)),
                  Voucher.scheme_id.in_(own_schemes) if is_bureau(user) else sa.false())


def voucher_or_404(voucher_id: int, *roles: str) -> tuple[Voucher, str]:
    """The voucher and the user's role on it: 404 if not visible, 403 if visible but not in `roles`."""
    voucher = db.session.get(Voucher, voucher_id)
    who = role(current_user, voucher) if voucher is not None else None
    if who is None:
        abort(404)
    if roles and who not in roles:
        abort(403)
    return voucher, who


def require_officer() -> None:
    if not can_run_pools(current_user):
        abort(403)


def managed_scheme_or_404(scheme_id: int) -> VoucherScheme:
    """A scheme the current bureau runs: 404 for another bureau's draft, 403 for its published one."""
    require_officer()
    scheme = db.session.get(VoucherScheme, scheme_id)
    if scheme is None:
        abort(404)
    if not can_manage_scheme(current_user, scheme):
        abort(403 if scheme.status in PUBLIC_SCHEME_STATUSES else 404)
    return scheme


def public_scheme_or_404(scheme_id: int) -> VoucherScheme:
    scheme = db.session.get(VoucherScheme, scheme_id)
    if scheme is None or (scheme.status not in PUBLIC_SCHEME_STATUSES and not can_manage_scheme(current_user, scheme)):
        abort(404)
    return scheme
