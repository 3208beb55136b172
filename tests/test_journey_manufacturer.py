"""The manufacturer's journey in chromium: a Weifang firm imports the template list, sees ranked
providers for a demand, receives a bid, awards it, closes the project and reviews the provider."""
from __future__ import annotations

from decimal import Decimal

import pytest

from tests.browser import fill_login, shot
from tests.conftest import TEST_PASSWORD, make_offering, make_org, make_user, term


@pytest.fixture
def live_server_config():
    return {"MATCHING_ENABLED": True}


@pytest.mark.browser
def test_manufacturer_journey(live_server, browser_page, tmp_path):
    from marketplace.extensions import db

    app = live_server.app
    with app.app_context():
        firm = make_org("manufacturer", name="潍坊示例动力机械有限公司", city="weifang", industry_id=term("industry", "C34").id)
        make_user(firm, email="wang@weifang.example", name="王经理")
        vision = make_org("provider", name="潍坊智检视觉科技", city="weifang")
        provider_user = make_user(vision, email="sales@zhijian.example", name="李工")
        offering = make_offering(vision, title="铸件表面缺陷视觉检测系统",
                                 description="深度学习视觉检测缸体、缸盖铸件表面砂眼、气孔、裂纹，在线分拣。")
        offering.chains = [term("chain", "power_equipment")]
        make_offering(make_org("provider", name="示例能源管理"), title="工厂能耗监测与优化",
                      description="电表接入，分析峰谷用电。", scenarios=["energy_optimization"], industries=["C38"])
        db.session.commit()
        provider_user_id, offering_id = provider_user.id, offering.id

    page = browser_page
    page.on("dialog", lambda dialog: dialog.accept())
    fill_login(page, live_server.url, "wang@weifang.example", TEST_PASSWORD)

    # A demand list, filled from the downloadable Chinese template.
    page.get_by_role("link", name="需求清单", exact=True).first.click()
    page.click("[data-testid=new-list]")
    page.fill("input[name=title]", "2026年度AI改造需求清单")
    page.click("form[method=post] button[type=submit]")
    page.click("[data-testid=import]")
    with page.expect_download() as download:
        page.click("[data-testid=template]")
    template = tmp_path / "template.xlsx"
    download.value.save_as(template)
    page.set_input_files("input[name=file]", str(template))
    page.click("form[method=post] button[type=submit]")
    assert "3 行可导入，0 行有问题" in page.inner_text("[data-testid=import-summary]")
    shot(page, "manufacturer-01-import-preview")
    page.click("[data-testid=confirm-import]")
    page.wait_for_load_state("networkidle")
    assert page.locator("[data-testid=list-demands] a").count() == 3
    shot(page, "manufacturer-02-list-imported")

    # The demand page ranks providers, with reasons.
    page.click("text=柴油机缸体铸件表面缺陷在线检测")
    ranked = page.locator("[data-testid=ranked-offerings] li")
    assert ranked.count() >= 1
    assert "铸件表面缺陷视觉检测系统" in ranked.first.inner_text()
    shot(page, "manufacturer-03-ranked-providers")
    demand_url = page.url
    demand_id = int(demand_url.rstrip("/").split("/")[-1].split("#")[0])

    # A bid arrives (made here by the provider, through the same service the bid form uses).
    with app.test_request_context():
        from marketplace.auth.models import User
        from marketplace.bids import services
        from marketplace.demands.models import Demand
        from marketplace.offerings.models import Offering

        services.submit_bid(db.session.get(User, provider_user_id), db.session.get(Demand, demand_id),
                            db.session.get(Offering, offering_id), Decimal("45"), 75,
                            "两台工业相机加边缘推理盒，接入清理线末端分拣机构，75 天上线。")
        db.session.commit()
    page.goto(demand_url)
    assert page.locator("[data-testid=notifications] .badge").inner_text() == "1"
    card = page.locator("[data-testid=bid-card]")
    assert card.count() == 1 and "潍坊智检视觉科技" in card.inner_text()
    assert "45 万元" in card.locator("[data-testid=bid-price]").inner_text()
    shot(page, "manufacturer-04-bid-received")

    # Award it: bidding closes.
    card.locator("[data-testid=award]").click()
    page.wait_for_load_state("networkidle")
    assert page.locator("[data-testid=awarded]").is_visible()
    assert page.locator("[data-status=awarded]").first.is_visible()
    shot(page, "manufacturer-05-awarded")

    # After delivery: close and review.
    page.click("[data-testid=close-demand]")
    page.wait_for_load_state("networkidle")
    page.check("input[name=rating][value='5']")
    page.fill("textarea[name=comment]", "按期上线，漏检率从3%降到0.3%，现场响应及时。")
    page.click("[data-testid=submit-review]")
    page.wait_for_load_state("networkidle")
    assert "★★★★★" in page.inner_text("[data-testid=review]")
    shot(page, "manufacturer-06-closed-and-reviewed")

    # The same pages work on a phone.
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(live_server.url + "/demands/mine")
    assert page.locator("[data-testid=my-demands]").is_visible()
    shot(page, "manufacturer-07-phone-my-demands")

    # The review is on the provider's public page.
    page.goto(f"{live_server.url}/providers/{vision_id(app)}")
    assert page.get_by_text("按期上线，漏检率从3%降到0.3%").is_visible()
    shot(page, "manufacturer-08-provider-page-review")


def vision_id(app) -> int:
    import sqlalchemy as sa

    from marketplace.extensions import db
    from marketplace.orgs.models import Organisation

    with app.app_context():
        return db.session.scalar(sa.select(Organisation.id).where(Organisation.name == "潍坊智检视觉科技"))
