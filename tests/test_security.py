"""Rules for every request: NUL bytes refused, security headers, cache rules, remember-me cookie,
the client address behind proxies, and no inline script anywhere (so the CSP can forbid it)."""
import re
from collections import deque
from datetime import timedelta

import pytest

from marketplace.seeding import DEMO_PASSWORD, load_demo
from tests.conftest import base_config, login, make_demand, make_org, make_user
from tests.test_links import internal_links, page_kind

NUL_MESSAGE = "NUL"


def _assert_refused(response):
    assert response.status_code == 400
    assert NUL_MESSAGE in response.get_data(as_text=True)


@pytest.mark.postgres
@pytest.mark.parametrize("url", ["/demands/?q=a%00b", "/providers/?q=%00", "/pools/?q=x%00", "/demands/?city=%00",
                                 "/chain-lists/?q=%00", "/?next=%00"])
def test_nul_bytes_in_query_strings_get_400_with_a_message_on_postgresql(pg_app, url):
    """Issue 9 item 5: 11 of 11 endpoints answered 500 on PostgreSQL."""
    _assert_refused(pg_app.test_client().get(url))


@pytest.mark.postgres
def test_nul_bytes_in_form_fields_get_400_and_nothing_is_saved(pg_app):
    from marketplace.extensions import db

    client = pg_app.test_client()
    _assert_refused(client.post("/login", data={"email": "a\x00@example.com", "password": "x"}))
    user = make_user(make_org("manufacturer"))
    db.session.commit()
    login(client, user)
    _assert_refused(client.post("/demands/new", data={"title": "铸件\x00检测", "description": "x" * 40}))
    from marketplace.demands.models import Demand

    assert db.session.query(Demand).count() == 0


def test_every_page_carries_the_security_headers(client):
    headers = client.get("/").headers
    csp = headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "'unsafe-inline'" not in csp.split("script-src")[1].split(";")[0]
    assert "frame-ancestors 'none'" in csp and "object-src 'none'" in csp
    assert "camera=()" in headers["Permissions-Policy"]
    assert "Strict-Transport-Security" not in headers  # plain HTTP in development: no HSTS
    assert "no-store" not in headers.get("Cache-Control", "")  # anonymous pages may be cached


def test_logged_in_pages_are_never_stored(client, db):
    user = make_user(make_org("manufacturer"))
    db.session.commit()
    login(client, user)
    assert "no-store" in client.get("/demands/mine").headers["Cache-Control"]
    assert "no-store" in client.get("/").headers["Cache-Control"]


@pytest.fixture
def secure_app(tmp_path, monkeypatch):
    from marketplace import create_app

    monkeypatch.setenv("INSTANCE_PATH", str(tmp_path / "instance"))
    return create_app(base_config(tmp_path, SESSION_COOKIE_SECURE=True, REMEMBER_COOKIE_DURATION=timedelta(days=365)))


def test_https_deployments_get_hsts_and_a_secure_remember_cookie_of_at_most_30_days(secure_app):
    assert "max-age=" in secure_app.test_client().get("/healthz").headers["Strict-Transport-Security"]
    assert secure_app.config["REMEMBER_COOKIE_SECURE"] is True
    assert secure_app.config["REMEMBER_COOKIE_DURATION"] <= timedelta(days=30)


def test_the_remember_cookie_sent_on_login_is_secure_and_short(tmp_path, monkeypatch):
    from marketplace import create_app
    from marketplace.extensions import db
    from tests.conftest import load_test_taxonomies

    monkeypatch.setenv("INSTANCE_PATH", str(tmp_path / "instance"))
    app = create_app(base_config(tmp_path, SESSION_COOKIE_SECURE=True))
    with app.app_context():
        db.create_all()
        load_test_taxonomies()
        user = make_user(make_org("manufacturer"))
        db.session.commit()
        client = app.test_client()
        response = client.post("/login", data={"email": user.email, "password": "correct horse battery staple",
                                                "remember": "y"}, base_url="https://localhost")
        cookies = [c for c in response.headers.getlist("Set-Cookie") if c.startswith("remember_token=")]
        assert cookies and "Secure" in cookies[0]
        max_age = int(re.search(r"Max-Age=(\d+)", cookies[0]).group(1)) if "Max-Age" in cookies[0] else None
        assert max_age is None or max_age <= 30 * 86400
        db.session.remove()
        db.drop_all()


def test_proxy_hops_decide_which_address_is_the_clients(tmp_path, monkeypatch):
    from flask import request

    from marketplace import create_app

    monkeypatch.setenv("INSTANCE_PATH", str(tmp_path / "instance"))
    seen = {}
    for hops in (0, 1):
        app = create_app(base_config(tmp_path, PROXY_FIX_HOPS=hops))
        app.before_request(lambda hops=hops: seen.__setitem__(hops, request.remote_addr))
        app.test_client().get("/healthz", headers={"X-Forwarded-For": "203.0.113.7"},
                              environ_base={"REMOTE_ADDR": "10.0.0.1"})
    assert seen == {0: "10.0.0.1", 1: "203.0.113.7"}


INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*type=\"application/json\")[^>]*>", re.I)
HANDLER = re.compile(r"<[a-z][^>]*\son[a-z]+\s*=", re.I)
JS_URL = re.compile(r"(href|src|action)\s*=\s*\"\s*javascript:", re.I)
ROLES = [None, "owner@wf-huadong-demo.example", "owner@huiyan-demo.example", "officer@zibo-gxj-demo.example",
         "admin@platform-demo.example"]


@pytest.mark.parametrize("email", ROLES, ids=["anonymous", "manufacturer", "provider", "bureau", "admin"])
def test_no_page_has_inline_script_handlers_or_javascript_urls(app, db, email):
    load_demo(db.session)
    db.session.commit()
    client = app.test_client()
    if email:
        assert client.post("/login", data={"email": email, "password": DEMO_PASSWORD}).status_code == 302
    queue, seen, problems = deque(["/"]), set(), []
    while queue and len(seen) < 100:
        url = queue.popleft()
        if page_kind(url) in seen:
            continue
        seen.add(page_kind(url))
        response = client.get(url)
        if "text/html" not in response.content_type:
            continue
        html = response.get_data(as_text=True)
        assert "script-src 'self'" in response.headers.get("Content-Security-Policy", ""), url
        for pattern in (INLINE_SCRIPT, HANDLER, JS_URL):
            problems += [(url, m.group(0)[:80]) for m in pattern.finditer(html)]
        queue.extend(internal_links(html))
    assert len(seen) > 5 and problems == []
