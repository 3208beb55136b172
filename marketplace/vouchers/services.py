"""Voucher schemes and the life of a voucher: apply → approve (reserve) → accept → claim → pay,
or reject, return, expire (release). Every decision is audited and notified. Flush, never commit."""
from __future__ import annotations

import secrets
from datetime import date, timedelta
from decimal import Decimal

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError

from marketplace.audit.services import record
from marketplace.db import utc_now
from marketplace.extensions import db
from marketplace.notifications.services import notify_org
from marketplace.pools.links import path_for as url_for
from marketplace.vouchers import eligibility, ledger
from marketplace.vouchers.errors import VoucherError
from marketplace.vouchers.models import Voucher, VoucherClaim, VoucherFile, VoucherScheme

# Vouchers that expire unused on their expiry date (a claim in review is allowed to finish).
EXPIRABLE = ("issued", "accepted", "returned")
CLAIMABLE = ("accepted", "returned")


def _link(voucher: Voucher) -> str:
    return url_for("vouchers.detail", voucher_id=voucher.id)


def check_version(obj, submitted, message=None) -> None:
    if str(submitted or "") != str(obj.version):
        raise VoucherError(message or _l("Someone changed this in another tab or by a colleague while you were working. "
                                         "Check the current state before sending it again."), status=409)


# ----------------------------------------------------------------------------- schemes

SCHEME_FIELDS = ("name", "voucher_type_id", "city_id", "description", "firm_sizes", "share_percent", "cap",
                 "opens_on", "closes_on", "validity_days", "allow_before_award", "required_documents")


def _apply_scheme_fields(scheme: VoucherScheme, data: dict) -> None:
    from marketplace.pools.models import Pool
    from marketplace.taxonomy.services import by_ids

    for name in SCHEME_FIELDS:
        setattr(scheme, name, data[name])
    scheme.name = scheme.name.strip()
    scheme.city_id = data["city_id"] or None
    scheme.share_percent = ledger.to_fen(scheme.share_percent)
    scheme.cap = ledger.to_fen(scheme.cap)
    scheme.industries = by_ids(data.get("industry_ids") or [])
    scheme.chains = by_ids(data.get("chain_ids") or [])
    pool_ids = data.get("pool_ids") or []
    scheme.pools = list(db.session.scalars(sa.select(Pool).where(Pool.id.in_(pool_ids)))) if pool_ids else []


def create_scheme(user, data: dict) -> VoucherScheme:
    budget = ledger.to_fen(data["budget"])
    scheme = VoucherScheme(bureau_org_id=user.org_id, budget=budget, available=budget, status="draft")
    _apply_scheme_fields(scheme, data)
    db.session.add(scheme)
    db.session.flush()
    record("voucher_scheme.create", scheme, budget=budget)
    return scheme


def update_scheme(scheme: VoucherScheme, version, data: dict) -> VoucherScheme:
    check_version(scheme, version)
    if ledger.to_fen(data["budget"]) != scheme.budget:
        old = scheme.budget
        ledger.adjust_budget(scheme, data["budget"])  # before the other fields: it reloads the row
        record("voucher_scheme.budget", scheme, old=old, new=scheme.budget)
    _apply_scheme_fields(scheme, data)
    db.session.flush()
    record("voucher_scheme.update", scheme)
    return scheme


def set_scheme_status(scheme: VoucherScheme, version, status: str) -> None:
    check_version(scheme, version)
    allowed = {"open": ("draft", "closed"), "closed": ("open",)}
    if scheme.status not in allowed.get(status, ()):
        raise VoucherError(_l("This scheme cannot be changed that way now."), status=409)
    scheme.status = status
    db.session.flush()
    record("voucher_scheme." + ("publish" if status == "open" else "close"), scheme)


# ----------------------------------------------------------------------------- applying

def apply(user, scheme: VoucherScheme, contract: eligibility.Contract, note: str = "") -> Voucher:
    verdict = eligibility.check(scheme, user.org, contract)
    if not verdict.eligible:
        raise VoucherError(verdict.reasons[0])
    bid = contract.bid
    voucher = Voucher(scheme_id=scheme.id, firm_org_id=user.org_id, demand_id=contract.demand.id,
                      bid_id=bid.id if bid else None, provider_org_id=bid.provider_org_id if bid else None,
                      contract_amount=ledger.to_fen(contract.amount), requested_amount=verdict.amount,
                      note=(note or "").strip(), applied_by_id=user.id)
    try:  # no SAVEPOINT (see ledger._append); the view rolls back on VoucherError
        db.session.add(voucher)
        db.session.flush()
    except IntegrityError:
        raise VoucherError(_l("You already hold a voucher of this scheme for this contract."), status=409) from None
    record("voucher.apply", voucher, scheme_id=scheme.id, demand_id=contract.demand.id, amount=verdict.amount)
    notify_org(scheme.bureau, "voucher.applied", url_for("vouchers.queue", scheme_id=scheme.id),
               firm=user.org.name, scheme=scheme.name)
    return voucher


def follow_award(voucher: Voucher) -> None:
    """A voucher applied for before the award follows the contract once the demand is awarded:
    the provider must then meet the scheme's rules too."""
    if voucher.bid_id is not None:
        return
    from marketplace.bids.models import Bid

    bid = db.session.scalar(sa.select(Bid).where(Bid.demand_id == voucher.demand_id, Bid.status == "awarded"))
    if bid is None:
        return
    if not eligibility.admitted_member(voucher.scheme, bid.provider_org_id):
        raise VoucherError(_l("The provider is not an admitted member of a pool the scheme requires (%(pools)s).",
                              pools="、".join(p.name for p in voucher.scheme.pools)))
    if eligibility.same_legal_person(voucher.firm, bid.provider):
        raise VoucherError(_l("The firm and the provider are the same legal person; a voucher cannot be redeemed between them."))
    voucher.bid_id, voucher.provider_org_id = bid.id, bid.provider_org_id
    voucher.contract_amount = ledger.to_fen(bid.price)
    if voucher.status == "applied":  # not issued yet: the value follows the awarded price
        voucher.requested_amount = ledger.covered(voucher.scheme.share_percent, voucher.scheme.cap, bid.price)


def _first_decision(voucher: Voucher) -> VoucherError:
    from marketplace.auth.models import User

    who = db.session.get(User, voucher.decided_by_id) if voucher.decided_by_id else None
    if voucher.status == "rejected":
        message = _l("This application was already rejected by %(who)s: %(reason)s. Nothing was changed.",
                     who=who.name if who else "—", reason=voucher.decision_reason)
    else:
        message = _l("This application was already decided by %(who)s: %(status)s (voucher %(code)s, %(amount)s 万元). "
                     "Nothing was changed.", who=who.name if who else "—",
                     status=eligibility.status_text(voucher.status), code=voucher.code or "—", amount=voucher.face_value or "—")
    return VoucherError(message, status=409)


def _require_applied(voucher: Voucher, version) -> None:
    if voucher.status != "applied":
        raise _first_decision(voucher)
    check_version(voucher, version)


def new_code(scheme: VoucherScheme) -> str:
    prefix = {"model": "MX", "scenario": "CJ", "compute": "SL", "corpus": "YL"}.get(scheme.voucher_type.code, "QV")
    return f"{prefix}{date.today():%Y}{secrets.token_hex(4).upper()}"


def approve(voucher: Voucher, user, version) -> Voucher:
    _require_applied(voucher, version)
    follow_award(voucher)
    scheme = voucher.scheme
    if not scheme.status == "open":
        raise VoucherError(_l("The scheme is closed; no more vouchers can be issued."), status=409)
    if eligibility.same_legal_person(voucher.firm, voucher.provider):
        raise VoucherError(_l("The firm and the provider are the same legal person; a voucher cannot be redeemed between them."))
    amount = voucher.requested_amount
    ledger.reserve(voucher, amount, user)
    code, expires_on = new_code(scheme), date.today() + timedelta(days=scheme.validity_days)
    # All at once: the CHECK wants an issued voucher to have its code, value and expiry in the same row write.
    voucher.status, voucher.code, voucher.face_value, voucher.expires_on = "issued", code, amount, expires_on
    voucher.issued_at = utc_now()
    voucher.decided_at, voucher.decided_by_id, voucher.decision_reason = utc_now(), user.id, ""
    db.session.flush()
    record("voucher.issue", voucher, actor=user, code=voucher.code, amount=amount, expires_on=voucher.expires_on)
    notify_org(voucher.firm, "voucher.issued", _link(voucher), scheme=scheme.name, code=voucher.code, amount=amount)
    return voucher


def reject(voucher: Voucher, user, version, reason: str) -> Voucher:
    reason = (reason or "").strip()
    if not reason:
        raise VoucherError(_l("Please give the reason for the rejection."), field="reason")
    _require_applied(voucher, version)
    voucher.status = "rejected"
    voucher.decision_reason = reason
    voucher.decided_at, voucher.decided_by_id = utc_now(), user.id
    db.session.flush()
    record("voucher.reject", voucher, actor=user, reason=reason)
    notify_org(voucher.firm, "voucher.rejected", _link(voucher), scheme=voucher.scheme.name, reason=reason)
    return voucher


def batch_decide(vouchers: list[Voucher], versions: dict[int, str], user, approve_all: bool, reason: str = "") -> list[Voucher]:
    """Approve or reject several applications at once (批次); all or none."""
    if not vouchers:
        raise VoucherError(_l("Choose at least one application."))
    if not approve_all and not (reason or "").strip():
        raise VoucherError(_l("Please give the reason for the rejection."), field="reason")
    for voucher in vouchers:
        if approve_all:
            approve(voucher, user, versions.get(voucher.id))
        else:
            reject(voucher, user, versions.get(voucher.id), reason)
    return vouchers


def withdraw(voucher: Voucher, version) -> None:
    if voucher.status != "applied":
        raise _first_decision(voucher)
    check_version(voucher, version)
    voucher.status = "withdrawn"
    db.session.flush()
    record("voucher.withdraw", voucher)


# ----------------------------------------------------------------------------- redemption

def _store_files(voucher: Voucher, claim, uploads: dict[str, list], user) -> list:
    from marketplace import files

    stored = []
    for kind, items in uploads.items():
        for upload in items:
            kept = files.store(upload, owner=user)
            stored.append(kept)
            db.session.add(VoucherFile(voucher_id=voucher.id, claim_id=claim.id if claim else None, kind=kind,
                                       original_name=upload.name, file_id=kept.id, uploaded_by_org_id=user.org_id))
    return stored


def _require_unexpired(voucher: Voucher) -> None:
    if voucher.status == "expired" or (voucher.expires_on and voucher.expires_on < date.today()):
        raise VoucherError(_l("This voucher expired on %(day)s and can no longer be used.", day=voucher.expires_on))


def accept_delivery(voucher: Voucher, user, version, report: str, uploads: dict[str, list]) -> list[str]:
    """The firm confirms acceptance (验收) with a short report and files. Returns the stored file names."""
    check_version(voucher, version)
    _require_unexpired(voucher)
    if voucher.status != "issued":
        raise VoucherError(_l("Acceptance can be confirmed only on an issued voucher."), status=409)
    follow_award(voucher)
    if voucher.bid_id is None:
        raise VoucherError(_l("Award the bid first: the voucher follows the awarded contract."))
    report = (report or "").strip()
    if not report:
        raise VoucherError(_l("Please describe what was delivered and accepted."), field="report")
    if not uploads.get("acceptance"):
        raise VoucherError(_l("Attach the signed acceptance report (PDF)."), field="acceptance")
    voucher.status = "accepted"
    voucher.acceptance_report = report
    voucher.accepted_at = utc_now()
    stored = _store_files(voucher, None, uploads, user)
    db.session.flush()
    record("voucher.accept", voucher)
    notify_org(voucher.provider, "voucher.accepted", _link(voucher), firm=voucher.firm.name, code=voucher.code)
    return stored


def claim_limit(voucher: Voucher, amount_paid: Decimal) -> Decimal:
    """What a claim can redeem: min(cap, share × amount actually paid), and never above the face value."""
    return min(voucher.face_value, ledger.covered(voucher.scheme.share_percent, voucher.scheme.cap, amount_paid))


def file_claim(voucher: Voucher, user, version, invoice_number: str, amount_paid: Decimal,
               amount_claimed: Decimal | None, uploads: dict[str, list]) -> tuple[VoucherClaim, list[str]]:
    check_version(voucher, version)
    if user.org_id != voucher.provider_org_id:
        raise VoucherError(_l("Only the provider of this contract can claim the voucher."), status=403)
    _require_unexpired(voucher)
    if voucher.status not in CLAIMABLE:
        raise VoucherError(_l("A claim can be filed after the firm has confirmed acceptance, and only once at a time."),
                           status=409)
    if eligibility.same_legal_person(voucher.firm, voucher.provider):
        raise VoucherError(_l("The firm and the provider are the same legal person; a voucher cannot be redeemed between them."))
    amount_paid = ledger.to_fen(amount_paid)
    limit = claim_limit(voucher, amount_paid)
    amount_claimed = limit if amount_claimed is None else ledger.to_fen(amount_claimed)
    if amount_claimed > voucher.face_value:
        raise VoucherError(_l("The claim (%(claimed)s 万元) is above the voucher's value of %(value)s 万元.",
                              claimed=amount_claimed, value=voucher.face_value), field="amount_claimed")
    if amount_claimed > limit:
        raise VoucherError(_l("The claim (%(claimed)s 万元) is above %(share)s%% of the amount paid, capped: at most %(limit)s 万元.",
                              claimed=amount_claimed, share=voucher.scheme.share_percent, limit=limit), field="amount_claimed")
    missing = [kind for kind in voucher.scheme.required_documents if not uploads.get(kind)]
    if missing:
        from marketplace.vouchers.forms import DOCUMENT_LABELS

        raise VoucherError(_l("Attach the documents the scheme requires: %(names)s.",
                              names="、".join(str(DOCUMENT_LABELS[k]) for k in missing)), field=missing[0])
    claim = VoucherClaim(voucher_id=voucher.id, provider_org_id=user.org_id, invoice_number=invoice_number.strip(),
                         amount_paid=amount_paid, amount_claimed=amount_claimed, submitted_by_id=user.id)
    try:
        db.session.add(claim)
        db.session.flush()
    except IntegrityError:
        raise VoucherError(_l("A claim on this voucher is already in review."), status=409) from None
    voucher.status = "claimed"
    stored = _store_files(voucher, claim, uploads, user)
    db.session.flush()
    record("voucher.claim", claim, voucher_id=voucher.id, amount_paid=amount_paid, amount_claimed=amount_claimed)
    notify_org(voucher.scheme.bureau, "voucher.claimed", _link(voucher), provider=voucher.provider.name, code=voucher.code)
    return claim, stored


def _require_open_claim(claim: VoucherClaim, version) -> None:
    if claim.status != "submitted":
        from marketplace.auth.models import User

        who = db.session.get(User, claim.reviewed_by_id) if claim.reviewed_by_id else None
        raise VoucherError(_l("This claim was already decided by %(who)s: %(status)s. Nothing was changed.",
                              who=who.name if who else "—", status=eligibility.status_text(claim.status)), status=409)
    check_version(claim, version)


def pay_claim(claim: VoucherClaim, user, version, payment_reference: str = "") -> VoucherClaim:
    """Approve a claim: the payout is recorded, and what the voucher reserved beyond it is released."""
    _require_open_claim(claim, version)
    voucher = claim.voucher
    if eligibility.same_legal_person(voucher.firm, voucher.provider):
        raise VoucherError(_l("The firm and the provider are the same legal person; a voucher cannot be redeemed between them."))
    amount = min(claim.amount_claimed, claim_limit(voucher, claim.amount_paid))
    ledger.payout(voucher, amount, user, note=payment_reference)
    ledger.release(voucher, voucher.face_value - amount, user, note="unused after payout")
    claim.status, claim.reviewed_at, claim.reviewed_by_id = "approved", utc_now(), user.id
    claim.payment_reference = (payment_reference or "").strip()
    voucher.status, voucher.redeemed_amount = "paid", amount
    db.session.flush()
    record("voucher.pay", claim, actor=user, voucher_id=voucher.id, amount=amount)
    for org in (voucher.provider, voucher.firm):
        notify_org(org, "voucher.paid", _link(voucher), code=voucher.code, amount=amount)
    return claim


def return_claim(claim: VoucherClaim, user, version, reason: str) -> VoucherClaim:
    reason = (reason or "").strip()
    if not reason:
        raise VoucherError(_l("Please say what the provider must correct."), field="reason")
    _require_open_claim(claim, version)
    claim.status, claim.review_reason = "returned", reason
    claim.reviewed_at, claim.reviewed_by_id = utc_now(), user.id
    claim.voucher.status = "returned"
    db.session.flush()
    record("voucher.return", claim, actor=user, voucher_id=claim.voucher_id, reason=reason)
    notify_org(claim.voucher.provider, "voucher.returned", _link(claim.voucher), code=claim.voucher.code, reason=reason)
    return claim


# ----------------------------------------------------------------------------- expiry

def expire_due(today: date | None = None) -> list[Voucher]:
    """Vouchers past their expiry date and not redeemed: expired, their reservation released."""
    today = today or date.today()
    due = db.session.scalars(sa.select(Voucher).where(Voucher.status.in_(EXPIRABLE), Voucher.expires_on < today)
                             .order_by(Voucher.id)).all()
    for voucher in due:
        ledger.release(voucher, voucher.face_value, None, note="expired")
        voucher.status = "expired"
        db.session.flush()
        record("voucher.expire", voucher, released=voucher.face_value)
        notify_org(voucher.firm, "voucher.expired", _link(voucher), code=voucher.code, amount=voucher.face_value)
    return due
