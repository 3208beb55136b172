"""The home page's market figures: live, and kept a few seconds per process when so configured."""
from __future__ import annotations

from tests.conftest import make_demand, make_org
from tests.test_page_queries import count_queries


def test_home_figures_are_kept_for_the_configured_seconds(app, client, db, monkeypatch):
    import marketplace.cache as cache
    import marketplace.public.views as public

    firm = make_org("manufacturer", name="潍坊示例企业")
    make_demand(firm, title="第一条需求")
    db.session.commit()
    now = [1000.0]
    monkeypatch.setattr(cache.time, "monotonic", lambda: now[0])
    app.config["HOME_CACHE_SECONDS"] = 30
    assert public.cached_counts()["open_demands"] == 1
    make_demand(firm, title="第二条需求")
    db.session.commit()
    client.get("/")
    with count_queries() as cached:
        html = client.get("/").get_data(as_text=True)
    assert public.cached_counts()["open_demands"] == 1 and "第二条需求" in html  # figures kept, the latest list is live
    now[0] += 31
    with count_queries() as fresh:
        client.get("/")
    assert public.cached_counts()["open_demands"] == 2
    assert fresh.count > cached.count  # counted again once the figures were older than 30 s


def test_home_figures_are_live_without_a_cache(app, db):
    import marketplace.public.views as public

    app.config["HOME_CACHE_SECONDS"] = 0
    assert public.cached_counts()["open_demands"] == 0
    make_demand(make_org("manufacturer"), title="一条需求")
    db.session.commit()
    assert public.cached_counts()["open_demands"] == 1
