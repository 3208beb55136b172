"""A matchmaking event in a real browser: the Weifang officer creates and publishes it → a
provider and a firm register → the firm sees the matcher's suggestion and asks for a meeting →
the provider accepts → the officer schedules automatically and publishes → the firm downloads
its PDF agenda → the officer checks the firm in → after the meeting the firm rates it.
Screenshots go to test-artifacts/events-*.png."""
from __future__ import annotations

from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from tests.browser import fill_login, shot
from tests.conftest import TEST_PASSWORD, make_demand, make_offering, make_org, make_user


@pytest.fixture
def live_server_config():
    return {"MATCHING_ENABLED": True}


@pytest.fixture
def weifang(live_server):
    from marketplace.extensions import db

    with live_server.app.app_context():
        bureau = make_org("bureau", name="潍坊市工业和信息化局", city="weifang")
        make_user(bureau, email="officer@weifang.example", name="李科长")
        firm = make_org("manufacturer", name="潍坊示例动力机械有限公司")
        make_user(firm, email="owner@firm.example", name="赵厂长")
        make_demand(firm, title="缸体外观缺陷在线检测", description="缸体机加工后靠人看砂眼气孔，夜班漏检多，想用相机自动检出。")
        provider = make_org("provider", name="济南示例视觉科技", city="jinan")
        make_user(provider, email="owner@vision.example", name="钱经理")
        make_offering(provider, title="铸件与机加工件视觉缺陷检测", description="深度学习视觉检测砂眼、气孔、划痕，节拍60秒以内。")
        db.session.commit()


def switch_user(page, base, email):
    page.context.clear_cookies()
    fill_login(page, base, email, TEST_PASSWORD)


@pytest.mark.browser
def test_event_from_creation_to_feedback(live_server, browser_page, weifang):
    from marketplace.events.models import Event, EventSlot, Registration
    from marketplace.extensions import db

    page, base = browser_page, live_server.url
    page.on("dialog", lambda dialog: dialog.accept())

    # 1. The officer creates the event (sessions come prefilled) and publishes it.
    fill_login(page, base, "officer@weifang.example", TEST_PASSWORD)
    page.goto(base + "/events/manage")
    page.click("[data-testid=new-event]")
    page.fill("[name=title]", "潍坊动力装备AI供需对接会")
    page.fill("[name=venue]", "潍坊市民中心")
    page.fill("[name=event_date]", (date.today() + timedelta(days=7)).isoformat())
    page.fill("[name=booking_opens_on]", date.today().isoformat())
    page.fill("[name=tables]", "4")
    shot(page, "events-01-new-event")
    page.click("[data-testid=save-event]")
    page.click("[data-testid=publish]")
    page.wait_for_selector("[data-testid=programme]")
    shot(page, "events-02-published")
    event_url = page.url

    # 2. The provider and the firm register with what they bring.
    for email, field, label in (("owner@vision.example", "offering_ids", "铸件与机加工件视觉缺陷检测"),
                                ("owner@firm.example", "demand_ids", "缸体外观缺陷在线检测")):
        switch_user(page, base, email)
        page.goto(event_url)
        page.click("[data-testid=register]")
        page.select_option(f"[name={field}]", label=label)
        page.click("[data-testid=register-submit]")
        page.wait_for_url("**/me")
    shot(page, "events-03-firm-suggestions")

    # 3. The firm asks the suggested provider for a meeting.
    suggestion = page.locator("[data-testid=suggestions] li", has_text="济南示例视觉科技")
    suggestion.locator("input[name=note]").fill("想看看缸体检测的案例")
    suggestion.locator("button").click()
    page.wait_for_selector("[data-testid=requests]")

    # 4. The provider accepts.
    switch_user(page, base, "owner@vision.example")
    page.goto(event_url + "/me")
    page.wait_for_selector("text=想看看缸体检测的案例")
    page.click("[data-testid=accept]")
    page.wait_for_selector("[data-testid=requests] [data-status=accepted]")
    shot(page, "events-04-accepted")

    # 5. The officer schedules and publishes.
    switch_user(page, base, "officer@weifang.example")
    page.goto(event_url + "/schedule")
    page.click("[data-testid=run-schedule]")
    page.wait_for_selector("[data-testid=meetings]")
    page.click("[data-testid=publish-schedule]")
    page.wait_for_selector(".alert-success")
    shot(page, "events-05-schedule")

    # 6. The firm sees its agenda and downloads the PDF.
    switch_user(page, base, "owner@firm.example")
    page.goto(event_url + "/me")
    page.wait_for_selector("[data-testid=agenda]")
    assert "济南示例视觉科技" in page.inner_text("[data-testid=agenda]")
    with page.expect_download() as download:
        page.click("[data-testid=agenda-pdf]")
    assert open(download.value.path(), "rb").read(5) == b"%PDF-"
    shot(page, "events-06-agenda")

    # 7. On the day the officer checks the firm in with the code from its agenda.
    with live_server.app.app_context():
        token = db.session.scalar(sa.select(Registration.checkin_token).join(Registration.org)
                                  .where(Registration.org.has(name="潍坊示例动力机械有限公司")))
    switch_user(page, base, "officer@weifang.example")
    page.goto(event_url + "/registrations")
    page.fill("[name=code]", f"{base}/events/checkin/{token}")
    page.click("[data-testid=checkin-form] button")
    page.wait_for_selector(".alert-success")
    shot(page, "events-07-checked-in")

    # 8. After the meeting the firm rates it.
    with live_server.app.app_context():
        for slot in db.session.scalars(sa.select(EventSlot)):
            slot.starts_at -= timedelta(days=30)
            slot.ends_at -= timedelta(days=30)
        db.session.scalar(sa.select(Event)).event_date = date.today() - timedelta(days=1)
        db.session.commit()
    switch_user(page, base, "owner@firm.example")
    page.goto(event_url + "/me")
    page.click("[data-testid=feedback-link]")
    page.check("[name=rating][value='5']")
    page.check("[name=follow_up]")
    page.click("[data-testid=feedback-form] button")
    page.wait_for_selector(".alert-success")
    page.goto(event_url)
    page.wait_for_selector("[data-testid=event-funnel]")
    shot(page, "events-08-results")
    assert "1" in page.inner_text("[data-testid=event-funnel]")
