"""With the matcher on: the demand page ranks providers, the dashboard counts matches, imported demands match."""
from __future__ import annotations

import io

import pytest
import sqlalchemy as sa

from tests.conftest import base_config, login, make_demand, make_offering, make_org, make_user, term


@pytest.fixture
def app_config(tmp_path):
    return base_config(tmp_path, MATCHING_ENABLED=True)


@pytest.fixture
def market(db):
    firm = make_org("manufacturer", name="潍坊动力机械", industry_id=term("industry", "C34").id)
    owner = make_user(firm)
    vision = make_org("provider", name="示例视觉")
    make_user(vision)
    inspection = make_offering(vision, title="工业视觉缺陷检测", description="深度学习视觉检测铸件表面缺陷：砂眼、气孔、裂纹。")
    demand = make_demand(firm, title="铸件砂眼气孔漏检", created_by_id=owner.id)
    db.session.commit()
    return {"owner": owner, "vision": vision, "inspection": inspection, "demand": demand}


def test_owner_sees_ranked_providers_and_invites_one(client, db, market):
    login(client, market["owner"])
    html = client.get(f"/demands/{market['demand'].id}").get_data(as_text=True)
    ranked = html[html.index('data-testid="ranked-offerings"'):]
    assert "工业视觉缺陷检测" in ranked and 'data-testid="invite"' in ranked
    client.post(f"/bids/demand/{market['demand'].id}/invite",
                data={"provider_org_id": market["vision"].id, "offering_id": market["inspection"].id})
    html = client.get(f"/demands/{market['demand'].id}").get_data(as_text=True)
    assert "已邀请" in html and 'data-testid="invitations-sent"' in html

    dashboard = client.get("/demands/mine").get_data(as_text=True)
    count = dashboard[dashboard.index('data-testid="match-count"'):].split("</td>")[0]
    assert ">1</a>" in count


def test_imported_demands_are_matchable_when_the_import_finishes(client, db, market):
    from marketplace.demands.exports import template_xlsx
    from marketplace.demands.models import Demand, DemandList
    from marketplace.matches import services as matches

    demand_list = DemandList(title="清单", publisher_org_id=market["owner"].org_id)
    db.session.add(demand_list)
    db.session.commit()
    login(client, market["owner"])
    with client.application.test_request_context():
        content = template_xlsx()
    response = client.post(f"/demands/lists/{demand_list.id}/import", data={"file": (io.BytesIO(content), "t.xlsx")},
                           content_type="multipart/form-data")
    client.post(response.headers["Location"], data={"publish": "y", "action": "import"})
    imported = db.session.scalar(sa.select(Demand).where(Demand.title == "柴油机缸体铸件表面缺陷在线检测"))
    assert [item.obj.id for item in matches.offerings_for_demand(imported)][:1] == [market["inspection"].id]
