"""Each list page makes the same number of SQL statements with 6 rows of each kind or 16 (no query per row)."""
from __future__ import annotations

from contextlib import contextmanager

import pytest
import sqlalchemy as sa
from sqlalchemy import event

from marketplace.extensions import db as _db
from tests.conftest import (base_config, login, make_application, make_bid, make_demand, make_offering, make_org,
                            make_pool, make_user)
from tests.matches_builders import store_match


class Counter:
    count = 0


@contextmanager
def count_queries():
    counter = Counter()

    def count(*args, **kwargs):
        counter.count += 1

    engine = _db.engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        yield counter
    finally:
        event.remove(engine, "before_cursor_execute", count)


@pytest.fixture
def app_config(tmp_path):
    return base_config(tmp_path, MATCHING_ENABLED=True)


@pytest.fixture
def world(app, db, monkeypatch):
    # Rows are added by hand below (stored matches included); no background matching.
    monkeypatch.setattr(app, "config", app.config)
    app.config["MATCHING_ENABLED"] = False
    bureau = make_org("bureau", name="潍坊市工信局", city="weifang")
    officer = make_user(bureau)
    firm = make_org("manufacturer", name="潍坊示例企业")
    owner = make_user(firm)
    provider = make_org("provider", name="示例服务商")
    seller = make_user(provider)
    pool = make_pool(bureau, name="潍坊资源池")
    from marketplace.demands.models import DemandList

    chain_list = DemandList(title="潍坊动力装备链清单", publisher_org_id=bureau.id, status="published")
    db.session.add(chain_list)
    from datetime import date, timedelta

    from marketplace.pools.models import NoticeEntry, Objection, PoolNotice, ReviewAssignment

    notice = PoolNotice(pool_id=pool.id, batch="首批", text="公示", starts_on=date.today(), ends_on=date.today() + timedelta(days=7))
    db.session.add(notice)
    db.session.commit()
    state = {"officer": officer, "owner": owner, "seller": seller, "firm": firm, "provider": provider, "pool": pool,
             "list": chain_list, "n": 0, "offering": None}

    def grow(n: int) -> None:
        from marketplace.db import utc_now
        from marketplace.matches.models import MatchState

        for _ in range(n):
            i = state["n"] = state["n"] + 1
            other = make_org("provider", name=f"服务商{i}")
            member = make_application(pool, other, status="admitted")
            db.session.add_all([NoticeEntry(notice_id=notice.id, application_id=member.id),
                                Objection(notice_id=notice.id, application_id=member.id, org_id=firm.id, reasons="异议"),
                                ReviewAssignment(application_id=member.id, reviewer_id=officer.id)])
            offering = make_offering(other, title=f"视觉检测方案{i}")
            mine = make_offering(provider, title=f"我的方案{i}")
            demand = make_demand(make_org("manufacturer", name=f"企业{i}"), title=f"缺陷检测需求{i}", list_id=chain_list.id)
            own = make_demand(firm, title=f"本企业需求{i}")
            make_bid(demand, other)
            db.session.flush()
            for d in (demand, own):
                store_match(d, offering, 0.6)
                store_match(d, mine, 0.5)
                db.session.add(MatchState(object_type="demand", object_id=d.id, model_name="t", matcher_version="t",
                                          computed_at=utc_now()))
            state["offering"] = mine
        db.session.commit()

    state["grow"] = grow
    return state


PAGES = [
    ("owner", "/"),
    ("owner", "/demands/"),
    ("owner", "/demands/?q=缺陷"),
    ("owner", "/demands/?city=weifang&scenario=online_inspection"),
    ("owner", "/providers/"),
    ("owner", "/demands/mine"),
    ("owner", "/demands/mine/export"),
    ("seller", "/opportunities/"),
    ("seller", "/opportunities/?matched=1"),
    ("seller", "/offerings/mine"),
    ("officer", "/dashboard/"),
    ("officer", "/chain-lists/{list}"),
    ("officer", "/exports/demands.csv"),
    ("officer", "/exports/funnel.csv"),
    ("officer", "/pools/reviews"),
    ("officer", "/pools/{pool}/notices"),
    ("officer", "/pools/{pool}/objections"),
    ("owner", "/pools/{pool}"),
]


@pytest.mark.parametrize("who,url", PAGES)
def test_queries_per_page_do_not_grow_with_rows(app, client, world, who, url):
    login(client, world[who])
    app.config["MATCHING_ENABLED"] = True

    def measure() -> int:
        page = url.format(list=world["list"].id, pool=world["pool"].id)
        with count_queries() as counter:
            response = client.get(page)
        assert response.status_code == 200, (page, response.status_code)
        return counter.count

    app.config["MATCHING_ENABLED"] = False
    world["grow"](6)
    app.config["MATCHING_ENABLED"] = True
    measure()  # warm caches (taxonomy labels, the logged-in user)
    few = measure()
    app.config["MATCHING_ENABLED"] = False
    world["grow"](10)
    app.config["MATCHING_ENABLED"] = True
    measure()  # the commit expired the logged-in user: reloaded once
    many = measure()
    assert many == few, f"{url}: {few} queries with 6 rows of each kind, {many} with 16"


def test_demand_detail_makes_a_bounded_number_of_queries(app, client, world):
    app.config["MATCHING_ENABLED"] = False
    world["grow"](12)
    app.config["MATCHING_ENABLED"] = True
    login(client, world["owner"])
    from marketplace.demands.models import Demand

    demand = _db.session.scalar(sa.select(Demand).where(Demand.org_id == world["firm"].id))
    client.get(f"/demands/{demand.id}")
    with count_queries() as counter:
        assert client.get(f"/demands/{demand.id}").status_code == 200
    assert counter.count <= 25, counter.count
