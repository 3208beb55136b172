"""The communication journey in a real browser: a provider asks a question → the firm answers
publicly → everyone sees the clarification (not who asked) → the provider bids → provider and
firm exchange messages with an attachment → the firm awards the bid."""
from __future__ import annotations

import pytest

from tests.browser import fill_login, shot
from tests.conftest import TEST_PASSWORD, make_demand, make_offering, make_org, make_user

PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 17 + b"\x00\x00\x00\x00IEND\xaeB`\x82"


@pytest.fixture
def market(live_server):
    from marketplace.extensions import db

    with live_server.app.app_context():
        firm = make_org("manufacturer", name="潍坊华东动力机械（测试）")
        make_user(firm, email="firm@example.com")
        demand = make_demand(firm, title="铸件砂眼气孔在线检测")
        vision = make_org("provider", name="慧眼视觉科技（测试）")
        make_user(vision, email="vision@example.com")
        make_offering(vision)
        db.session.commit()
        return {"demand": demand.id}


@pytest.mark.browser
def test_question_answer_bid_message_award(live_server, browser_page, _playwright_browser, market, tmp_path):
    url = live_server.url
    demand_url = f"{url}/demands/{market['demand']}"
    provider = browser_page
    firm = _playwright_browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN").new_page()
    firm.on("dialog", lambda dialog: dialog.accept())

    # 1. The provider asks a question on the demand page.
    fill_login(provider, url, "vision@example.com", TEST_PASSWORD)
    provider.goto(demand_url)
    provider.fill("[data-testid=ask-form] textarea[name=body]", "铸件表面是否有油污？需要在清洗前还是清洗后检测？")
    provider.click("[data-testid=ask-question]")
    provider.wait_for_load_state("networkidle")
    assert "清洗前还是清洗后" in provider.inner_text("[data-testid=questions]")
    shot(provider, "communication-01-question-asked")

    # 2. The firm sees who asked and answers publicly.
    fill_login(firm, url, "firm@example.com", TEST_PASSWORD)
    firm.goto(demand_url)
    questions = firm.locator("[data-testid=questions]")
    assert "慧眼视觉科技（测试）" in questions.inner_text()
    firm.fill("[data-testid=questions] textarea[name=answer]", "清洗后检测，表面无油污。")
    assert firm.is_checked("[data-testid=questions] input[name=public]")
    firm.click("[data-testid=answer-question]")
    firm.wait_for_load_state("networkidle")
    shot(firm, "communication-02-public-answer")

    # 3. A visitor sees the clarification but not who asked.
    visitor = _playwright_browser.new_context(locale="zh-CN").new_page()
    visitor.goto(demand_url)
    public = visitor.inner_text("[data-testid=questions]")
    assert "清洗后检测" in public and "慧眼视觉科技（测试）" not in public
    visitor.context.close()

    # 4. The provider, told of the answer, bids.
    provider.goto(demand_url)
    assert "清洗后检测" in provider.inner_text("[data-testid=answer]")
    provider.click("[data-testid=bid-button]")
    provider.wait_for_load_state("networkidle")
    provider.fill("[name=price]", "42")
    provider.fill("[name=duration_days]", "60")
    provider.fill("[name=approach]", "清洗线末端加装两台工业相机，边缘推理，60 天上线。")
    provider.click("[data-testid=submit-bid]")
    provider.wait_for_load_state("networkidle")

    # 5. The provider writes to the firm with a photo attached.
    provider.goto(demand_url)
    provider.click("#my-bid a")  # "view your bid"
    provider.wait_for_load_state("networkidle")
    provider.click("[data-testid=open-thread]")
    provider.wait_for_load_state("networkidle")
    photo = tmp_path / "现场照片.png"
    photo.write_bytes(PNG)
    provider.fill("textarea[name=body]", "附上类似产线的安装照片，下周可以现场勘察。")
    provider.set_input_files("input[name=files]", str(photo))
    provider.click("[data-testid=send-message]")
    provider.wait_for_load_state("networkidle")
    assert "现场照片.png" in provider.inner_text("[data-testid=thread]")
    shot(provider, "communication-03-message-sent")

    # 6. The firm sees one unread thread, reads it, replies.
    firm.goto(f"{url}/messages/")
    assert firm.inner_text("[data-testid=thread-link] [data-testid=unread]") == "1"
    firm.click("[data-testid=thread-link]")
    firm.wait_for_load_state("networkidle")
    assert "下周可以现场勘察" in firm.inner_text("[data-testid=thread]")
    firm.fill("textarea[name=body]", "好的，周三上午见。")
    firm.click("[data-testid=send-message]")
    firm.wait_for_load_state("networkidle")
    shot(firm, "communication-04-reply")

    # 7. The firm awards the bid; the provider is told.
    firm.goto(demand_url)
    firm.locator("[data-testid=bid-card] [data-testid=award]").click()
    firm.wait_for_load_state("networkidle")
    assert firm.locator("[data-status=awarded]").first.is_visible()
    provider.goto(f"{url}/notifications/")
    inbox = provider.inner_text("main")
    assert "中标" in inbox or "won" in inbox
    shot(provider, "communication-05-awarded")
    firm.context.close()
