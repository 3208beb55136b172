"""The bureau's voucher dashboard (budget, reserved, redeemed, leverage by scheme, city and chain)
as charts with tables, and CSV/XLSX exports of the vouchers and the ledger."""
from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

import sqlalchemy as sa
from flask import abort, render_template
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from marketplace.exports.writers import download
from marketplace.extensions import db
from marketplace.templating import term_label
from marketplace.vouchers import access, queries
from marketplace.vouchers.eligibility import status_text
from marketplace.vouchers.models import LedgerEntry, Voucher, VoucherScheme
from marketplace.vouchers.views import bp

ZERO = Decimal("0.00")
RESERVED_STATUSES = ("issued", "accepted", "claimed", "returned")
LEDGER_KIND_LABELS = {"reserve": _l("Reserved"), "release": _l("Released"), "payout": _l("Paid out")}


def _schemes() -> list[VoucherScheme]:
    query = sa.select(VoucherScheme)
    if not current_user.is_admin:
        query = query.where(VoucherScheme.bureau_org_id == current_user.org_id)
    return list(db.session.scalars(query.order_by(VoucherScheme.id)))


def _vouchers(scheme_ids) -> list[Voucher]:
    return list(db.session.scalars(sa.select(Voucher).where(Voucher.scheme_id.in_(list(scheme_ids))).order_by(Voucher.id)))


def leverage(contract_value: Decimal, voucher_money: Decimal):
    """Contract value per voucher yuan: issued contracts' value ÷ (reserved + redeemed)."""
    return (contract_value / voucher_money).quantize(Decimal("0.1")) if voucher_money else None


def _row(label, budget, reserved, redeemed, contract):
    return {"label": label, "budget": budget, "reserved": reserved, "redeemed": redeemed,
            "available": None if budget is None else budget - reserved - redeemed,
            "contract": contract, "leverage": leverage(contract, reserved + redeemed)}


def _distinct_contracts(vouchers) -> Decimal:
    """Contract value of the vouchers' contracts, each contract counted once (one contract may carry
    vouchers of several schemes: a 模型券 and a 算力券 on the same award)."""
    return sum({v.demand_id: v.contract_amount for v in vouchers}.values(), ZERO)


def summary(schemes, vouchers) -> dict[str, list[dict]]:
    positions = queries.positions(s.id for s in schemes)
    issued = [v for v in vouchers if v.code is not None]
    by_scheme = [_row(s.name, positions[s.id]["budget"], positions[s.id]["reserved"], positions[s.id]["redeemed"],
                      _distinct_contracts(v for v in issued if v.scheme_id == s.id)) for s in schemes]
    cities: dict = defaultdict(lambda: [ZERO, ZERO, ZERO])
    city_vouchers: dict = defaultdict(list)
    for s in schemes:
        p = positions[s.id]
        key = term_label(s.city) or str(_l("Whole province"))
        for n, value in enumerate((p["budget"], p["reserved"], p["redeemed"])):
            cities[key][n] += value
        city_vouchers[key] += [v for v in issued if v.scheme_id == s.id]
    chains: dict = defaultdict(lambda: [ZERO, ZERO])
    chain_vouchers: dict = defaultdict(list)
    for v in issued:
        key = term_label(v.demand.chain) or str(_l("Not stated"))
        chains[key][0] += v.face_value if v.status in RESERVED_STATUSES else ZERO
        chains[key][1] += v.redeemed_amount or ZERO
        chain_vouchers[key].append(v)
    return {"scheme": by_scheme,
            "city": [_row(k, *v, _distinct_contracts(city_vouchers[k])) for k, v in sorted(cities.items())],
            "chain": [_row(k, None, *v, _distinct_contracts(chain_vouchers[k])) for k, v in sorted(chains.items())]}


COLOURS = {"budget": "#999999", "reserved": "#e69138", "redeemed": "#6aa84f", "available": "#3d85c6"}
SERIES = {"reserved": _l("Reserved"), "redeemed": _l("Redeemed"), "available": _l("Available")}


def chart(rows, series=("reserved", "redeemed", "available")) -> dict:
    return {"type": "bar", "data": {"labels": [r["label"] for r in rows], "datasets": [
        {"label": str(SERIES[key]), "data": [float(r[key] or 0) for r in rows], "backgroundColor": COLOURS[key]}
        for key in series]},
        "options": {"indexAxis": "y", "scales": {"x": {"stacked": True, "beginAtZero": True}, "y": {"stacked": True}}}}


@bp.route("/dashboard")
@login_required
def dashboard():
    access.require_officer()
    schemes = _schemes()
    vouchers = _vouchers(s.id for s in schemes)
    tables = summary(schemes, vouchers)
    counts = defaultdict(int)
    for v in vouchers:
        counts[v.status] += 1
    charts = {"scheme": chart(tables["scheme"]), "city": chart(tables["city"]),
              "chain": chart(tables["chain"], ("reserved", "redeemed"))}
    return render_template("vouchers/dashboard.html", tables=tables, charts=charts, counts=counts)


VOUCHER_HEADERS = ["ID", _l("Voucher code"), _l("Scheme"), _l("Voucher type"), _l("City"), _l("Firm"), _l("Provider"),
                   _l("Demand"), _l("Chain"), _l("Status"), _l("Contract value (万元)"), _l("Face value (万元)"),
                   _l("Redeemed (万元)"), _l("Applied"), _l("Issued"), _l("Expires on"), _l("Decision reason")]
LEDGER_HEADERS = ["ID", _l("Scheme"), _l("Voucher code"), _l("Entry"), _l("Amount (万元)"), _l("Available after (万元)"),
                  _l("Note"), _l("Recorded")]


def voucher_rows(schemes):
    for v in _vouchers(s.id for s in schemes):
        yield [v.id, v.code or "", v.scheme.name, term_label(v.scheme.voucher_type), term_label(v.scheme.city), v.firm.name,
               v.provider.name if v.provider else "", v.demand.title, term_label(v.demand.chain), status_text(v.status),
               v.contract_amount, v.face_value, v.redeemed_amount, v.created_at, v.issued_at, v.expires_on, v.decision_reason]


def ledger_rows(schemes):
    names = {s.id: s.name for s in schemes}
    entries = db.session.scalars(sa.select(LedgerEntry).where(LedgerEntry.scheme_id.in_(list(names)))
                                 .order_by(LedgerEntry.id)).all()
    for e in entries:
        yield [e.id, names[e.scheme_id], e.voucher.code or "", str(LEDGER_KIND_LABELS[e.kind]), e.amount, e.available_after,
               e.note, e.created_at]


EXPORTS = {"vouchers": (_l("Voucher list"), VOUCHER_HEADERS, voucher_rows), "ledger": (_l("Voucher ledger"), LEDGER_HEADERS, ledger_rows)}


@bp.route("/export/<dataset>.<fmt>")
@login_required
def export(dataset: str, fmt: str):
    access.require_officer()
    if dataset not in EXPORTS or fmt not in ("csv", "xlsx"):
        abort(404)
    title, headers, rows = EXPORTS[dataset]
    return download(f"voucher-{dataset}", fmt, [str(h) for h in headers], rows(_schemes()), str(title))
