"""Stored matches: computed by jobs after each commit, read by pages with SQL, consistent with "why this match"."""
from __future__ import annotations

import re
import sqlite3

import pytest
import sqlalchemy as sa

from marketplace.jobs import enqueue
from marketplace.matches.models import Match, MatchState
from tests.conftest import base_config, login, make_demand, make_offering, make_org, make_user, term


@pytest.fixture
def app_config(tmp_path):
    # a file database, so a second connection can see what is committed and what is not
    return base_config(tmp_path, MATCHING_ENABLED=True, SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'm.sqlite3'}")


@pytest.fixture
def market(db):
    firm = make_org("manufacturer", name="潍坊示例铸造")
    owner = make_user(firm)
    vision = make_org("provider", name="示例视觉")
    seller = make_user(vision)
    demand = make_demand(firm, title="铸件砂眼气孔漏检", description="铸件表面有砂眼、气孔，人工目检漏检多，想用摄像头自动检出。")
    inspection = make_offering(vision, title="工业视觉缺陷检测", description="深度学习视觉检测铸件表面缺陷：砂眼、气孔、裂纹。")
    energy = make_offering(vision, title="工厂能耗监测与优化", description="电表接入，分析峰谷用电，降低电费。",
                           scenarios=["energy_optimization"], industries=["C26"])
    db.session.commit()
    return {"firm": firm, "owner": owner, "vision": vision, "seller": seller, "demand": demand,
            "inspection": inspection, "energy": energy}


def _pairs(db):
    return {(m.demand_id, m.offering_id) for m in db.session.scalars(sa.select(Match))}


def test_a_save_stores_its_matches_both_ways_and_a_close_removes_them(market, db):
    d, o = market["demand"], market["inspection"]
    assert (d.id, o.id) in _pairs(db)
    row = db.session.scalar(sa.select(Match).where(Match.demand_id == d.id, Match.offering_id == o.id))
    assert 0 < row.score <= 1 and row.reasons[0]["zh"] and row.reasons[0]["en"] and row.matcher_version

    fresh = make_offering(make_org("provider"), title="X光探伤与表面缺陷AI质检", description="铸件内部缩孔与表面砂眼检测。")
    db.session.commit()
    assert (d.id, fresh.id) in _pairs(db)  # the new offering reached the demand's list from its own side

    o.status = "unpublished"
    db.session.commit()
    assert o.id not in {p[1] for p in _pairs(db)}
    d.status = "closed"
    db.session.commit()
    assert d.id not in {p[0] for p in _pairs(db)}


def test_encoding_runs_after_the_commit_not_inside_the_write(app, market, db, monkeypatch, tmp_path):
    """Encoding inside the write transaction held SQLite's lock for seconds during imports."""
    from marketplace.matches.engine import get_engine

    encoder = get_engine().encoder
    seen = []
    original = type(encoder).encode

    def encode(self, texts, *args, **kwargs):
        with sqlite3.connect(tmp_path / "m.sqlite3") as other:  # another connection sees only committed rows
            seen.append(other.execute("SELECT count(*) FROM demand WHERE title = '新需求：焊缝视觉检测'").fetchone()[0])
        return original(self, texts, *args, **kwargs)

    monkeypatch.setattr(type(encoder), "encode", encode)
    make_demand(market["firm"], title="新需求：焊缝视觉检测", description="焊缝气孔咬边人工检测慢。")
    db.session.commit()
    assert seen and all(n == 1 for n in seen)


def test_an_item_not_yet_matched_says_matching_until_its_job_has_run(client, market, db):
    d = market["demand"]
    db.session.execute(sa.delete(MatchState))
    db.session.commit()
    login(client, market["owner"])
    html = client.get(f"/demands/{d.id}").get_data(as_text=True)
    assert "正在匹配…" in html and 'data-match-pending="/matches/status/demand/' in html
    assert client.get(f"/matches/status/demand/{d.id}").get_json() == {"pending": True}
    assert "正在匹配…" in client.get("/demands/mine").get_data(as_text=True)

    enqueue("matches.refresh_items", demand_ids=[d.id])
    db.session.commit()  # the job runs after this commit (synchronously in the tests)
    assert client.get(f"/matches/status/demand/{d.id}").get_json() == {"pending": False}
    html = client.get(f"/demands/{d.id}").get_data(as_text=True)
    assert "正在匹配…" not in html and "工业视觉缺陷检测" in html


def test_status_of_another_firms_draft_is_not_found(client, market, db):
    draft = make_demand(market["firm"], title="草稿", status="draft")
    db.session.commit()
    login(client, market["seller"])
    assert client.get(f"/matches/status/demand/{draft.id}").status_code == 404


def _percent(html: str, marker: str) -> int:
    part = html[html.index(marker):]
    return int(re.search(r'aria-valuenow="(\d+)"', part).group(1))


def test_opportunities_name_the_best_offering_with_the_score_the_why_page_shows(client, market, db):
    d, best = market["demand"], market["inspection"]
    login(client, market["seller"])
    html = client.get("/opportunities/").get_data(as_text=True)
    card = html[html.index(d.title):]
    assert f"/matches/why/{d.id}/{best.id}" in card.split("</li>")[0] or f"/matches/why/{d.id}/{best.id}" in card[:3000]
    listed = _percent(html, d.title)
    why = client.get(f"/matches/why/{d.id}/{best.id}").get_data(as_text=True)
    assert _percent(why, 'role="progressbar"') == listed  # the overall score is the why page's first bar
    stored = db.session.scalar(sa.select(Match.score).where(Match.demand_id == d.id, Match.offering_id == best.id))
    assert round(stored * 100) == listed


def test_a_new_matcher_version_refreshes_every_stored_match(app, market, db, monkeypatch):
    from marketplace.matching import ranker

    monkeypatch.setattr(ranker, "MATCHER_VERSION", "next", raising=False)
    enqueue("matches.check_version")
    db.session.commit()
    versions = set(db.session.scalars(sa.select(Match.matcher_version)))
    assert versions == {"next"}
    assert set(db.session.scalars(sa.select(MatchState.matcher_version))) == {"next"}


def test_pages_neither_rank_nor_encode_on_get(client, market, db, monkeypatch):
    from marketplace.matches.engine import get_engine
    from marketplace.matching.ranker import Matcher

    bureau = make_org("bureau", name="潍坊市工信局", city="weifang")
    officer = make_user(bureau)
    db.session.commit()
    encoder = get_engine().encoder
    monkeypatch.setattr(Matcher, "rank", lambda *a, **k: pytest.fail("ranked on a GET"))
    monkeypatch.setattr(type(encoder), "encode", lambda *a, **k: pytest.fail("encoded on a GET"))
    login(client, market["owner"])
    for url in (f"/demands/{market['demand'].id}", "/demands/mine", "/demands/", "/"):
        assert client.get(url).status_code == 200, url
    client.post("/logout")
    login(client, market["seller"])
    for url in ("/opportunities/", f"/offerings/{market['inspection'].id}", "/opportunities/?matched=1"):
        assert client.get(url).status_code == 200, url
    client.post("/logout")
    login(client, officer)
    assert client.get("/dashboard/").status_code == 200


def test_healthz_is_ready_only_once_the_engine_has_loaded(app, client, market):
    from marketplace.matches.engine import warm_start

    app.extensions.pop("match_engine", None)
    assert client.get("/healthz").status_code == 503
    warm_start(app, background=False)
    response = client.get("/healthz")
    assert response.status_code == 200 and response.get_json()["ready"] is True


def test_a_restarted_worker_loads_the_saved_index_and_catches_up_without_rebuilding(app, market, db, monkeypatch):
    from marketplace.matches.engine import MatchEngine, get_engine

    get_engine().rebuild(save=True)
    later = make_offering(make_org("provider"), title="焊缝AI检测", description="焊缝气孔检测。")
    db.session.commit()
    fresh = MatchEngine(app)
    monkeypatch.setattr(MatchEngine, "rebuild", lambda *a, **k: pytest.fail("rebuilt instead of loading"))
    matcher = fresh.ready()
    assert later.id in matcher.collections["offering"].docs


def test_reindex_reads_rows_in_a_constant_number_of_queries(app, runner, db):
    from tests.test_page_queries import count_queries

    def grow(n):
        for i in range(n):
            org = make_org("provider", name=f"批量服务商{i}")
            make_offering(org, title=f"视觉检测方案{i}")
            make_demand(make_org("manufacturer", name=f"批量企业{i}"), title=f"缺陷检测需求{i}")
        db.session.commit()
        runner.invoke(args=["matching", "reindex", "--quiet"])  # encode once, so only reads are counted next

    grow(3)
    with count_queries() as few:
        assert runner.invoke(args=["matching", "reindex", "--quiet", "--no-matches"]).exit_code == 0
    grow(12)
    with count_queries() as many:
        assert runner.invoke(args=["matching", "reindex", "--quiet", "--no-matches"]).exit_code == 0
    assert many.count == few.count, (few.count, many.count)
