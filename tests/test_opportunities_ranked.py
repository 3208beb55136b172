"""With the matcher on: opportunities and the offering page rank demands, with reasons, right after a save."""
import pytest
import sqlalchemy as sa

from marketplace.offerings.models import Offering
from tests.conftest import base_config, login, make_demand, make_org, make_user, term


@pytest.fixture
def app_config(tmp_path):
    return base_config(tmp_path, MATCHING_ENABLED=True)


def test_a_new_offering_ranks_matching_demands_first_with_reasons(client, db):
    firm = make_org("manufacturer", name="潍坊示例铸造")
    make_demand(firm, title="厂区能耗监测与优化", description="空压机和锅炉能耗高，希望监测并优化用能。",
                scenarios=["energy_optimization"], industry="C26")
    make_demand(firm, title="铸件表面缺陷视觉检测", description="铸件砂眼气孔人工目检漏检，希望相机自动检出。",
                scenarios=["online_inspection"], industry="C34")
    provider = make_org("provider", name="示例视觉")
    user = make_user(provider)
    db.session.commit()
    login(client, user)
    client.post("/offerings/new", data={
        "title": "工业视觉缺陷检测系统", "summary": "铸件表面缺陷检测",
        "description": "面向铸造的在线视觉检测，识别砂眼、气孔、裂纹，替代人工目检。",
        "scenario_ids": [str(term("scenario", "online_inspection").id)], "industry_ids": [str(term("industry", "C34").id)],
        "submit_token": "ranked-1",
    })
    offering = db.session.scalar(sa.select(Offering))
    client.post(f"/offerings/{offering.id}/publish")

    html = client.get("/opportunities/").get_data(as_text=True)
    assert html.index("铸件表面缺陷视觉检测") < html.index("厂区能耗监测与优化")
    assert "在线智能检测" in html and 'role="progressbar"' in html  # a reason and the score
    assert "/why" in html or "匹配原因" in html

    detail = client.get(f"/offerings/{offering.id}").get_data(as_text=True)
    assert 'data-testid="ranked-demands"' in detail and "铸件表面缺陷视觉检测" in detail

    matched_only = client.get("/opportunities/?matched=1&sort=match").get_data(as_text=True)
    assert "铸件表面缺陷视觉检测" in matched_only
