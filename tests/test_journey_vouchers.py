"""The voucher journey in chromium: a Weifang firm applies for a 算力券 on its awarded contract, the
bureau approves it (the amount is reserved), the firm confirms acceptance with a PDF, the provider
claims with invoice and payment proof, and the bureau pays; screenshots at each step."""
from __future__ import annotations

from decimal import Decimal

import pytest

from tests.browser import fill_login, shot
from tests.conftest import TEST_PASSWORD
from tests.vouchers_builders import PDF, make_bureau, make_contract, make_scheme


def login_as(page, base_url: str, email: str) -> None:
    page.context.clear_cookies()
    fill_login(page, base_url, email, TEST_PASSWORD)


@pytest.mark.browser
def test_voucher_journey(live_server, browser_page, tmp_path):
    from marketplace.extensions import db

    app = live_server.app
    with app.app_context():
        bureau, officer = make_bureau()
        officer.email, officer.name = "officer@weifang.example", "张科长"
        scheme = make_scheme(bureau, "compute", name="潍坊市算力券", budget=Decimal("100"))
        contract = make_contract(price=Decimal("50"))
        contract["firm_user"].email = "wang@firm.example"
        contract["provider_user"].email = "li@provider.example"
        contract["demand"].title = "缸体铸件缺陷检测模型训练"
        db.session.commit()
        demand_id, scheme_id = contract["demand"].id, scheme.id
    proof = tmp_path / "验收报告.pdf"
    proof.write_bytes(PDF)
    page = browser_page
    page.on("dialog", lambda dialog: dialog.accept())

    page.goto(live_server.url + "/vouchers/")
    page.wait_for_selector("[data-testid=public-schemes]")
    assert "100.00 万元" in page.inner_text("[data-testid=budget]")
    shot(page, "vouchers-01-public-page")

    # The firm applies from its awarded demand.
    login_as(page, live_server.url, "wang@firm.example")
    page.goto(f"{live_server.url}/demands/{demand_id}")
    page.click("[data-testid=apply-voucher]")
    page.wait_for_selector("[data-testid=scheme-choices]")
    assert "15.00 万元" in page.inner_text("[data-testid=voucher-value]")
    shot(page, "vouchers-02-apply")
    page.fill("textarea[name=note]", "训练所需算力由智算中心提供。")
    page.click("[data-testid=apply-compute]")
    page.wait_for_selector("[data-testid=voucher-status]")
    assert "已申领" in page.inner_text("[data-testid=voucher-status]")

    # The bureau approves in a batch: a code is issued and 15 万元 reserved.
    login_as(page, live_server.url, "officer@weifang.example")
    page.goto(f"{live_server.url}/vouchers/schemes/{scheme_id}/queue")
    page.check("input[name=voucher_id]")
    shot(page, "vouchers-03-bureau-queue")
    page.click("[data-testid=batch-approve]")
    page.wait_for_selector(".alert-success")
    assert "15.00 万元" in page.inner_text("[data-testid=reserved]")
    assert "85.00 万元" in page.inner_text("[data-testid=remaining]")

    # The firm confirms acceptance with the signed report.
    login_as(page, live_server.url, "wang@firm.example")
    page.goto(live_server.url + "/vouchers/mine")
    page.click("[data-testid=my-vouchers] a")
    page.click("[data-testid=to-accept]")
    page.fill("textarea[name=report]", "模型已训练完成并部署，测试集检出率98.5%。")
    page.set_input_files("input[name=acceptance]", str(proof))
    shot(page, "vouchers-04-acceptance")
    page.click("[data-testid=confirm-acceptance]")
    page.wait_for_selector("[data-testid=acceptance-report]")

    # The provider claims: first too much, then right.
    login_as(page, live_server.url, "li@provider.example")
    page.goto(live_server.url + "/vouchers/mine")
    page.click("[data-testid=my-vouchers] a")
    page.click("[data-testid=to-claim]")
    page.fill("input[name=invoice_number]", "3700264130099999")
    page.fill("input[name=amount_paid]", "50")
    page.fill("input[name=amount_claimed]", "16")
    page.set_input_files("input[name=invoice]", str(proof))
    page.set_input_files("input[name=payment_proof]", str(proof))
    page.click("[data-testid=file-claim]")
    page.wait_for_selector(".invalid-feedback")
    assert "15.00" in page.inner_text("main")
    shot(page, "vouchers-05-claim-too-much")
    page.fill("input[name=amount_claimed]", "")
    page.set_input_files("input[name=invoice]", str(proof))
    page.set_input_files("input[name=payment_proof]", str(proof))
    page.click("[data-testid=file-claim]")
    page.wait_for_selector("[data-testid=claims]")
    assert "兑付审核中" in page.inner_text("[data-testid=voucher-status]")

    # The bureau verifies and pays.
    login_as(page, live_server.url, "officer@weifang.example")
    page.goto(f"{live_server.url}/vouchers/schemes/{scheme_id}/queue")
    page.click("#h-claims + ul a")
    page.fill("input[name=payment_reference]", "潍财拨〔2026〕200号")
    shot(page, "vouchers-06-verify-claim")
    page.click("[data-testid=pay]")
    page.wait_for_selector("[data-testid=redeemed-amount]")
    assert "15.00 万元" in page.inner_text("[data-testid=redeemed-amount]")
    assert "已兑付" in page.inner_text("[data-testid=voucher-status]")
    shot(page, "vouchers-07-paid")
    page.goto(live_server.url + "/vouchers/dashboard")
    page.wait_for_selector("[data-testid=by-scheme]")
    assert "15.00 万元" in page.inner_text("[data-testid=by-scheme]")
    shot(page, "vouchers-08-dashboard")
