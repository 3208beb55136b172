"""The bureau's journey in a real browser: a Zibo officer creates a pool → opens the call → reviews two
applications (admits one, rejects one with a reason) → publishes the notice → opens the dashboard →
downloads an export. Screenshots go to test-artifacts/."""
from __future__ import annotations

from datetime import date, timedelta

import pytest

from tests.browser import fill_login, shot
from tests.conftest import TEST_PASSWORD, make_application, make_demand, make_org, make_user


@pytest.fixture
def zibo(live_server):
    from marketplace.extensions import db

    with live_server.app.app_context():
        bureau = make_org("bureau", name="淄博市工业和信息化局", city="zibo")
        make_user(bureau, email="officer@zibo.example", name="王科长")
        for name in ("鲁智化工智能科技", "齐云数据服务"):
            make_user(make_org("provider", name=name, city="jinan"))
        firm = make_org("manufacturer", name="淄博示例化工有限公司", city="zibo")
        make_demand(firm, title="反应釜温度异常智能预警", city="zibo", industry="C26", scenarios=["safety_warning"])
        db.session.commit()


def apply_both(live_server, pool_id: int) -> None:
    """The two providers apply (their side of the journey is the provider engineer's test)."""
    import sqlalchemy as sa

    from marketplace.extensions import db
    from marketplace.orgs.models import Organisation
    from marketplace.pools.models import Pool

    with live_server.app.app_context():
        pool = db.session.get(Pool, pool_id)
        for org in db.session.scalars(sa.select(Organisation).where(Organisation.kind == "provider").order_by(Organisation.id)):
            make_application(pool, org, statement=f"{org.name}：在淄博化工园区有三个落地项目。")
        db.session.commit()


@pytest.mark.browser
def test_zibo_officer_runs_a_pool_end_to_end(live_server, browser_page, zibo):
    page, base = browser_page, live_server.url
    page.on("dialog", lambda dialog: dialog.accept())
    fill_login(page, base, "officer@zibo.example", TEST_PASSWORD)

    # 1. Create the pool with a rubric.
    page.goto(base + "/pools/manage")
    page.click("[data-testid=new-pool]")
    page.fill("[name=name]", "淄博市化工行业人工智能服务商资源池")
    page.fill("[name=criteria]", "近三年在化工行业有AI落地案例；具备安全生产相关资质。")
    page.fill("[name=opens_on]", (date.today() - timedelta(days=1)).isoformat())
    page.fill("[name=closes_on]", (date.today() + timedelta(days=30)).isoformat())
    page.fill("[name=quota]", "20")
    page.select_option("[name=scenario_ids]", label="化工过程安全与智能控制")
    for n, (item, points) in enumerate((("技术能力", "40"), ("化工行业案例", "40"), ("服务保障", "20"))):
        page.fill(f"[name=rubric-{n}-name]", item)
        page.fill(f"[name=rubric-{n}-max_points]", points)
    shot(page, "bureau-01-new-pool")
    page.click("[data-testid=save-pool]")
    page.wait_for_url("**/manage")
    pool_id = int(page.url.rstrip("/").split("/")[-2])
    page.click("[data-testid=open-call]")
    page.wait_for_selector("[data-status=open]")
    shot(page, "bureau-02-call-open")

    # 2. Two providers apply; the officer scores and decides each.
    apply_both(live_server, pool_id)
    page.goto(f"{base}/pools/{pool_id}/applications")
    page.wait_for_selector("[data-testid=application-queue]")
    shot(page, "bureau-03-queue")
    page.click("text=鲁智化工智能科技")
    for field, value in zip(page.locator("[data-testid=score-form] input[name^=points_]").all(), ("36", "38", "18")):
        field.fill(value)
    page.locator("[data-testid=score-form] textarea[name^=comment_]").first.fill("视觉检测与机理模型结合，方案扎实。")
    page.click("[data-testid=save-scores]")
    page.wait_for_selector("[data-testid=total-score]:has-text('92')")
    page.select_option("[name=decision]", "admit")
    shot(page, "bureau-04-review-admit")
    page.click("[data-testid=record-decision]")
    page.wait_for_url("**/applications?status=pending")

    page.click("text=齐云数据服务")
    page.select_option("[name=decision]", "reject")
    page.click("[data-testid=record-decision]")  # no reason: refused beside the field
    page.wait_for_selector("#reason.is-invalid")
    page.fill("[name=reason]", "缺少化工行业落地案例，暂不符合入库条件。")
    shot(page, "bureau-05-review-reject")
    page.click("[data-testid=record-decision]")
    page.wait_for_url("**/applications?status=pending")
    assert "齐云数据服务" not in page.inner_text("main")

    # 3. Publish the public notice and see it on the public page.
    page.goto(f"{base}/pools/{pool_id}/notice")
    page.click("[data-testid=notice-form] button[type=submit]")
    page.wait_for_selector("[data-testid=public-notice]")
    members = page.inner_text("[data-testid=pool-members]")
    assert "鲁智化工智能科技" in members and "齐云数据服务" not in members
    shot(page, "bureau-06-public-notice")

    # 4. The dashboard, with its charts drawn.
    page.goto(base + "/dashboard/")
    page.wait_for_selector("[data-testid=funnel-table]")
    page.wait_for_function("document.querySelector('#chart-funnel').width > 0")
    assert page.inner_text("[data-stage=demands]") == "1"
    shot(page, "bureau-07-dashboard")

    # 5. Download the applications with their scores.
    page.click("[data-testid=to-exports]")
    with page.expect_download() as info:
        page.click("[data-testid=export-applications-csv]")
    download = info.value
    content = open(download.path(), "rb").read()
    assert content.startswith(b"\xef\xbb\xbf")
    text = content.decode("utf-8")
    assert "鲁智化工智能科技" in text and "缺少化工行业落地案例" in text
    shot(page, "bureau-08-exports")

    # 6. On a phone the review pages fit the screen (tables scroll inside their box).
    page.set_viewport_size({"width": 390, "height": 844})
    for path, name in ((f"/pools/{pool_id}/applications?status=admitted", "bureau-09-phone-queue"),
                       ("/dashboard/", "bureau-10-phone-dashboard")):
        page.goto(base + path)
        assert page.evaluate("document.documentElement.scrollWidth") <= 392, path
        shot(page, name)
