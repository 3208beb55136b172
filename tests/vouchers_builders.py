"""Builders for the voucher tests: a scheme, an awarded contract, a voucher in a given state, PDFs."""
from __future__ import annotations

import io
from datetime import date, timedelta
from decimal import Decimal

from marketplace.extensions import db
from tests.conftest import make_bid, make_demand, make_offering, make_org, make_user, term

PDF = (b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n2 0 obj\n<< /Type /Pages /Kids [] /Count 0 >>\n"
       b"endobj\nxref\n0 3\n0000000000 65535 f \n0000000009 00000 n \n0000000058 00000 n \ntrailer\n<< /Size 3 /Root 1 0 R >>\n"
       b"startxref\n110\n%%EOF\n")


def pdf(name: str = "报告.pdf"):
    return (io.BytesIO(PDF), name)


def make_scheme(bureau, voucher_type: str = "compute", status: str = "open", **fields):
    from marketplace.vouchers.models import VoucherScheme

    budget = fields.pop("budget", Decimal("100"))
    pools = fields.pop("pools", [])
    scheme = VoucherScheme(
        bureau_org_id=bureau.id, voucher_type_id=term("voucher", voucher_type).id,
        name=fields.pop("name", f"潍坊市{term('voucher', voucher_type).label_zh}"), city_id=fields.pop("city_id", bureau.city_id),
        share_percent=fields.pop("share_percent", Decimal("30")), cap=fields.pop("cap", Decimal("20")),
        budget=budget, available=budget, status=status,
        opens_on=fields.pop("opens_on", date.today() - timedelta(days=5)),
        closes_on=fields.pop("closes_on", date.today() + timedelta(days=60)),
        validity_days=fields.pop("validity_days", 90), firm_sizes=fields.pop("firm_sizes", []),
        required_documents=fields.pop("required_documents", ["invoice", "payment_proof"]), **fields)
    scheme.pools = pools
    db.session.add(scheme)
    db.session.flush()
    return scheme


def make_contract(price=Decimal("50"), voucher_type: str = "compute", city: str = "weifang", firm=None):
    """A firm with an awarded bid from a provider whose offering accepts `voucher_type`."""
    firm = firm or make_org("manufacturer", city=city, size="small", industry_id=term("industry", "C34").id)
    firm_user = make_user(firm)
    provider = make_org("provider", city="jinan")
    provider_user = make_user(provider)
    offering = make_offering(provider)
    offering.vouchers = [term("voucher", voucher_type)]
    demand = make_demand(firm, status="awarded", city=city)
    bid = make_bid(demand, provider, offering, status="awarded", price=price)
    db.session.flush()
    return {"firm": firm, "firm_user": firm_user, "provider": provider, "provider_user": provider_user,
            "offering": offering, "demand": demand, "bid": bid}


def make_bureau(city: str = "weifang"):
    bureau = make_org("bureau", name=f"{city}工信局", city=city)
    return bureau, make_user(bureau)


def issued_voucher(scheme, contract, officer):
    """A voucher applied for and approved through the services."""
    from marketplace.vouchers import eligibility, services

    voucher = services.apply(contract["firm_user"], scheme, eligibility.Contract(contract["demand"], contract["bid"]))
    services.approve(voucher, officer, voucher.version)
    db.session.flush()
    return voucher
