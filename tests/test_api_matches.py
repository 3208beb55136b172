"""With the matcher on: ranked matches through the API (reasons in the requested language), and the
demand.matched webhook when a demand that fits a provider's offering is published."""
from __future__ import annotations

import json

import pytest

from tests.api_builders import token_for
from tests.conftest import base_config, make_demand, make_offering, make_org, make_user, term
from tests.test_api_webhooks import Receiver


@pytest.fixture
def app_config(tmp_path):
    return base_config(tmp_path, MATCHING_ENABLED=True, WEBHOOKS_ALLOW_LOCAL_HTTP=True)


@pytest.fixture
def market(db):
    firm = make_org("manufacturer", industry_id=term("industry", "C34").id)
    provider = make_org("provider", city="jinan")
    offering = make_offering(provider, title="工业视觉缺陷检测", description="深度学习视觉检测铸件表面缺陷：砂眼、气孔、裂纹。")
    demand = make_demand(firm, title="铸件砂眼气孔漏检")
    users = make_user(firm), make_user(provider), make_user(make_org("manufacturer"))
    db.session.commit()
    return firm, provider, offering, demand, users


def test_ranked_matches_with_reasons_in_the_requested_language(client, db, market):
    firm, provider, offering, demand, (owner, provider_user, stranger) = market
    headers = token_for(owner)
    zh = client.get(f"/api/v1/demands/{demand.id}/matches", headers=headers).json["items"]
    en = client.get(f"/api/v1/demands/{demand.id}/matches", headers={**headers, "Accept-Language": "en"}).json["items"]
    assert zh[0]["offering_id"] == offering.id and 0 < zh[0]["score"] <= 1
    assert zh[0]["reasons"] and zh[0]["reasons"] != en[0]["reasons"]
    assert client.get(f"/api/v1/demands/{demand.id}/matches", headers=token_for(stranger)).status_code == 403
    mine = client.get("/api/v1/opportunities", headers=token_for(provider_user)).json["items"]
    assert demand.id in [m["demand_id"] for m in mine]


def test_a_provider_hears_of_a_new_matching_demand(client, db, market):
    firm, provider, offering, demand, (owner, provider_user, _) = market
    receiver = Receiver()
    try:
        hook = client.post("/api/v1/webhooks", json={"url": receiver.url, "events": ["demand.matched"], "min_score": 0.05},
                           headers=token_for(provider_user)).json
        body = {"title": "铸件表面气孔视觉检测", "description": "铸件表面砂眼、气孔需要视觉检测。", "industry": "C34",
                "city": "weifang", "scenarios": ["online_inspection"], "publish": True}
        assert client.post("/api/v1/demands", json=body, headers=token_for(owner)).status_code == 201
        events = [json.loads(b) for h, b in receiver.received if h["X-Marketplace-Event"] == "demand.matched"]
        assert events and events[0]["data"]["offering_id"] == offering.id
        assert events[0]["data"]["score"] >= hook["min_score"]
    finally:
        receiver.close()
