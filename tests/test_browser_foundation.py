"""The foundation in a real browser: log in, switch language, and the choice is remembered."""
import pytest

from tests.browser import fill_login, shot
from tests.conftest import TEST_PASSWORD, make_org, make_user


@pytest.mark.browser
def test_login_and_switch_language(live_server, browser_page):
    from marketplace.extensions import db

    with live_server.app.app_context():
        org = make_org("manufacturer", name="潍坊示例动力机械有限公司", city="weifang")
        make_user(org, email="owner@weifang.example", name="王经理")
        db.session.commit()

    page = browser_page
    page.goto(live_server.url + "/")
    assert page.locator("html").get_attribute("lang") == "zh-CN"
    assert page.get_by_role("link", name="登录").is_visible()

    fill_login(page, live_server.url, "owner@weifang.example", TEST_PASSWORD)
    assert page.get_by_text("王经理").is_visible()
    shot(page, "foundation-01-logged-in-zh")

    page.click("[data-testid=switch-language]")
    page.wait_for_load_state("networkidle")
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.get_by_role("link", name="Demands", exact=True).is_visible()
    shot(page, "foundation-02-english")

    # Remembered across pages and visits.
    page.goto(live_server.url + "/providers/")
    assert page.locator("html").get_attribute("lang") == "en"

    page.click("text=王经理")
    page.click("[data-testid=logout]")
    page.wait_for_load_state("networkidle")
    assert page.get_by_role("link", name="Log in").is_visible()
    shot(page, "foundation-03-logged-out-english")


@pytest.mark.browser
def test_phone_screen_shows_menu_button(live_server, browser_page):
    page = browser_page
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(live_server.url + "/")
    toggler = page.locator(".navbar-toggler")
    assert toggler.is_visible()
    toggler.click()
    assert page.get_by_role("link", name="需求").first.is_visible()
    shot(page, "foundation-04-phone")
