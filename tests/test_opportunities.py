"""Opportunities: the open demands a provider may see, filters, paging, bookmarks, pool-only demands."""
from datetime import date, timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa

from marketplace.demands.models import Bookmark
from tests.conftest import login, make_application, make_bid, make_demand, make_offering, make_org, make_pool, make_user


@pytest.fixture
def market(db):
    firm = make_org("manufacturer", name="淄博示例化工")
    bureau = make_org("bureau", name="淄博市工信局", city="zibo")
    provider = make_org("provider", name="示例智能")
    user = make_user(provider)
    make_offering(provider)
    pool = make_pool(bureau)
    demands = {
        "inspection": make_demand(firm, title="铸件缺陷检测", city="weifang", industry="C34", budget_min=Decimal("20"),
                                  budget_max=Decimal("50"), deadline=date.today() + timedelta(days=5)),
        "energy": make_demand(firm, title="园区能耗优化", city="zibo", industry="C26", scenarios=["energy_optimization"],
                              budget_min=Decimal("120"), budget_max=Decimal("300"), deadline=date.today() + timedelta(days=80)),
        "pool": make_demand(firm, title="资源池专属：反应釜安全预警", city="zibo", industry="C26", visibility="pool", pool_id=pool.id),
        "draft": make_demand(firm, title="未发布草稿需求", status="draft"),
        "closed": make_demand(firm, title="已关闭的需求", status="closed"),
        "expired": make_demand(firm, title="已过截止日期的需求", deadline=date.today() - timedelta(days=1)),
    }
    db.session.commit()
    return dict(firm=firm, provider=provider, user=user, pool=pool, demands=demands)


def titles(client, query=""):
    html = client.get("/opportunities/" + query).get_data(as_text=True)
    return {title for title in ("铸件缺陷检测", "园区能耗优化", "资源池专属：反应釜安全预警", "未发布草稿需求", "已关闭的需求",
                                "已过截止日期的需求") if title in html}


def test_provider_sees_open_public_demands_only(client, market):
    login(client, market["user"])
    assert titles(client) == {"铸件缺陷检测", "园区能耗优化"}


def test_pool_only_demands_are_shown_to_admitted_members_only(client, db, market):
    login(client, market["user"])
    application = make_application(market["pool"], market["provider"], status="under_review")
    db.session.commit()
    assert "资源池专属：反应釜安全预警" not in titles(client)
    pool_demand = market["demands"]["pool"]
    assert client.post(f"/opportunities/{pool_demand.id}/bookmark").status_code == 404
    application.status = "admitted"
    db.session.commit()
    assert "资源池专属：反应釜安全预警" in titles(client)


@pytest.mark.parametrize("query, expected", [
    ("?city=zibo", {"园区能耗优化"}),
    ("?industry=C34", {"铸件缺陷检测"}),
    ("?scenario=energy_optimization", {"园区能耗优化"}),
    ("?budget=gt100", {"园区能耗优化"}),
    ("?budget=10-50", {"铸件缺陷检测"}),
    ("?deadline=7", {"铸件缺陷检测"}),
    ("?q=能耗", {"园区能耗优化"}),
    ("?chain=steel", set()),
    ("?budget=nonsense&deadline=x&sort=bogus&page=abc", {"铸件缺陷检测", "园区能耗优化"}),
])
def test_filters(client, market, query, expected):
    login(client, market["user"])
    assert titles(client, query) == expected


def test_paging(client, db, market):
    for n in range(7):
        make_demand(market["firm"], title=f"分页需求{n}")
    db.session.commit()
    login(client, market["user"])
    first = client.get("/opportunities/?per_page=5&sort=newest").get_data(as_text=True)
    second = client.get("/opportunities/?per_page=5&sort=newest&page=2").get_data(as_text=True)
    assert first.count('data-testid="opportunity"') == 5 and second.count('data-testid="opportunity"') == 4
    assert "分页需求6" in first and "铸件缺陷检测" in second


def test_bookmark_and_unbookmark(client, db, market):
    login(client, market["user"])
    demand = market["demands"]["energy"]
    client.post(f"/opportunities/{demand.id}/bookmark", data={"next": "/opportunities/?city=zibo"})
    again = client.post(f"/opportunities/{demand.id}/bookmark", data={"next": "https://evil.example/"})
    assert again.headers["Location"].endswith("/opportunities/")
    assert db.session.scalar(sa.select(sa.func.count(Bookmark.id))) == 1
    assert titles(client, "?saved=1") == {"园区能耗优化"}
    assert 'data-testid="unbookmark"' in client.get("/opportunities/?city=zibo").get_data(as_text=True)
    client.post(f"/opportunities/{demand.id}/unbookmark")
    assert db.session.scalar(sa.select(sa.func.count(Bookmark.id))) == 0
    assert titles(client, "?saved=1") == set()
    assert client.post(f"/opportunities/{market['demands']['draft'].id}/bookmark").status_code == 404


def test_existing_bid_is_shown_instead_of_a_bid_button(client, db, market):
    make_bid(market["demands"]["inspection"], market["provider"], status="shortlisted")
    db.session.commit()
    login(client, market["user"])
    html = client.get("/opportunities/?industry=C34").get_data(as_text=True)
    assert "已报价" in html and 'data-testid="bid"' not in html


def test_only_providers_have_opportunities(client, db, market):
    assert client.get("/opportunities/").status_code == 302
    owner = make_user(market["firm"])
    db.session.commit()
    login(client, owner)
    assert client.get("/opportunities/").status_code == 403
    assert client.post(f"/opportunities/{market['demands']['energy'].id}/bookmark").status_code == 403


def test_best_match_first_then_newest_across_pages(app, client, db):
    """Demands the provider's offerings match come first by score, then the others newest first,
    and a page may hold the end of the one and the start of the other."""
    import re
    from datetime import datetime

    from tests.matches_builders import store_match

    firm, provider = make_org("manufacturer", name="潍坊排序企业"), make_org("provider", name="排序智能")
    user = make_user(provider)
    offering, hidden = make_offering(provider), make_offering(provider, title="未发布的方案", status="draft")
    demands = {}
    for n in range(7):
        demands[n] = make_demand(firm, title=f"需求{n}")
        demands[n].published_at = datetime(2026, 11, 1 + n)
    store_match(demands[2], offering, 0.9)
    store_match(demands[5], offering, 0.6)
    store_match(demands[1], offering, 0.3)
    store_match(demands[6], hidden, 0.95)  # an unpublished offering's match does not count
    db.session.commit()
    app.config["MATCHING_ENABLED"] = True
    login(client, user)

    def page(n: int) -> list[int]:
        html = client.get(f"/opportunities/?per_page=5&page={n}").get_data(as_text=True)
        return [int(i) for i in re.findall(r'data-testid="opportunity" data-demand-id="(\d+)"', html)]

    ids = {d.id: n for n, d in demands.items()}
    assert [ids[i] for i in page(1)] == [2, 5, 1, 6, 4]
    assert [ids[i] for i in page(2)] == [3, 0]
    matched = client.get("/opportunities/?matched=1").get_data(as_text=True)
    assert [ids[int(i)] for i in re.findall(r'data-demand-id="(\d+)"', matched)] == [2, 5, 1]
