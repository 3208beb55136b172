"""The expert panel and the 公示 in a real browser: the officer assigns a colleague as reviewer → the
reviewer declares no conflict and scores → the officer admits and publishes the notice (拟入库) → a firm
lodges an objection with a PDF → the officer dismisses it. Screenshots go to test-artifacts/."""
from __future__ import annotations

import pytest

from tests.browser import fill_login, shot
from tests.conftest import TEST_PASSWORD, make_application, make_org, make_pool, make_user
from tests.files_builders import plain_pdf


@pytest.fixture
def world(live_server):
    from marketplace.extensions import db

    with live_server.app.app_context():
        bureau = make_org("bureau", name="淄博市工业和信息化局", city="zibo")
        make_user(bureau, email="officer@zibo.example", name="王科长")
        make_user(bureau, email="expert@zibo.example", name="李专家", org_role="member")
        provider = make_org("provider", name="鲁智化工智能科技", city="jinan")
        make_user(provider)
        make_user(make_org("manufacturer", name="淄博示例化工有限公司", city="zibo"), email="firm@zibo.example")
        pool = make_pool(bureau)
        application = make_application(pool, provider, statement="在淄博化工园区有三个落地项目。")
        db.session.commit()
        return {"pool": pool.id, "application": application.id}


@pytest.mark.browser
def test_panel_review_notice_and_objection(live_server, browser_page, world, tmp_path):
    page, base = browser_page, live_server.url
    page.on("dialog", lambda dialog: dialog.accept())
    pool_id, application_id = world["pool"], world["application"]

    # 1. The officer assigns a colleague to the panel.
    fill_login(page, base, "officer@zibo.example", TEST_PASSWORD)
    page.goto(f"{base}/pools/applications/{application_id}")
    page.select_option("[data-testid=assign-form] [name=reviewer_ids]", label="李专家")
    page.click("[data-testid=assign-form] button")
    page.wait_for_selector("[data-testid=panel-row]:has-text('李专家')")
    shot(page, "pool-panel-01-assigned")
    page.context.clear_cookies()

    # 2. The reviewer declares no conflict of interest, then scores.
    fill_login(page, base, "expert@zibo.example", TEST_PASSWORD)
    page.goto(base + "/pools/reviews")
    page.click("[data-testid=my-reviews] >> text=鲁智化工智能科技")
    page.check("[data-testid=coi-form] input[value=none]")
    page.click("[data-testid=coi-form] button")
    for field, value in zip(page.locator("[data-testid=sheet-form] input[name^=points_]").all(), ("36", "25", "24")):
        field.fill(value)
    page.click("[data-testid=sheet-form] button")
    page.wait_for_selector("[data-testid=sheet-total]:has-text('85')")
    shot(page, "pool-panel-02-reviewer-sheet")
    page.context.clear_cookies()

    # 3. The officer admits and publishes the notice: the provider is 拟入库.
    fill_login(page, base, "officer@zibo.example", TEST_PASSWORD)
    page.goto(f"{base}/pools/applications/{application_id}")
    page.wait_for_selector("[data-testid=total-score]:has-text('85')")
    page.select_option("[name=decision]", "admit")
    page.click("[data-testid=record-decision]")
    page.wait_for_url("**/applications?status=pending")
    page.goto(f"{base}/pools/{pool_id}/notice")
    page.click("[data-testid=notice-form] button[type=submit]")
    page.wait_for_selector("[data-testid=public-notice]")
    assert "拟入库" in page.inner_text("[data-testid=pool-members]")
    shot(page, "pool-panel-03-notice")
    page.context.clear_cookies()

    # 4. A firm lodges an objection with a PDF.
    evidence = tmp_path / "合同.pdf"
    evidence.write_bytes(plain_pdf())
    fill_login(page, base, "firm@zibo.example", TEST_PASSWORD)
    page.goto(f"{base}/pools/{pool_id}")
    page.click("[data-testid=lodge-objection]")
    page.fill("[name=reasons]", "该企业申报的案例由我厂自主实施，附合同为证。")
    page.set_input_files("[name=attachments]", str(evidence))
    page.click("[data-testid=objection-form] button[type=submit]")
    page.wait_for_selector("[data-testid=reasons]")
    assert "合同.pdf" in page.inner_text("main")
    shot(page, "pool-panel-04-objection")
    page.context.clear_cookies()

    # 5. The officer dismisses it with a reply.
    fill_login(page, base, "officer@zibo.example", TEST_PASSWORD)
    page.goto(f"{base}/pools/{pool_id}/objections")
    page.click("[data-testid=objection-list] >> text=鲁智化工智能科技")
    page.check("[data-testid=answer] input[value=dismissed]")
    page.fill("[name=reply]", "经核实，该案例由双方合作实施，异议不成立。")
    page.click("[data-testid=answer] button")
    page.wait_for_selector("[data-testid=answer]:has-text('不成立')")
    shot(page, "pool-panel-05-answered")
