"""The matcher inside the app: vectors stored with the rows, the index kept current, reasons shown."""
import pytest
import sqlalchemy as sa

from marketplace.matches import services
from marketplace.matches.engine import MatchEngine, get_engine
from marketplace.matches.models import Embedding
from tests.conftest import base_config, login, make_application, make_demand, make_offering, make_org, make_pool, make_user


@pytest.fixture
def app_config(tmp_path):
    return base_config(tmp_path, MATCHING_ENABLED=True)


@pytest.fixture
def market(db):
    firm = make_org("manufacturer", name="潍坊示例铸造")
    vision = make_org("provider", name="示例视觉")
    energy = make_org("provider", name="示例能源")
    owner = make_user(firm)
    demand = make_demand(firm, title="铸件砂眼气孔漏检", description="铸件表面有砂眼、气孔，人工目检漏检多，想用摄像头自动检出。")
    inspection = make_offering(vision, title="工业视觉缺陷检测", description="深度学习视觉检测铸件表面缺陷：砂眼、气孔、裂纹。")
    power = make_offering(energy, title="工厂能耗监测与优化", description="电表接入，分析峰谷用电，降低电费。",
                          scenarios=["energy_optimization"])
    db.session.commit()
    return {"firm": firm, "owner": owner, "demand": demand, "inspection": inspection, "power": power,
            "vision": vision, "energy": energy}


def test_saved_demand_is_ranked_with_reasons_in_both_languages(market, db):
    items = services.offerings_for_demand(market["demand"])
    assert [i.obj.id for i in items][:1] == [market["inspection"].id]
    top = items[0]
    assert 0 < top.score <= 1
    assert any("在线智能检测" in r.zh for r in top.reasons)
    assert all(r.en and r.zh for r in top.reasons)


def test_vectors_are_stored_with_model_and_hash_and_reused(market, db):
    rows = db.session.scalars(sa.select(Embedding)).all()
    assert {(r.object_type, r.object_id) for r in rows} >= {("demand", market["demand"].id), ("offering", market["inspection"].id)}
    before = {r.id: r.text_hash for r in rows}

    market["demand"].deadline = None  # not part of the text: no re-encoding
    db.session.commit()
    assert {r.id: r.text_hash for r in db.session.scalars(sa.select(Embedding))} == before

    market["demand"].description += " 每天大约两千件。"
    db.session.commit()
    row = db.session.scalar(sa.select(Embedding).where(Embedding.object_type == "demand"))
    assert row.text_hash != before[row.id]


def test_unpublished_offering_drops_out_at_once(market, db):
    services.offerings_for_demand(market["demand"])  # index built
    market["inspection"].status = "unpublished"
    db.session.commit()
    assert market["inspection"].id not in [i.obj.id for i in services.offerings_for_demand(market["demand"])]


def test_new_offering_is_matchable_right_after_its_commit(market, db):
    services.offerings_for_demand(market["demand"])
    fresh = make_offering(make_org("provider"), title="X光探伤与表面缺陷AI质检", description="铸件内部缩孔与表面砂眼检测。")
    db.session.commit()
    assert fresh.id in [i.obj.id for i in services.offerings_for_demand(market["demand"])]


def test_pool_only_demand_hidden_from_non_members(market, db):
    bureau = make_org("bureau", city="weifang")
    pool = make_pool(bureau, name="潍坊动力装备AI服务商资源池")
    secret = make_demand(market["firm"], title="柴油机缸体视觉检测（仅资源池）", visibility="pool", pool_id=pool.id)
    db.session.commit()
    viewer = make_user(market["vision"])
    db.session.commit()
    ids = [i.obj.id for i in services.demands_for_offering(market["inspection"], viewer)]
    assert secret.id not in ids and market["demand"].id in ids

    make_application(pool, market["vision"], status="admitted")
    db.session.commit()
    ids = [i.obj.id for i in services.demands_for_offering(market["inspection"], viewer)]
    assert secret.id in ids


def test_index_is_saved_and_loaded_without_reencoding(app, market, db, monkeypatch):
    services.offerings_for_demand(market["demand"])
    engine = get_engine()
    engine.rebuild(save=True)

    fresh = MatchEngine(app)
    monkeypatch.setattr(type(fresh.encoder), "encode", lambda *a, **k: pytest.fail("re-encoded on load"))
    matcher = fresh.ready()
    assert market["inspection"].id in matcher.collections["offering"].docs


def test_why_this_match_page(client, market):
    login(client, market["owner"])
    html = client.get(f"/matches/why/{market['demand'].id}/{market['inspection'].id}").get_data(as_text=True)
    assert "场景匹配" in html and "在线智能检测" in html


def test_why_page_hides_other_firms_drafts(client, market, db):
    draft = make_demand(market["firm"], title="草稿", status="draft")
    stranger = make_user(make_org("provider"))
    db.session.commit()
    login(client, stranger)
    assert client.get(f"/matches/why/{draft.id}/{market['inspection'].id}").status_code == 404


def test_reindex_command(runner, market):
    result = runner.invoke(args=["matching", "reindex", "--quiet"])
    assert result.exit_code == 0, result.output
    assert "1 open demands" in result.output and "2 published offerings" in result.output


def test_broken_model_folder_gives_one_clear_error(app, runner, tmp_path):
    app.config["EMBEDDING_MODEL"] = str(tmp_path / "no-such-model")
    app.extensions.pop("match_engine", None)
    result = runner.invoke(args=["matching", "reindex", "--quiet"])
    assert result.exit_code != 0
    assert "EMBEDDING_MODEL" in result.output


def test_why_page_leads_the_offerings_provider_on_to_a_bid(client, market, db):
    """The explanation was a dead end: the provider read why a demand fits and had no way on from there."""
    url = f"/matches/why/{market['demand'].id}/{market['inspection'].id}"
    seller = make_user(market["vision"], email="sales@vision.example")
    db.session.commit()
    login(client, seller)
    html = client.get(url).get_data(as_text=True)
    assert f"/bids/new?demand_id={market['demand'].id}&amp;offering_id={market['inspection'].id}" in html
    assert "用此方案报价" in html
    client.post("/logout")
    login(client, market["owner"])  # the firm sees the same page without the provider's action
    assert 'data-testid="why-actions"' not in client.get(url).get_data(as_text=True)
