"""The bureau dashboard: funnel, trends, breakdowns, pool coverage, adoption, filters and access."""
from __future__ import annotations

import json
import re
from datetime import datetime

import pytest

from tests.conftest import (login, make_application, make_bid, make_demand, make_offering, make_org, make_pool,
                            make_user, term)


@pytest.fixture
def data(db):
    bureau = make_org("bureau", "潍坊市工信局", city="weifang")
    officer = make_user(bureau)
    firms = [make_org("manufacturer", f"潍坊企业{n}") for n in range(4)]
    make_org("manufacturer", "淄博企业", city="zibo")
    provider = make_org("provider", "鲁智科技")
    chain = term("chain", "power_equipment").id
    # Four Weifang demands: open without bids, bid on, awarded, awarded and closed; one Zibo demand; one draft.
    make_demand(firms[0], "无人投标的需求", chain_id=chain, scenarios=["energy_optimization"])
    bid_on = make_demand(firms[1], "有投标的需求", chain_id=chain)
    awarded = make_demand(firms[2], "已授标的需求", status="awarded")
    closed = make_demand(firms[3], "已关闭的需求", status="closed", scenarios=["fault_diagnosis"])
    make_demand(firms[0], "淄博的需求", city="zibo")
    make_demand(firms[0], "草稿需求", status="draft")
    make_bid(bid_on, provider)
    make_bid(awarded, provider, status="awarded")
    make_bid(closed, provider, status="awarded")
    closed.published_at = datetime(2026, 1, 15)
    pool = make_pool(bureau)
    make_application(pool, provider, status="admitted")
    make_offering(provider, scenarios=["online_inspection"])
    db.session.commit()
    return {"officer": officer, "bureau": bureau}


def funnel_numbers(html: str) -> dict[str, int]:
    return {stage: int(n) for stage, n in re.findall(r'data-stage="(\w+)">(\d+)<', html)}


def test_funnel_for_the_bureau_city_by_default(client, data):
    login(client, data["officer"])
    response = client.get("/dashboard/")
    assert response.status_code == 200
    assert funnel_numbers(response.get_data(as_text=True)) == {"demands": 4, "matched": 3, "bid": 3, "awarded": 2, "closed": 1}


def test_all_cities_and_other_filters(client, data):
    login(client, data["officer"])
    everything = funnel_numbers(client.get("/dashboard/?city=all").get_data(as_text=True))
    assert everything["demands"] == 5
    chain = funnel_numbers(client.get("/dashboard/?chain=power_equipment").get_data(as_text=True))
    assert chain == {"demands": 2, "matched": 1, "bid": 1, "awarded": 0, "closed": 0}
    scenario = funnel_numbers(client.get("/dashboard/?scenario=fault_diagnosis").get_data(as_text=True))
    assert scenario["demands"] == 1 and scenario["closed"] == 1
    months = funnel_numbers(client.get("/dashboard/?from=2026-01&to=2026-01").get_data(as_text=True))
    assert months["demands"] == 1
    # Nonsense filters are ignored, not errors.
    assert client.get("/dashboard/?from=garbage&to=2026-13&group=evil&city=nowhere").status_code == 200


def test_breakdowns_by_month_and_group(client, data):
    login(client, data["officer"])
    html = client.get("/dashboard/?group=scenario").get_data(as_text=True)
    assert "2026-01" in html  # the month of the closed demand
    assert 'data-testid="groups-table"' in html and "设备故障诊断" in html


def test_pool_coverage_lists_scenarios_without_admitted_provider(client, data):
    login(client, data["officer"])
    html = client.get("/dashboard/").get_data(as_text=True)
    gaps = html.split('data-testid="coverage-gaps"')[1].split("</div>")[0]
    assert "能耗监测与优化" in gaps and "设备故障诊断" in gaps and "在线智能检测" not in gaps


def test_adoption_share(client, data):
    login(client, data["officer"])
    html = client.get("/dashboard/").get_data(as_text=True)
    assert 'data-testid="adoption-share">50%<' in html  # 2 of the 4 Weifang manufacturers


def test_charts_carry_the_same_numbers_as_the_tables(client, data):
    login(client, data["officer"])
    html = client.get("/dashboard/").get_data(as_text=True)
    config = re.search(r'id="chart-funnel" data-chart="([^"]+)"', html).group(1)
    chart = json.loads(config.replace("&#34;", '"').replace("&quot;", '"').replace("&amp;", "&").replace("&#39;", "'"))
    assert chart["data"]["datasets"][0]["data"] == [4, 3, 3, 2, 1]
    assert "chart.umd.min.js" in html


def test_empty_dashboard_is_fine(client, db):
    officer = make_user(make_org("bureau", "日照市工信局", city="rizhao"))
    db.session.commit()
    login(client, officer)
    response = client.get("/dashboard/")
    assert response.status_code == 200
    assert funnel_numbers(response.get_data(as_text=True))["demands"] == 0


@pytest.mark.parametrize("kind", ["provider", "manufacturer"])
def test_providers_and_firms_cannot_open_the_dashboard(client, db, kind):
    user = make_user(make_org(kind))
    db.session.commit()
    login(client, user)
    assert client.get("/dashboard/").status_code == 403


def test_admin_sees_all_cities_by_default(client, data, db):
    admin = make_user(None, is_admin=True)
    db.session.commit()
    login(client, admin)
    assert funnel_numbers(client.get("/dashboard/").get_data(as_text=True))["demands"] == 5
    assert client.get("/dashboard/", follow_redirects=False).status_code == 200


def test_anonymous_goes_to_login(client):
    assert client.get("/dashboard/").status_code == 302


def test_matched_stage_uses_the_matcher_when_it_is_on(app, client, data, db):
    """Stored matches at or above the threshold mark a demand matched, over every demand."""
    import sqlalchemy as sa

    from marketplace.demands.models import Demand
    from marketplace.offerings.models import Offering
    from tests.matches_builders import store_match

    offering = db.session.scalar(sa.select(Offering))
    store_match(db.session.scalar(sa.select(Demand).where(Demand.title == "无人投标的需求")), offering, 0.55)
    store_match(db.session.scalar(sa.select(Demand).where(Demand.title == "淄博的需求")), offering, 0.1)  # below
    db.session.commit()
    app.config["MATCHING_ENABLED"] = True
    login(client, data["officer"])
    numbers = funnel_numbers(client.get("/dashboard/").get_data(as_text=True))
    assert numbers["matched"] == 4  # three with bids, plus the one the matcher finds offerings for


def test_months_without_demands_show_as_zero_rows(client, data):
    from marketplace.dashboard.queries import month_range

    assert month_range("2025-11", "2026-02") == ["2025-11", "2025-12", "2026-01", "2026-02"]
    login(client, data["officer"])
    html = client.get("/dashboard/").get_data(as_text=True)
    table = html.split('data-testid="months-table"')[1].split("</table>")[0]
    shown = re.findall(r'<th scope="row"[^>]*>(\d{4}-\d{2})</th>', table)
    assert shown == month_range(shown[0], shown[-1]) and len(shown) > 2  # 2026-01 .. now, gaps included


def test_figures_are_kept_per_filter_for_the_configured_seconds(app, client, data, db, monkeypatch):
    import marketplace.cache as cache

    now = [1000.0]
    monkeypatch.setattr(cache.time, "monotonic", lambda: now[0])
    app.config["DASHBOARD_CACHE_SECONDS"] = 30
    login(client, data["officer"])
    assert funnel_numbers(client.get("/dashboard/").get_data(as_text=True))["demands"] == 4
    make_demand(make_org("manufacturer", "潍坊新企业"), "新发布的需求")
    db.session.commit()
    assert funnel_numbers(client.get("/dashboard/").get_data(as_text=True))["demands"] == 4  # kept
    assert funnel_numbers(client.get("/dashboard/?city=all").get_data(as_text=True))["demands"] == 6  # another filter: its own
    now[0] += 31
    assert funnel_numbers(client.get("/dashboard/").get_data(as_text=True))["demands"] == 5
