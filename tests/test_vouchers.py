"""Vouchers: schemes on the public page, apply → approve (reserve) → accept → claim → pay, the rules,
stale decisions, expiry, the ledger, exports and who may see what."""
from __future__ import annotations

import io
from datetime import date, timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa

from marketplace.extensions import db
from marketplace.vouchers import eligibility, ledger, services
from marketplace.vouchers.models import LedgerEntry, Voucher, VoucherScheme
from tests.conftest import login, make_application, make_pool, make_user, term
from tests.vouchers_builders import issued_voucher, make_bureau, make_contract, make_scheme, pdf


@pytest.fixture
def world(app):
    bureau, officer = make_bureau()
    scheme = make_scheme(bureau)
    contract = make_contract()
    db.session.commit()
    return {"bureau": bureau, "officer": officer, "scheme": scheme, **contract}


@pytest.fixture
def in_request(app):
    """Messages are translated when shown: read them inside a (Chinese) request."""
    with app.test_request_context(headers={"Accept-Language": "zh-CN"}):
        yield


def balance(scheme_id):
    scheme = db.session.get(VoucherScheme, scheme_id)
    db.session.refresh(scheme)
    return scheme.available


# ----------------------------------------------------------------------------- money

def test_amounts_are_min_of_cap_and_share_rounded_half_up():
    assert ledger.covered(Decimal("30"), Decimal("20"), Decimal("50")) == Decimal("15.00")
    assert ledger.covered(Decimal("30"), Decimal("20"), Decimal("100")) == Decimal("20.00")
    # 33.33% of 0.15 = 0.049995 → 0.05 (half up), never a float
    assert ledger.covered(Decimal("33.33"), Decimal("20"), Decimal("0.15")) == Decimal("0.05")
    assert isinstance(ledger.covered(Decimal("30"), Decimal("20"), Decimal("7.77")), Decimal)


# ----------------------------------------------------------------------------- public page

def test_public_page_lists_open_schemes_with_remaining_budget_and_rules(client, world):
    issued_voucher(world["scheme"], world, world["officer"])
    make_scheme(world["bureau"], "model", status="draft", name="草稿模型券")
    db.session.commit()
    html = client.get("/vouchers/").get_data(as_text=True)
    assert "潍坊市算力券" in html and "草稿模型券" not in html
    assert "85.00 万元" in html  # 100 budget − 15 reserved
    assert "精确到 0.01 万元（100 元），四舍五入" in html
    assert client.get(f"/vouchers/schemes/{world['scheme'].id}").status_code == 200


# ----------------------------------------------------------------------------- the journey over HTTP

def test_apply_approve_accept_claim_pay(client, app, world):
    login(client, world["firm_user"])
    page = client.get(f"/vouchers/apply?bid={world['bid'].id}").get_data(as_text=True)
    assert 'data-eligible="yes"' in page and "15.00 万元" in page
    response = client.post("/vouchers/apply", data={"scheme_id": world["scheme"].id, "bid_id": world["bid"].id,
                                                     "demand_id": world["demand"].id, "note": "请审核"})
    assert response.status_code == 302
    voucher = db.session.scalar(sa.select(Voucher))
    assert voucher.status == "applied" and voucher.requested_amount == Decimal("15.00")
    assert balance(world["scheme"].id) == Decimal("100.00")  # nothing reserved before approval
    # a second application on the same contract is refused with a reason
    again = client.post("/vouchers/apply", data={"scheme_id": world["scheme"].id, "bid_id": world["bid"].id})
    assert again.status_code == 400 and "已持有" in again.get_data(as_text=True)
    client.post("/logout")

    login(client, world["officer"])
    assert client.post(f"/vouchers/{voucher.id}/decide", data={"version": voucher.version, "approve": "1"}).status_code == 302
    db.session.refresh(voucher)
    assert voucher.status == "issued" and voucher.code and voucher.face_value == Decimal("15.00")
    assert voucher.expires_on == date.today() + timedelta(days=90)
    assert balance(world["scheme"].id) == Decimal("85.00")
    client.post("/logout")

    login(client, world["firm_user"])
    no_file = client.post(f"/vouchers/{voucher.id}/accept", data={"version": voucher.version, "report": "已验收"},
                          content_type="multipart/form-data")
    assert no_file.status_code == 400 and "已验收" in no_file.get_data(as_text=True)  # typed text kept
    done = client.post(f"/vouchers/{voucher.id}/accept", data={"version": voucher.version, "report": "系统上线，检出率99%",
                                                                "acceptance": [pdf("验收报告.pdf")]}, content_type="multipart/form-data")
    assert done.status_code == 302
    db.session.refresh(voucher)
    assert voucher.status == "accepted"
    client.post("/logout")

    login(client, world["provider_user"])
    claim = {"version": voucher.version, "invoice_number": "FP-001", "amount_paid": "40", "invoice": [pdf("发票.pdf")],
             "payment_proof": [pdf("回单.pdf")]}
    assert client.post(f"/vouchers/{voucher.id}/claim", data=claim, content_type="multipart/form-data").status_code == 302
    db.session.refresh(voucher)
    assert voucher.status == "claimed" and voucher.open_claim.amount_claimed == Decimal("12.00")  # 30% × 40
    client.post("/logout")

    login(client, world["officer"])
    claim_row = voucher.open_claim
    paid = client.post(f"/vouchers/claims/{claim_row.id}/review", data={"version": claim_row.version, "pay": "1",
                                                                         "payment_reference": "国库-2026-1"})
    assert paid.status_code == 302
    db.session.refresh(voucher)
    assert voucher.status == "paid" and voucher.redeemed_amount == Decimal("12.00")
    kinds = [(e.kind, e.amount) for e in db.session.scalars(sa.select(LedgerEntry).order_by(LedgerEntry.id))]
    assert kinds == [("reserve", Decimal("15.00")), ("payout", Decimal("12.00")), ("release", Decimal("3.00"))]
    assert balance(world["scheme"].id) == Decimal("88.00")
    position = ledger.position(Decimal("100.00"), ledger.totals(world["scheme"].id))
    assert position == {"budget": Decimal("100.00"), "reserved": Decimal("0.00"), "redeemed": Decimal("12.00"),
                        "available": Decimal("88.00")}
    # the firm and provider were told; the decisions are in the audit log
    from marketplace.audit.models import AuditEvent
    from marketplace.notifications.models import Notification

    actions = set(db.session.scalars(sa.select(AuditEvent.action)))
    assert {"voucher.apply", "voucher.issue", "voucher.accept", "voucher.claim", "voucher.pay"} <= actions
    kinds = set(db.session.scalars(sa.select(Notification.kind)))
    assert {"voucher.applied", "voucher.issued", "voucher.accepted", "voucher.claimed", "voucher.paid"} <= kinds


def test_claim_mistakes_get_clear_messages(client, world):
    voucher = issued_voucher(world["scheme"], world, world["officer"])
    voucher.status, voucher.acceptance_report = "accepted", "已验收"
    db.session.commit()
    login(client, world["provider_user"])

    def post(**fields):
        data = {"version": voucher.version, "invoice_number": "FP-9", "amount_paid": "40",
                "invoice": [pdf()], "payment_proof": [pdf()]}
        data.update(fields)
        return client.post(f"/vouchers/{voucher.id}/claim", data=data, content_type="multipart/form-data")

    above_value = post(amount_paid="200", amount_claimed="16")
    assert above_value.status_code == 400 and "15.00" in above_value.get_data(as_text=True)
    above_share = post(amount_claimed="13")
    assert above_share.status_code == 400 and "12.00" in above_share.get_data(as_text=True)
    missing = post(payment_proof=[])
    assert missing.status_code == 400 and ("付款凭证" in missing.get_data(as_text=True))
    not_pdf = post(invoice=[(io.BytesIO(b"MZ not a pdf"), "发票.pdf")])
    assert not_pdf.status_code == 400 and "FP-9" in not_pdf.get_data(as_text=True)  # typed invoice number kept
    voucher.expires_on = date.today() - timedelta(days=1)
    db.session.commit()
    expired = post()
    assert expired.status_code == 400 and "过期" in expired.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(LedgerEntry)) == 1  # only the reservation


def test_another_providers_claim_is_refused(client, world):
    voucher = issued_voucher(world["scheme"], world, world["officer"])
    voucher.status = "accepted"
    other = make_contract()["provider_user"]
    db.session.commit()
    login(client, other)
    assert client.get(f"/vouchers/{voucher.id}/claim").status_code == 404


def test_stale_approval_from_second_tab_gets_409_with_the_first_decision(client, world):
    voucher = services.apply(world["firm_user"], world["scheme"], eligibility.Contract(world["demand"], world["bid"]))
    db.session.commit()
    version = voucher.version
    colleague = make_user(world["bureau"], name="李科长")
    db.session.commit()
    login(client, colleague)
    assert client.post(f"/vouchers/{voucher.id}/decide", data={"version": version, "approve": "1"}).status_code == 302
    client.post("/logout")
    login(client, world["officer"])
    stale = client.post(f"/vouchers/{voucher.id}/decide", data={"version": version, "reject": "1", "reason": "材料不全"})
    assert stale.status_code == 409
    text = stale.get_data(as_text=True)
    assert "李科长" in text and voucher.code in text
    again = client.post(f"/vouchers/{voucher.id}/decide", data={"version": version, "approve": "1"})
    assert again.status_code == 409
    assert db.session.scalar(sa.select(sa.func.count()).select_from(LedgerEntry)) == 1  # reserved once


def test_batch_approval_reserves_each_and_refuses_beyond_budget(client, world):
    small = make_scheme(world["bureau"], "model", budget=Decimal("20"), name="小额模型券")
    contracts = [make_contract(voucher_type="model") for _ in range(2)]
    vouchers = [services.apply(c["firm_user"], small, eligibility.Contract(c["demand"], c["bid"])) for c in contracts]
    db.session.commit()
    login(client, world["officer"])
    data = {"voucher_id": [v.id for v in vouchers], "approve": "1", **{f"version_{v.id}": v.version for v in vouchers}}
    refused = client.post(f"/vouchers/schemes/{small.id}/batch", data=data)
    assert refused.status_code == 409 and "5.00" in refused.get_data(as_text=True)  # 20 − 15 left for the second
    assert balance(small.id) == Decimal("20.00") and all(db.session.get(Voucher, v.id).status == "applied" for v in vouchers)
    data["voucher_id"] = [vouchers[0].id]
    assert client.post(f"/vouchers/schemes/{small.id}/batch", data=data).status_code == 302
    assert balance(small.id) == Decimal("5.00")
    reject = client.post(f"/vouchers/schemes/{small.id}/batch", data={"voucher_id": [vouchers[1].id], "reject": "1",
                                                                        f"version_{vouchers[1].id}": vouchers[1].version})
    assert reject.status_code == 400  # a rejection needs a reason
    assert client.post(f"/vouchers/schemes/{small.id}/batch", data={"voucher_id": [vouchers[1].id], "reject": "1", "reason": "预算用完",
                                                                     f"version_{vouchers[1].id}": vouchers[1].version}).status_code == 302
    assert db.session.get(Voucher, vouchers[1].id).decision_reason == "预算用完"


def test_database_refuses_overspend_and_ledger_changes(app, world):
    voucher = issued_voucher(world["scheme"], world, world["officer"])
    db.session.commit()
    with pytest.raises(sa.exc.IntegrityError):
        db.session.execute(sa.update(VoucherScheme).where(VoucherScheme.id == world["scheme"].id).values(available=-1))
    db.session.rollback()
    for statement in (sa.update(LedgerEntry).values(amount=1), sa.delete(LedgerEntry)):
        with pytest.raises(sa.exc.DatabaseError):
            db.session.execute(statement)
        db.session.rollback()
    assert db.session.scalar(sa.select(LedgerEntry.amount).where(LedgerEntry.voucher_id == voucher.id)) == Decimal("15.00")


# ----------------------------------------------------------------------------- rules

def test_eligibility_says_why_not(client, world, in_request):
    pool = make_pool(world["bureau"], name="潍坊动力装备AI服务商资源池")
    strict = make_scheme(world["bureau"], "scenario", name="严格场景券", pools=[pool], firm_sizes=["medium"],
                         industries=[term("industry", "C26")])
    db.session.commit()
    reasons = [str(r) for r in eligibility.check(strict, world["firm"], eligibility.Contract(world["demand"], world["bid"])).reasons]
    assert any("资源池" in r for r in reasons)       # provider not admitted
    assert any("规模" in r for r in reasons)         # firm size
    assert any("行业" in r for r in reasons)         # industry
    assert any("场景券" in r for r in reasons)       # offering does not accept 场景券
    make_application(pool, world["provider"], status="admitted")
    db.session.commit()
    reasons = [str(r) for r in eligibility.check(strict, world["firm"], eligibility.Contract(world["demand"], world["bid"])).reasons]
    assert not any("资源池" in r for r in reasons)
    login(client, world["firm_user"])
    page = client.get(f"/vouchers/apply?bid={world['bid'].id}").get_data(as_text=True)
    assert 'data-eligible="no"' in page and "规模" in page


def test_same_legal_person_cannot_redeem(world, in_request):
    world["provider"].contact_email = world["firm_user"].email
    db.session.commit()
    verdict = eligibility.check(world["scheme"], world["firm"], eligibility.Contract(world["demand"], world["bid"]))
    assert any("同一法人" in str(r) for r in verdict.reasons)
    with pytest.raises(services.VoucherError):
        services.apply(world["firm_user"], world["scheme"], eligibility.Contract(world["demand"], world["bid"]))


def test_before_award_only_when_the_scheme_allows(world, in_request):
    from tests.conftest import make_demand

    open_demand = make_demand(world["firm"], status="open")
    contract = eligibility.Contract(open_demand, None)
    assert any("中标" in str(r) for r in eligibility.check(world["scheme"], world["firm"], contract).reasons)
    world["scheme"].allow_before_award = True
    assert eligibility.check(world["scheme"], world["firm"], contract).eligible
    assert eligibility.check(world["scheme"], world["firm"], contract).amount == Decimal("15.00")  # 30% of budget 50


def test_one_live_voucher_per_scheme_and_contract_in_the_database(world):
    first = services.apply(world["firm_user"], world["scheme"], eligibility.Contract(world["demand"], world["bid"]))
    db.session.flush()
    with pytest.raises(sa.exc.IntegrityError):
        with db.session.begin_nested():
            db.session.add(Voucher(scheme_id=first.scheme_id, firm_org_id=first.firm_org_id, demand_id=first.demand_id,
                                   contract_amount=Decimal("1"), requested_amount=Decimal("1")))
            db.session.flush()
    services.reject(first, world["officer"], first.version, "材料不全")
    assert services.apply(world["firm_user"], world["scheme"], eligibility.Contract(world["demand"], world["bid"])).status == "applied"


# ----------------------------------------------------------------------------- expiry

def test_expiry_job_releases_unused_reservations(app, world):
    from marketplace.vouchers.tasks import expire_vouchers

    voucher = issued_voucher(world["scheme"], world, world["officer"])
    other = make_contract()
    in_claim = issued_voucher(world["scheme"], other, world["officer"])
    in_claim.status = "claimed"
    voucher.expires_on = in_claim.expires_on = date.today() - timedelta(days=1)
    db.session.commit()
    assert balance(world["scheme"].id) == Decimal("70.00")
    expire_vouchers()
    db.session.commit()
    assert db.session.get(Voucher, voucher.id).status == "expired"
    assert db.session.get(Voucher, in_claim.id).status == "claimed"  # a claim in review is allowed to finish
    assert balance(world["scheme"].id) == Decimal("85.00")
    expire_vouchers()  # running again changes nothing
    db.session.commit()
    assert balance(world["scheme"].id) == Decimal("85.00")


# ----------------------------------------------------------------------------- access

def test_access_matrix(client, world):
    voucher = issued_voucher(world["scheme"], world, world["officer"])
    applied_only = make_contract()
    pending = services.apply(applied_only["firm_user"], world["scheme"], eligibility.Contract(applied_only["demand"], applied_only["bid"]))
    other_bureau, other_officer = make_bureau("zibo")
    other_scheme = make_scheme(other_bureau, name="淄博算力券", status="draft")
    db.session.commit()

    def status(user, url):
        client.post("/logout")
        login(client, user)
        return client.get(url).status_code

    assert status(world["firm_user"], f"/vouchers/{voucher.id}") == 200
    assert status(applied_only["firm_user"], f"/vouchers/{voucher.id}") == 404          # another firm's voucher
    assert status(world["provider_user"], f"/vouchers/{voucher.id}") == 200             # its contract
    assert status(applied_only["provider_user"], f"/vouchers/{pending.id}") == 404      # not issued yet
    assert status(applied_only["provider_user"], f"/vouchers/{voucher.id}") == 404      # not its contract
    assert status(world["officer"], f"/vouchers/{voucher.id}") == 200
    assert status(other_officer, f"/vouchers/{voucher.id}") == 404                      # another bureau's scheme
    assert status(other_officer, f"/vouchers/schemes/{world['scheme'].id}/queue") == 403
    assert status(world["officer"], f"/vouchers/schemes/{other_scheme.id}/queue") == 404  # a draft of another bureau
    assert status(world["firm_user"], f"/vouchers/{voucher.id}/claim") == 403           # firm cannot claim
    assert status(world["provider_user"], f"/vouchers/{voucher.id}/accept") == 403      # provider cannot accept
    assert status(world["firm_user"], "/vouchers/manage") == 403
    assert status(world["firm_user"], f"/vouchers/apply?bid={applied_only['bid'].id}") == 404  # another firm's contract
    client.post("/logout")
    login(client, world["firm_user"])
    mine = client.get("/vouchers/mine").get_data(as_text=True)
    assert voucher.code in mine and f'data-voucher="{pending.id}"' not in mine
    client.post("/logout")
    login(client, other_officer)
    assert "潍坊市算力券" not in client.get("/vouchers/export/vouchers.csv").get_data(as_text=True)


# ----------------------------------------------------------------------------- bureau pages

def test_bureau_creates_edits_and_publishes_a_scheme(client, world):
    login(client, world["officer"])
    data = {"name": "潍坊市语料券（首期）", "voucher_type_id": term("voucher", "corpus").id, "city_id": world["bureau"].city_id,
            "share_percent": "40", "cap": "10", "budget": "200", "validity_days": "120", "required_documents": ["invoice"],
            "firm_sizes": ["small", "micro"]}
    assert client.post("/vouchers/schemes/new", data={**data, "cap": "300"}).status_code == 400  # cap above budget
    assert client.post("/vouchers/schemes/new", data=data).status_code == 302
    scheme = db.session.scalar(sa.select(VoucherScheme).where(VoucherScheme.name == "潍坊市语料券（首期）"))
    assert scheme.available == Decimal("200.00") and scheme.status == "draft" and scheme.firm_sizes == ["small", "micro"]
    assert "潍坊市语料券（首期）" not in client.get("/vouchers/").get_data(as_text=True)
    client.post(f"/vouchers/schemes/{scheme.id}/open", data={"version": scheme.version})
    assert "潍坊市语料券（首期）" in client.get("/vouchers/").get_data(as_text=True)
    # lowering the budget below what is committed is refused; a stale edit gets 409 with the input kept
    issued_voucher(world["scheme"], world, world["officer"])
    db.session.commit()
    edit = client.post(f"/vouchers/schemes/{world['scheme'].id}/edit", data={**data, "name": "新名字", "budget": "10",
                                                                             "version": world["scheme"].version})
    assert edit.status_code == 400 and "15.00" in edit.get_data(as_text=True)
    stale = client.post(f"/vouchers/schemes/{world['scheme'].id}/edit", data={**data, "name": "新名字", "version": 0})
    assert stale.status_code == 409 and "新名字" in stale.get_data(as_text=True)
    ok = client.post(f"/vouchers/schemes/{world['scheme'].id}/edit", data={**data, "budget": "150", "version": db.session.get(VoucherScheme, world["scheme"].id).version})
    assert ok.status_code == 302 and balance(world["scheme"].id) == Decimal("135.00")


def test_dashboard_and_exports(client, world):
    voucher = issued_voucher(world["scheme"], world, world["officer"])
    db.session.commit()
    login(client, world["officer"])
    html = client.get("/vouchers/dashboard").get_data(as_text=True)
    assert 'data-testid="by-scheme"' in html and "潍坊市算力券" in html and "15.00 万元" in html
    assert "3.3 ×" in html  # contract 50 ÷ voucher 15
    assert "<script>" not in html
    csv = client.get("/vouchers/export/vouchers.csv")
    assert csv.status_code == 200 and voucher.code in csv.get_data(as_text=True)
    ledger_csv = client.get("/vouchers/export/ledger.csv").get_data(as_text=True)
    assert "15.00" in ledger_csv
    xlsx = client.get("/vouchers/export/ledger.xlsx")
    assert xlsx.status_code == 200 and xlsx.data[:2] == b"PK"


def test_formula_neutralised_in_exports(client, world):
    world["firm"].name = "=HYPERLINK(\"http://x\")"
    issued_voucher(world["scheme"], world, world["officer"])
    db.session.commit()
    login(client, world["officer"])
    assert "'=HYPERLINK" in client.get("/vouchers/export/vouchers.csv").get_data(as_text=True)


# ----------------------------------------------------------------------------- integrations

def test_award_page_offers_to_apply_and_bid_page_shows_the_voucher(client, world):
    login(client, world["firm_user"])
    page = client.get(f"/demands/{world['demand'].id}").get_data(as_text=True)
    assert 'data-testid="apply-voucher"' in page
    voucher = issued_voucher(world["scheme"], world, world["officer"])
    db.session.commit()
    client.post("/logout")
    login(client, world["provider_user"])
    bid_page = client.get(f"/bids/{world['bid'].id}").get_data(as_text=True)
    assert voucher.code in bid_page


def test_offering_shows_usable_voucher(client, world):
    html = client.get(f"/offerings/{world['offering'].id}").get_data(as_text=True)
    assert "可用算力券" in html
    world["scheme"].status = "closed"
    db.session.commit()
    assert "可用算力券" not in client.get(f"/offerings/{world['offering'].id}").get_data(as_text=True)


# ----------------------------------------------------------------------------- demo data

def test_demo_vouchers_cover_every_state_and_budgets_match_the_ledger(client, app):
    from marketplace.seeding import load_demo

    load_demo(db.session)
    db.session.commit()
    states = set(db.session.scalars(sa.select(Voucher.status)))
    assert {"applied", "rejected", "issued", "claimed", "returned", "paid", "expired"} <= states
    schemes = db.session.scalars(sa.select(VoucherScheme)).all()
    assert {s.voucher_type.code for s in schemes} == {"model", "scenario", "compute", "corpus"}
    assert len({s.city_id for s in schemes}) == 2 and all(s.name.endswith("（演示）") and s.is_demo for s in schemes)
    for scheme in schemes:
        assert ledger.position(scheme.budget, ledger.totals(scheme.id))["available"] == scheme.available
    assert not any(load_demo(db.session).values())  # idempotent
    html = client.get("/vouchers/").get_data(as_text=True)
    assert "潍坊市2026年度模型券（演示）" in html and "淄博市算力券（演示）" in html


def test_ranked_lists_show_usable_vouchers(app, world):
    from types import SimpleNamespace

    from flask import render_template_string

    item = SimpleNamespace(obj=world["offering"], percent=80, via=None, reason_texts=lambda: ["同场景"])
    world["demand"].vouchers = [term("voucher", "compute")]
    db.session.commit()
    with app.test_request_context(headers={"Accept-Language": "zh-CN"}):
        offerings = render_template_string('{% from "matches/_macros.html" import ranked_offerings %}{{ ranked_offerings(items, demand) }}',
                                           items=[item], demand=world["demand"])
        demands = render_template_string('{% from "matches/_macros.html" import ranked_demands %}{{ ranked_demands(items, offering) }}',
                                         items=[SimpleNamespace(obj=world["demand"], percent=80, via=None, reason_texts=lambda: [])],
                                         offering=world["offering"])
    assert "可用算力券" in offerings and "可用算力券" in demands


def test_firm_withdraws_and_files_are_private(client, world):
    voucher = services.apply(world["firm_user"], world["scheme"], eligibility.Contract(world["demand"], world["bid"]))
    db.session.commit()
    login(client, world["firm_user"])
    assert client.post(f"/vouchers/{voucher.id}/withdraw", data={"version": voucher.version}).status_code == 302
    assert db.session.get(Voucher, voucher.id).status == "withdrawn"
    again = client.post(f"/vouchers/{voucher.id}/withdraw", data={"version": voucher.version})
    assert again.status_code == 409
    fresh = issued_voucher(world["scheme"], world, world["officer"])
    db.session.commit()
    client.post(f"/vouchers/{fresh.id}/accept", data={"version": fresh.version, "report": "已验收", "acceptance": [pdf("验收.pdf")]},
                content_type="multipart/form-data")
    file_id = db.session.get(Voucher, fresh.id).files[0].id
    download = client.get(f"/vouchers/files/{file_id}")
    assert download.status_code == 200 and download.data.startswith(b"%PDF")
    client.post("/logout")
    login(client, make_contract()["firm_user"])
    assert client.get(f"/vouchers/files/{file_id}").status_code == 404


def test_voucher_applied_before_award_follows_the_awarded_contract(world, in_request):
    from tests.conftest import make_bid, make_demand

    world["scheme"].allow_before_award = True
    demand = make_demand(world["firm"], status="open", budget_max=Decimal("100"))
    voucher = services.apply(world["firm_user"], world["scheme"], eligibility.Contract(demand, None))
    assert voucher.requested_amount == Decimal("20.00") and voucher.provider_org_id is None  # capped on the budget
    bid = make_bid(demand, world["provider"], world["offering"], status="awarded", price=Decimal("40"))
    demand.status = "awarded"
    services.approve(voucher, world["officer"], voucher.version)
    assert voucher.bid_id == bid.id and voucher.provider_org_id == world["provider"].id
    assert voucher.face_value == Decimal("12.00")  # 30% of the awarded 40


def test_public_page_queries_do_not_grow_with_schemes(client, world):
    from contextlib import contextmanager

    @contextmanager
    def counting():
        seen = []
        def listener(conn, cursor, statement, *args):
            if statement.lstrip().upper().startswith("SELECT"):  # not BEGIN/COMMIT bookkeeping
                seen.append(statement)
        sa.event.listen(db.engine, "before_cursor_execute", listener)
        try:
            yield seen
        finally:
            sa.event.remove(db.engine, "before_cursor_execute", listener)

    client.get("/vouchers/")
    with counting() as few:
        client.get("/vouchers/")
    pool = make_pool(world["bureau"])
    for code in ("model", "scenario", "corpus", "model"):
        make_scheme(world["bureau"], code, name=f"更多{code}", pools=[pool], industries=[term("industry", "C34")])
    db.session.commit()
    with counting() as many:
        assert client.get("/vouchers/").status_code == 200
    assert len(many) == len(few)


def test_leverage_counts_a_contract_once_per_city(client, world):
    model = make_scheme(world["bureau"], "model", name="潍坊模型券")
    world["offering"].vouchers = [term("voucher", "compute"), term("voucher", "model")]
    issued_voucher(world["scheme"], world, world["officer"])
    issued_voucher(model, world, world["officer"])
    db.session.commit()
    login(client, world["officer"])
    from marketplace.vouchers.report_views import _schemes, _vouchers, summary

    with client.application.test_request_context():
        from flask_login import login_user

        login_user(world["officer"])
        schemes = _schemes()
        city = summary(schemes, _vouchers(s.id for s in schemes))["city"][0]
    assert city["contract"] == Decimal("50.00") and city["reserved"] == Decimal("30.00")
    assert city["leverage"] == Decimal("1.7")


def test_public_page_in_english_states_the_rounding(client, world):
    from marketplace.i18n import LOCALE_COOKIE

    issued_voucher(world["scheme"], world, world["officer"])
    db.session.commit()
    client.set_cookie(LOCALE_COOKIE, "en")
    html = client.get("/vouchers/").get_data(as_text=True)
    assert "Compute voucher" in html and "85.00 万元 (¥850,000)" in html
    assert "rounded to 0.01 万元 (100 yuan), halves rounded up" in html
    assert "Covers 30% of the amount the firm actually pays" in html
