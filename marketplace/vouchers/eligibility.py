"""Who may apply for which voucher, with the reasons when not. Pure reads; no writes."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from marketplace.extensions import db
from marketplace.offerings.models import Offering
from marketplace.pools.models import PoolApplication
from marketplace.vouchers.ledger import covered
from marketplace.vouchers.models import LIVE_VOUCHER_STATUSES, Voucher, VoucherScheme

MEMBER_STATUSES = ("admitted",)


@dataclass
class Contract:
    """What a voucher is applied against: an awarded bid, or (where the scheme allows) a demand before award."""

    demand: object
    bid: object | None

    @property
    def provider(self):
        return self.bid.provider if self.bid is not None else None

    @property
    def amount(self):
        if self.bid is not None:
            return self.bid.price
        return self.demand.budget_max or self.demand.budget_min


@dataclass
class Verdict:
    scheme: VoucherScheme
    reasons: list = field(default_factory=list)
    amount: object = None

    @property
    def eligible(self) -> bool:
        return not self.reasons


def _emails(org) -> set[str]:
    found = {u.email.strip().lower() for u in org.users}
    if org.contact_email:
        found.add(org.contact_email.strip().lower())
    return found


def same_legal_person(firm, provider) -> bool:
    """The same 统一社会信用代码, or the same person (e-mail or phone) on both sides."""
    if firm is None or provider is None:
        return False
    if firm.id == provider.id or (firm.credit_code and firm.credit_code == provider.credit_code):
        return True
    if firm.contact_phone and firm.contact_phone.strip() == provider.contact_phone.strip():
        return True
    return bool(_emails(firm) & _emails(provider))


def admitted_member(scheme: VoucherScheme, provider_id: int) -> bool:
    if not scheme.pools:
        return True
    return db.session.scalar(sa.select(PoolApplication.id).where(
        PoolApplication.pool_id.in_([p.id for p in scheme.pools]), PoolApplication.provider_org_id == provider_id,
        PoolApplication.status.in_(MEMBER_STATUSES)).limit(1)) is not None


def offers_type(scheme: VoucherScheme, contract: Contract) -> bool:
    """The provider's offering (or, without one, any published offering of it) accepts this voucher type."""
    if contract.bid is not None and contract.bid.offering is not None:
        return scheme.voucher_type in contract.bid.offering.vouchers
    offerings = db.session.scalars(sa.select(Offering).where(
        Offering.org_id == contract.bid.provider_org_id, Offering.status == "published")).all()
    return any(scheme.voucher_type in o.vouchers for o in offerings)


def live_voucher(scheme_id: int, demand_id: int) -> Voucher | None:
    return db.session.scalar(sa.select(Voucher).where(
        Voucher.scheme_id == scheme_id, Voucher.demand_id == demand_id, Voucher.status.in_(LIVE_VOUCHER_STATUSES)))


def check(scheme: VoucherScheme, firm, contract: Contract, today: date | None = None) -> Verdict:
    """Every rule the application breaks, in the order a firm would fix them."""
    verdict = Verdict(scheme)
    reasons = verdict.reasons
    demand = contract.demand
    if not scheme.window_open(today):
        reasons.append(_l("The scheme is not taking applications now (window %(window)s).",
                          window=window_text(scheme)))
    if firm is None or firm.kind != "manufacturer" or demand.org_id != firm.id:
        reasons.append(_l("Only the firm that owns the contract can apply."))
        return verdict
    if scheme.city_id and firm.city_id != scheme.city_id:
        reasons.append(_l("The scheme is for firms registered in %(city)s.", city=scheme.city.label))
    if scheme.industries and firm.industry_id not in {t.id for t in scheme.industries}:
        reasons.append(_l("Your industry is not one the scheme covers (%(names)s).",
                          names="、".join(t.label for t in scheme.industries)))
    if scheme.chains and demand.chain_id not in {t.id for t in scheme.chains}:
        reasons.append(_l("The demand is not in a chain the scheme covers (%(names)s).",
                          names="、".join(t.label for t in scheme.chains)))
    if scheme.firm_sizes and firm.size not in scheme.firm_sizes:
        reasons.append(_l("The scheme is for firms of size: %(sizes)s.", sizes="、".join(size_labels(scheme.firm_sizes))))
    if contract.bid is None:
        if not scheme.allow_before_award:
            reasons.append(_l("This scheme takes applications only for an awarded bid. Award the bid first."))
        elif demand.status != "open":
            reasons.append(_l("Before an award, a voucher can be applied for only on an open demand."))
    else:
        if contract.bid.status != "awarded" or contract.bid.demand_id != demand.id or demand.status not in ("awarded", "closed"):
            reasons.append(_l("The bid has not been awarded."))
        if not admitted_member(scheme, contract.bid.provider_org_id):
            reasons.append(_l("The provider is not an admitted member of a pool the scheme requires (%(pools)s).",
                              pools="、".join(p.name for p in scheme.pools)))
        if not offers_type(scheme, contract):
            reasons.append(_l("The provider's offering is not marked as eligible for the %(type)s.",
                              type=scheme.voucher_type.label))
        if same_legal_person(firm, contract.provider):
            reasons.append(_l("The firm and the provider are the same legal person; a voucher cannot be redeemed between them."))
    amount = contract.amount
    if not amount:
        reasons.append(_l("The contract has no amount: give the demand a budget first."))
    else:
        verdict.amount = covered(scheme.share_percent, scheme.cap, amount)
        if verdict.amount > scheme.available:
            reasons.append(_l("The scheme's remaining budget (%(left)s 万元) is less than this voucher (%(amount)s 万元).",
                              left=scheme.available, amount=verdict.amount))
    existing = live_voucher(scheme.id, demand.id)
    if existing is not None:
        reasons.append(_l("You already hold a voucher of this scheme for this contract (%(status)s).",
                          status=status_text(existing.status)))
    return verdict


def window_text(scheme: VoucherScheme) -> str:
    from marketplace.templating import _date

    start = _date(scheme.opens_on) if scheme.opens_on else "…"
    end = _date(scheme.closes_on) if scheme.closes_on else "…"
    return f"{start} – {end}"


SIZE_LABELS = {"micro": _l("micro"), "small": _l("small"), "medium": _l("medium"), "large": _l("large")}


def size_labels(sizes) -> list[str]:
    return [str(SIZE_LABELS.get(s, s)) for s in sizes]


STATUS_TEXT = {
    "draft": _l("Draft"), "open": _l("Taking applications"), "closed": _l("Closed"),
    "applied": _l("Applied"), "rejected": _l("Rejected"), "issued": _l("Issued"), "accepted": _l("Delivery accepted"),
    "claimed": _l("Claim in review"), "returned": _l("Claim returned"), "paid": _l("Paid"), "expired": _l("Expired"),
    "withdrawn": _l("Withdrawn"), "submitted": _l("Submitted"), "approved": _l("Approved and paid"),
}


def status_text(status: str) -> str:
    return str(STATUS_TEXT.get(status, status))
