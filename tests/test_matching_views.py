"""Matcher v2 as a user sees it: calibrated percentages and an honest "no strong match" notice."""
from __future__ import annotations

import pytest

from tests.conftest import base_config, login, make_demand, make_offering, make_org, make_user


@pytest.fixture
def app_config(tmp_path):
    return base_config(tmp_path, MATCHING_ENABLED=True)


def test_a_demand_nothing_fits_says_so_above_the_nearest_offerings(client, db):
    firm = make_org("manufacturer", name="高密纺织")
    owner = make_user(firm)
    provider = make_org("provider", name="示例维护")
    make_user(provider)
    make_offering(provider, title="设备预测性维护平台", summary="振动监测与故障预警", industries=["C34"],
                  scenarios=["predictive_maintenance"], description="振动传感器监测电机、泵和风机，提前预警故障。")
    demand = make_demand(firm, title="织布机断经断纬", description="织布机经常断经断纬，想自动发现布面疵点。",
                         industry="C17", scenarios=[], created_by_id=owner.id)
    db.session.commit()
    login(client, owner)
    html = client.get(f"/demands/{demand.id}").get_data(as_text=True)
    assert 'data-testid="no-strong-match"' in html and "暂无高度匹配的服务商" in html
    assert "设备预测性维护平台" in html[html.index('data-testid="ranked-offerings"'):]  # the nearest one is still listed
