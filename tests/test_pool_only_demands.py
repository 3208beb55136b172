"""A pool-only demand invites and ranks only the pool's admitted members (issue 9 item 14)."""
import pytest
import sqlalchemy as sa

from tests.conftest import (base_config, login, make_application, make_demand, make_offering, make_org, make_pool,
                            make_user)


@pytest.fixture
def app_config(tmp_path):
    return base_config(tmp_path, MATCHING_ENABLED=True)


@pytest.fixture
def pool_demand(db):
    bureau = make_org("bureau", city="zibo")
    pool = make_pool(bureau)
    firm = make_org("manufacturer")
    owner = make_user(firm)
    admitted, rejected = make_org("provider", name="入库视觉"), make_org("provider", name="落选视觉")
    make_application(pool, admitted, status="admitted")
    make_application(pool, rejected, status="rejected", decision_reason="案例不足")
    offers = {org.name: make_offering(org, title=f"{org.name}铸件缺陷检测", description="深度学习视觉检测铸件表面砂眼气孔。")
              for org in (admitted, rejected)}
    demand = make_demand(firm, title="铸件砂眼气孔漏检", visibility="pool", pool_id=pool.id)
    db.session.commit()
    return dict(owner=owner, admitted=admitted, rejected=rejected, demand=demand, offers=offers)


def test_a_rejected_provider_is_neither_ranked_nor_invitable(client, db, pool_demand):
    from marketplace.bids.models import Invitation

    demand = pool_demand["demand"]
    login(client, pool_demand["owner"])
    html = client.get(f"/demands/{demand.id}").get_data(as_text=True)
    ranked = html[html.index('data-testid="ranked-offerings"'):]
    assert "入库视觉铸件缺陷检测" in ranked and "落选视觉" not in ranked
    client.post(f"/bids/demand/{demand.id}/invite", data={"provider_org_id": pool_demand["rejected"].id})
    assert db.session.scalar(sa.select(sa.func.count(Invitation.id))) == 0
    client.post(f"/bids/demand/{demand.id}/invite", data={"provider_org_id": pool_demand["admitted"].id})
    assert [i.provider_org_id for i in db.session.scalars(sa.select(Invitation))] == [pool_demand["admitted"].id]


def test_a_cached_browse_total_is_never_shared_across_what_visitors_may_see(app, client, db, pool_demand):
    """The browse pages keep their totals per statement and parameters for a short time: an
    anonymous visitor and an admitted member see their own totals, and new rows still show."""
    app.config["BROWSE_COUNT_CACHE_SECONDS"] = 60
    firm = make_org("manufacturer", name="公开需求企业")
    make_demand(firm, title="公开需求：空压机能耗监测")
    db.session.commit()
    assert "共 1 条结果" in client.get("/demands/").get_data(as_text=True)  # the pool-only demand is hidden

    member = make_user(pool_demand["admitted"])
    db.session.commit()
    login(client, member)
    html = client.get("/demands/").get_data(as_text=True)
    assert "共 2 条结果" in html and "铸件砂眼气孔漏检" in html

    client.post("/logout")
    make_demand(firm, title="新发布：排产优化")
    db.session.commit()
    html = client.get("/demands/").get_data(as_text=True)
    assert "新发布：排产优化" in html  # rows are live ...
    assert "共 1 条结果" in html  # ... while the total is the one counted a moment ago


def test_a_kept_search_ranking_never_shows_a_demand_hidden_since(app, client, db, pool_demand):
    """A keyword search's order of results is kept for a short time; the rows are read again through
    the page's conditions, so a demand cancelled or moved into a pool meanwhile disappears at once."""
    app.config["SEARCH_CACHE_SECONDS"] = 60
    firm = make_org("manufacturer", name="公开需求企业")
    make_demand(firm, title="空压机能耗监测")
    hidden = make_demand(firm, title="注塑机能耗监测")
    db.session.commit()
    html = client.get("/demands/?q=能耗监测").get_data(as_text=True)
    assert "空压机" in html and "注塑机" in html

    hidden.visibility, hidden.pool_id = "pool", pool_demand["demand"].pool_id
    db.session.commit()
    html = client.get("/demands/?q=能耗监测").get_data(as_text=True)
    assert "空压机" in html and "注塑机" not in html
