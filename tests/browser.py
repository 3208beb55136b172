"""Browser-test support: the app served from a thread, and Debian's chromium driven by Playwright.

Import the fixtures into a test module with `from tests.browser import *  # noqa: F401,F403`
(or rely on conftest, which re-exports them), then:

    @pytest.mark.browser
    def test_journey(live_server, browser_page):
        page = browser_page
        page.goto(live_server.url + "/login")
        ...
        shot(page, "journey-01-login")

Create data with `with live_server.app.app_context(): ...; db.session.commit()`.
Never downloads a browser: chromium comes from Debian (`apt-get install chromium fonts-noto-cjk`).
"""
from __future__ import annotations

import os
import shutil
import threading
from dataclasses import dataclass
from pathlib import Path

import pytest
from flask import Flask

ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--no-first-run", "--disable-quic", "--disable-dev-shm-usage",
]


@dataclass
class LiveServer:
    app: Flask
    url: str


def chromium_path() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture
def live_server_config() -> dict:
    """Override in a test module to change the live app's configuration (e.g. MATCHING_ENABLED)."""
    return {}


@pytest.fixture
def live_server(tmp_path, monkeypatch, live_server_config):
    from werkzeug.serving import make_server

    from marketplace import create_app
    from marketplace.extensions import db
    from tests.conftest import base_config, load_test_taxonomies

    monkeypatch.setenv("INSTANCE_PATH", str(tmp_path / "instance"))
    config = base_config(
        tmp_path,
        SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'live.sqlite3'}",
        WTF_CSRF_ENABLED=True,
        TESTING=False,
    )
    config.update(live_server_config)
    app = create_app(config)
    with app.app_context():
        db.create_all()
        load_test_taxonomies()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield LiveServer(app=app, url=f"http://127.0.0.1:{server.server_port}")
    finally:
        server.shutdown()
        thread.join(timeout=5)
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


@pytest.fixture(scope="session")
def _playwright_browser():
    path = chromium_path()
    if path is None:
        if os.environ.get("CI"):
            pytest.fail("Debian chromium is not installed on CI", pytrace=False)
        pytest.skip("Debian chromium is not installed (apt-get install chromium fonts-noto-cjk)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=path, headless=True, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def browser_page(_playwright_browser):
    context = _playwright_browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    context.set_default_timeout(10_000)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        yield page
    finally:
        context.close()
    assert not errors, f"JavaScript errors on the page: {errors}"


def shot(page, name: str) -> Path:
    """Save a full-page screenshot to test-artifacts/<name>.png (kept as a CI artifact)."""
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def fill_login(page, base_url: str, email: str, password: str) -> None:
    page.goto(base_url + "/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", password)
    page.click("form[method=post] button[type=submit]")
    page.wait_for_load_state("networkidle")
