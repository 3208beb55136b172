"""Every page a user can reach by following links renders: no dead links, no server errors.

Crawls the app with the demo data as each kind of user, in both languages."""
import re
from collections import deque
from urllib.parse import urldefrag, urlsplit

import pytest

from marketplace.seeding import DEMO_PASSWORD, load_demo

HREF = re.compile(r'href="([^"]+)"')
ROLES = [None, "owner@wf-huadong-demo.example", "owner@huiyan-demo.example", "officer@zibo-gxj-demo.example",
         "admin@platform-demo.example"]
# Pages per crawl: enough to reach every kind of page, bounded so the test stays quick.
MAX_PAGES = 120


def internal_links(html: str) -> list[str]:
    out = []
    for href in HREF.findall(html):
        href = urldefrag(href.replace("&amp;", "&"))[0]
        parts = urlsplit(href)
        if not href or parts.scheme or parts.netloc or not href.startswith("/") or href.startswith("/static/"):
            continue
        out.append(href)
    return out


def page_kind(url: str) -> str:
    """Collapse ids and query strings so one example of each page is enough."""
    path = urlsplit(url).path
    return re.sub(r"/\d+", "/<id>", path) + ("?" if "?" in url else "")


@pytest.fixture
def demo(app, db):
    load_demo(db.session)
    db.session.commit()


@pytest.mark.parametrize("email", ROLES, ids=["anonymous", "manufacturer", "provider", "bureau", "admin"])
@pytest.mark.parametrize("locale", ["zh_CN", "en"])
def test_crawl_has_no_dead_links_or_errors(app, demo, email, locale):
    client = app.test_client()
    client.post("/language", data={"locale": locale, "next": "/"})
    if email:
        response = client.post("/login", data={"email": email, "password": DEMO_PASSWORD})
        assert response.status_code == 302, f"demo login failed for {email}"
    queue, seen_kinds, problems = deque(["/"]), set(), []
    visited = 0
    while queue and visited < MAX_PAGES:
        url = queue.popleft()
        kind = page_kind(url)
        if kind in seen_kinds:
            continue
        seen_kinds.add(kind)
        visited += 1
        response = client.get(url)
        if response.status_code >= 400 and response.status_code != 403:
            problems.append(f"{url} → {response.status_code}")
            continue
        if response.status_code in (301, 302, 303):
            continue
        if response.mimetype != "text/html":
            continue
        html = response.get_data(as_text=True)
        if locale == "zh_CN":
            # Untranslated navigation or headings show up as whole English UI words.
            for word in ("Log in", "Log out", "Notifications", "Previous", "Next"):
                if f">{word}<" in html:
                    problems.append(f"{url}: untranslated “{word}”")
        queue.extend(internal_links(html))
    assert not problems, "\n".join(problems)
    assert visited >= 5
