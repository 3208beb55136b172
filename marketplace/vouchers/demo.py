"""Demo voucher schemes and vouchers in every state, from seeds/demo/vouchers.json (idempotent).

Amounts move through the ledger functions, so the demo budgets read exactly like real ones.
Schemes are found by bureau and name, vouchers by scheme and demand; existing rows are left alone.
"""
from __future__ import annotations

import json
from collections import Counter
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path

import sqlalchemy as sa

from marketplace.audit.services import record
from marketplace.auth.models import User
from marketplace.bids.models import Bid
from marketplace.demands.models import Demand
from marketplace.orgs.models import Organisation
from marketplace.pools.models import Pool
from marketplace.taxonomy.models import TaxonomyTerm
from marketplace.vouchers import ledger, services
from marketplace.vouchers.models import Voucher, VoucherClaim, VoucherScheme


def _moment(day: str | None) -> datetime | None:
    return datetime.combine(date.fromisoformat(day), time(9)) if day else None


class _VoucherLoader:
    def __init__(self, session, data: dict, orgs: dict, demands: dict, pools: dict) -> None:
        self.session, self.data = session, data
        self.orgs, self.demands, self.pools = orgs, demands, pools
        self.terms = {(t.kind, t.code): t for t in session.scalars(sa.select(TaxonomyTerm))}
        self.schemes: dict[str, VoucherScheme] = {}
        self.created: Counter[str] = Counter()

    def first_user(self, org_id: int) -> User | None:
        return self.session.scalar(sa.select(User).where(User.org_id == org_id).order_by(User.id))

    def load_schemes(self) -> None:
        for entry in self.data["schemes"]:
            bureau = self.orgs[entry["bureau"]]
            scheme = self.session.scalar(sa.select(VoucherScheme).where(
                VoucherScheme.bureau_org_id == bureau.id, VoucherScheme.name == entry["name"]))
            if scheme is None:
                budget = ledger.to_fen(Decimal(str(entry["budget"])))
                scheme = VoucherScheme(
                    bureau_org_id=bureau.id, voucher_type_id=self.terms[("voucher", entry["type"])].id, name=entry["name"],
                    city_id=self.terms[("city", entry["city"])].id if entry.get("city") else None,
                    description=entry.get("description", ""), firm_sizes=entry.get("firm_sizes", []),
                    share_percent=Decimal(str(entry["share_percent"])), cap=Decimal(str(entry["cap"])), budget=budget,
                    available=budget, opens_on=date.fromisoformat(entry["opens_on"]),
                    closes_on=date.fromisoformat(entry["closes_on"]), validity_days=entry["validity_days"],
                    allow_before_award=entry.get("allow_before_award", False),
                    required_documents=entry.get("required_documents", []), status="open", is_demo=True)
                scheme.industries = [self.terms[("industry", c)] for c in entry.get("industries", [])]
                scheme.chains = [self.terms[("chain", c)] for c in entry.get("chains", [])]
                scheme.pools = [self.pools[k] for k in entry.get("pools", [])]
                scheme.created_at = _moment(entry["opens_on"])
                self.session.add(scheme)
                self.session.flush()
                self.created["voucher_schemes"] += 1
            self.schemes[entry["key"]] = scheme

    def load_vouchers(self) -> None:
        for entry in self.data["vouchers"]:
            scheme, demand = self.schemes[entry["scheme"]], self.demands[entry["demand"]]
            if self.session.scalar(sa.select(Voucher.id).where(Voucher.scheme_id == scheme.id, Voucher.demand_id == demand.id)):
                continue
            self.add_voucher(scheme, demand, entry)
            self.created["vouchers"] += 1

    def add_voucher(self, scheme: VoucherScheme, demand: Demand, entry: dict) -> None:
        bid = self.session.scalar(sa.select(Bid).where(Bid.demand_id == demand.id, Bid.status == "awarded"))
        amount = bid.price if bid else (demand.budget_max or demand.budget_min)
        officer = self.first_user(scheme.bureau_org_id)
        firm_user = self.first_user(demand.org_id)
        voucher = Voucher(scheme_id=scheme.id, firm_org_id=demand.org_id, demand_id=demand.id, bid_id=bid.id if bid else None,
                          provider_org_id=bid.provider_org_id if bid else None, contract_amount=ledger.to_fen(amount),
                          requested_amount=ledger.covered(scheme.share_percent, scheme.cap, amount), note=entry.get("note", ""),
                          applied_by_id=firm_user.id if firm_user else None, is_demo=True, created_at=_moment(entry["applied_on"]))
        self.session.add(voucher)
        self.session.flush()
        record("voucher.apply", voucher, actor=firm_user, scheme_id=scheme.id, amount=voucher.requested_amount)
        state = entry["state"]
        if state == "rejected":
            voucher.status, voucher.decision_reason = "rejected", entry["reason"]
            voucher.decided_at, voucher.decided_by_id = _moment(entry["applied_on"]) + timedelta(days=3), officer.id
            record("voucher.reject", voucher, actor=officer, reason=entry["reason"])
        if state in ("applied", "rejected"):
            self.session.flush()
            return
        issued = _moment(entry["issued_on"])
        ledger.reserve(voucher, voucher.requested_amount, officer)
        voucher.status, voucher.code, voucher.face_value = "issued", services.new_code(scheme), voucher.requested_amount
        voucher.expires_on = date.fromisoformat(entry["expires_on"]) if entry.get("expires_on") else issued.date() + timedelta(days=scheme.validity_days)
        voucher.issued_at, voucher.decided_at, voucher.decided_by_id = issued, issued, officer.id
        self.session.flush()
        record("voucher.issue", voucher, actor=officer, code=voucher.code, amount=voucher.face_value)
        if state == "expired":
            ledger.release(voucher, voucher.face_value, None, note="expired")
            voucher.status = "expired"
            record("voucher.expire", voucher, released=voucher.face_value)
        if entry.get("acceptance"):
            voucher.status, voucher.acceptance_report = "accepted", entry["acceptance"]
            voucher.accepted_at = _moment(entry["accepted_on"])
            record("voucher.accept", voucher, actor=firm_user)
        for claim_entry in entry.get("claims", []):
            self.add_claim(voucher, claim_entry, officer)
        self.session.flush()

    def add_claim(self, voucher: Voucher, entry: dict, officer) -> None:
        paid = ledger.to_fen(Decimal(str(entry["amount_paid"])))
        limit = services.claim_limit(voucher, paid)
        claim = VoucherClaim(voucher_id=voucher.id, provider_org_id=voucher.provider_org_id, invoice_number=entry["invoice_number"],
                             amount_paid=paid, amount_claimed=limit, is_demo=True, created_at=_moment(entry["on"]),
                             submitted_by_id=getattr(self.first_user(voucher.provider_org_id), "id", None))
        self.session.add(claim)
        voucher.status = "claimed"
        self.session.flush()
        record("voucher.claim", claim, voucher_id=voucher.id, amount_paid=paid, amount_claimed=limit)
        reviewed = _moment(entry["on"]) + timedelta(days=3)
        if entry["status"] == "returned":
            claim.status, claim.review_reason, claim.reviewed_at, claim.reviewed_by_id = "returned", entry["reason"], reviewed, officer.id
            voucher.status = "returned"
            record("voucher.return", claim, actor=officer, reason=entry["reason"])
        elif entry["status"] == "approved":
            ledger.payout(voucher, limit, officer, note=entry.get("payment_reference", ""))
            ledger.release(voucher, voucher.face_value - limit, officer, note="unused after payout")
            claim.status, claim.reviewed_at, claim.reviewed_by_id = "approved", reviewed, officer.id
            claim.payment_reference = entry.get("payment_reference", "")
            voucher.status, voucher.redeemed_amount = "paid", limit
            record("voucher.pay", claim, actor=officer, amount=limit)


def load_demo_vouchers(session, folder: Path, orgs: dict, demands: dict, pools: dict) -> Counter[str]:
    """Called by marketplace.seeding after the bids: the loader's organisations, demands and pools by key."""
    path = Path(folder) / "vouchers.json"
    if not path.exists():
        return Counter()
    loader = _VoucherLoader(session, json.loads(path.read_text(encoding="utf-8")), orgs, demands, pools)
    loader.load_schemes()
    loader.load_vouchers()
    return loader.created
