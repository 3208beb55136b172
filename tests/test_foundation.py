"""Credit codes, errors, language, security headers of the session cookie, i18n catalogs."""
import subprocess
import sys
from pathlib import Path

import pytest

from marketplace.orgs import credit_code
from tests.conftest import login, make_org, make_user

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize("code", ["91350100M000100Y43", "91110000802100433B", "91370700ma3c5fjk7b".upper()[:17]])
def test_known_codes(code):
    if len(code) == 17:
        code = credit_code.complete(code)
    assert credit_code.is_valid(code)


@pytest.mark.parametrize("code", ["", "9135010 0M000100Y4", "91350100M000100Y44", "91350100M000100Y4", "91350100M000100I43",
                                  "913501000M000100Y43"])
def test_bad_codes(code):
    assert not credit_code.is_valid(code)


def test_lowercase_and_spaces_are_normalised():
    assert credit_code.is_valid(" 91350100m000100y43 ")


def test_unknown_url_gets_404_page_in_chinese(client):
    response = client.get("/no/such/page")
    assert response.status_code == 404
    assert "页面不存在" in response.get_data(as_text=True) or "不存在" in response.get_data(as_text=True)


def test_error_page_in_english_when_chosen(client):
    client.post("/language", data={"locale": "en", "next": "/"})
    response = client.get("/no/such/page")
    assert "Page not found" in response.get_data(as_text=True)


def test_json_errors_for_api_clients(client):
    response = client.get("/no/such/page", headers={"Accept": "application/json"})
    assert response.status_code == 404 and response.json["status"] == 404


def test_oversized_request_gets_413(app, client):
    app.config["MAX_CONTENT_LENGTH"] = 1024
    response = client.post("/login", data={"email": "a@example.com", "password": "x" * 5000})
    assert response.status_code == 413


def test_language_choice_is_remembered_for_the_user(client, db):
    user = make_user(make_org())
    db.session.commit()
    login(client, user)
    client.post("/language", data={"locale": "en", "next": "/providers/"})
    assert user.locale == "en"
    assert 'lang="en"' in client.get("/").get_data(as_text=True)


def test_language_switch_ignores_offsite_next(client):
    response = client.post("/language", data={"locale": "en", "next": "https://evil.example/"})
    assert response.headers["Location"] == "/"


def test_session_cookie_flags(client, db):
    user = make_user(make_org())
    db.session.commit()
    response = client.post("/login", data={"email": user.email, "password": "correct horse battery staple"})
    cookie = response.headers.get("Set-Cookie", "")
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_user_text_is_escaped(client, db):
    org = make_org("provider", name="<script>alert(1)</script>")
    db.session.commit()
    html = client.get(f"/providers/{org.id}").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;" in html


def test_every_string_is_translated():
    result = subprocess.run([sys.executable, "scripts/i18n.py", "check"], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout[-3000:]


def test_secret_key_generated_once_and_kept(tmp_path, monkeypatch):
    from marketplace import create_app

    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.setenv("INSTANCE_PATH", str(tmp_path))
    first = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://"}).config["SECRET_KEY"]
    second = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://"}).config["SECRET_KEY"]
    assert first == second and len(first) >= 32
    assert (tmp_path / "secret_key").read_text().strip() == first


def test_security_headers(client):
    headers = client.get("/").headers
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["X-Frame-Options"] == "DENY"


NAV_CHECK = """() => {
  const links = [...document.querySelectorAll('nav.navbar .nav-link, nav.navbar .navbar-brand')].filter(e => e.offsetParent);
  const lines = links.filter(e => e.getBoundingClientRect().height > 45).map(e => e.innerText.trim());
  return {wrapped: lines, overflow: document.documentElement.scrollWidth > window.innerWidth};
}"""


@pytest.mark.browser
@pytest.mark.parametrize("width", [1280, 1200])
def test_long_english_menu_stays_readable_on_a_laptop(live_server, browser_page, width):
    """Regression: the provider's English menu wrapped inside entries ("My / offerings") and split “中文”."""
    from marketplace.extensions import db
    from tests.browser import fill_login
    from tests.conftest import TEST_PASSWORD

    with live_server.app.app_context():
        make_user(make_org("provider", name="济南示例视觉科技有限公司"), email="sales@vision.example", name="李工")
        db.session.commit()
    page = browser_page
    page.set_viewport_size({"width": width, "height": 800})
    fill_login(page, live_server.url, "sales@vision.example", TEST_PASSWORD)
    page.click("[data-testid=switch-language]")
    page.wait_for_load_state("networkidle")
    assert page.get_by_role("link", name="My offerings").is_visible()
    result = page.evaluate(NAV_CHECK)
    assert result == {"wrapped": [], "overflow": False}
    assert page.get_by_role("link", name="Notifications").is_visible()  # the bell keeps its accessible name


def test_amounts_read_naturally_in_both_languages(app):
    from marketplace.matching.text import format_amount

    assert [format_amount(v, True) for v in (0, 50, 150, 12.5)] == ["¥0", "¥500k", "¥1.5M", "¥125k"]
    assert [format_amount(v, False) for v in (0, 30, 12.5)] == ["0 万元", "30 万元", "12.5 万元"]


def test_providers_see_one_pools_entry_in_the_menu(client, db):
    provider = make_user(make_org("provider"))
    db.session.commit()
    login(client, provider)
    nav = client.get("/").get_data(as_text=True).split("</nav>")[0]
    assert "入库申请" in nav and "服务商资源池" not in nav
