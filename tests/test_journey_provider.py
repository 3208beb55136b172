"""The provider's journey in a real browser: register → offering with a case study → apply to the
Zibo chemical pool → opportunities → bid → the award notification (the award is made by the test)."""
from datetime import date, timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa

from tests.browser import shot
from tests.conftest import TEST_PASSWORD, make_demand, make_org, make_pool, make_user, term

PDF = (b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n2 0 obj\n<< /Type /Pages /Kids [] /Count 0 >>\n"
       b"endobj\nxref\n0 3\n0000000000 65535 f \n0000000009 00000 n \n0000000058 00000 n \ntrailer\n<< /Size 3 /Root 1 0 R >>\n"
       b"startxref\n110\n%%EOF\n")


@pytest.fixture
def zibo(live_server):
    """The Zibo bureau's open chemical pool and a chemical firm's open demand."""
    from marketplace.extensions import db

    with live_server.app.app_context():
        bureau = make_org("bureau", name="淄博市工业和信息化局", city="zibo")
        make_user(bureau, email="officer@zibo.example")
        pool = make_pool(bureau, name="淄博化工行业AI服务商资源池", description="面向化工行业征集AI服务商。")
        firm = make_org("manufacturer", name="淄博示例化工有限公司", city="zibo")
        make_user(firm, email="owner@chem.example")
        demand = make_demand(firm, title="反应釜温度异常智能预警", city="zibo", industry="C26", scenarios=["safety_warning"],
                             budget_min=Decimal("30"), budget_max=Decimal("80"), deadline=date.today() + timedelta(days=45))
        db.session.commit()
        ids = dict(pool=pool.id, demand=demand.id, scenario=term("scenario", "safety_warning").id,
                   industry=term("industry", "C26").id, city=term("city", "zibo").id)
    return ids


def submit(page, fields: dict[str, str], button: str = "form[method=post] button[type=submit]") -> None:
    """Fill the named inputs and textareas, press the button, wait for the next page."""
    for name, value in fields.items():
        page.fill(f"[name={name}]", value)
    page.click(button)
    page.wait_for_load_state("networkidle")


def award_bid(app, demand_id: int) -> None:
    """What the firm does in its own pages: award the provider's bid."""
    from marketplace.bids import services
    from marketplace.bids.models import Bid
    from marketplace.extensions import db

    with app.test_request_context():
        bid = db.session.scalar(sa.select(Bid).where(Bid.demand_id == demand_id))
        services.award(bid)
        db.session.commit()


@pytest.mark.browser
def test_provider_journey(live_server, browser_page, zibo, tmp_path):
    from marketplace.orgs.credit_code import complete

    page, url = browser_page, live_server.url
    page.set_viewport_size({"width": 1280, "height": 900})

    # 1. Register as a provider.
    page.goto(url + "/register")
    page.check("input[name=org_kind][value=provider]")
    page.select_option("select[name=city_id]", str(zibo["city"]))
    shot(page, "provider-01-register")
    submit(page, {"org_name": "济南示例智能科技有限公司", "credit_code": complete("91370100MA3C00001"), "name": "张工",
                  "email": "zhang@ai.example", "password": TEST_PASSWORD, "confirm": TEST_PASSWORD})
    assert page.get_by_text("张工").is_visible()

    # 2. An offering with a case study, published.
    page.goto(url + "/offerings/new")
    page.select_option("select[name=scenario_ids]", [str(zibo["scenario"])])
    page.select_option("select[name=industry_ids]", [str(zibo["industry"])])
    submit(page, {"title": "化工装置安全智能预警平台", "summary": "温度压力异常提前预警",
                  "description": "基于DCS历史数据的时序异常检测，提前发现反应釜超温超压风险。", "price_min": "20", "price_max": "90"},
           "[data-testid=save-offering]")
    page.click("[data-testid=add-case]")
    submit(page, {"title": "某化工厂反应釜预警项目", "problem": "夜班巡检难以及时发现温升。", "result": "提前12分钟预警，全年零超温事故。"})
    page.click("[data-testid=publish]")
    page.wait_for_load_state("networkidle")
    assert page.locator("[data-status=published]").is_visible()
    assert page.get_by_text("提前12分钟预警，全年零超温事故。").is_visible()
    shot(page, "provider-02-offering-published")

    # 3. Apply to the Zibo chemical pool with a PDF.
    page.goto(url + "/applications/calls")
    page.locator("[data-testid=call]", has_text="淄博化工行业AI服务商资源池").locator("[data-testid=apply]").click()
    page.wait_for_load_state("networkidle")
    page.select_option("select[name=offering_ids]", label="化工装置安全智能预警平台")
    page.fill("textarea[name=statement]", "我们已在淄博交付三个化工安全预警项目，可提供驻场服务。")
    page.set_input_files("input[name=attachments]", files=[{"name": "资质证书.pdf", "mimeType": "application/pdf", "buffer": PDF}])
    page.click("[data-testid=submit-application]")
    page.wait_for_load_state("networkidle")
    assert page.locator("[data-testid=application-status] [data-status=submitted]").is_visible()
    assert page.get_by_role("link", name="资质证书.pdf").is_visible()
    shot(page, "provider-03-applied")

    # 4. Opportunities, then bid through the bids form.
    page.goto(url + "/opportunities/")
    card = page.locator("[data-testid=opportunity]", has_text="反应釜温度异常智能预警")
    assert card.is_visible()
    card.locator("[data-testid=bookmark]").click()
    page.wait_for_load_state("networkidle")
    shot(page, "provider-04-opportunities")
    page.locator("[data-testid=opportunity]", has_text="反应釜温度异常智能预警").locator("[data-testid=bid]").click()
    page.wait_for_load_state("networkidle")
    submit(page, {"price": "60", "duration_days": "90", "approach": "接入DCS数据，两周完成模型训练，一个月试运行。"},
           "[data-testid=submit-bid]")
    assert "/bids/" in page.url and page.get_by_text("反应釜温度异常智能预警").first.is_visible()
    shot(page, "provider-05-bid-sent")

    # 5. The firm awards the bid; the provider sees the notification.
    award_bid(live_server.app, zibo["demand"])
    page.goto(url + "/notifications/")
    assert page.locator("[data-testid=notification]", has_text="反应釜温度异常智能预警").first.is_visible()
    shot(page, "provider-06-award-notification")

    # On a phone the opportunities page still works.
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(url + "/opportunities/?saved=1")
    assert page.locator("[data-testid=opportunity]").first.is_visible()
    shot(page, "provider-07-phone-bookmarks")
