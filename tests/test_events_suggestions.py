"""The matcher suggests whom to meet among an event's participants, both ways, with reasons,
and leaves out pairs that already deal through a live bid."""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from marketplace.events import services
from marketplace.events.models import Suggestion
from marketplace.events.tasks import suggest_meetings
from tests.conftest import base_config, login, make_bid, make_demand, make_offering, make_org, make_user
from tests.events_builders import make_event


@pytest.fixture
def app_config(tmp_path):
    return base_config(tmp_path, MATCHING_ENABLED=True)


def test_participants_see_their_best_counterparts_with_reasons(client, db):
    bureau = make_org("bureau", name="潍坊市工业和信息化局")
    firm = make_org("manufacturer", name="潍坊示例铸造")
    firm_user = make_user(firm)
    vision, energy, bidder = (make_org("provider", name=n) for n in ("示例视觉", "示例能源", "已投标视觉"))
    vision_user = make_user(vision)
    demand = make_demand(firm, title="铸件砂眼气孔漏检", description="铸件表面有砂眼、气孔，人工目检漏检多，想用摄像头自动检出。")
    offers = {
        vision: make_offering(vision, title="工业视觉缺陷检测", description="深度学习视觉检测铸件表面缺陷：砂眼、气孔、裂纹。"),
        energy: make_offering(energy, title="工厂能耗监测与优化", description="电表接入，分析峰谷用电，降低电费。",
                              scenarios=["energy_optimization"]),
        bidder: make_offering(bidder, title="铸件表面视觉检测", description="视觉检测铸件砂眼气孔。"),
    }
    make_bid(demand, bidder, offers[bidder])
    event = make_event(bureau)
    db.session.commit()

    services.register(event, firm, firm_user, [demand], [], event.sessions, "")
    for org, offering in offers.items():
        services.register(event, org, org.users[0] if org.users else firm_user, [], [offering], event.sessions, "")
    db.session.commit()
    suggest_meetings(event.id)
    db.session.commit()

    owner_org = {r.id: r.org_id for r in event.registrations}
    rows = db.session.scalars(sa.select(Suggestion).order_by(Suggestion.score.desc())).all()
    for_firm = [s.other.org.name for s in rows if owner_org[s.registration_id] == firm.id]
    assert for_firm[0] == "示例视觉"
    assert "已投标视觉" not in for_firm  # they already talk through a live bid
    assert [s.other.org.name for s in rows if owner_org[s.registration_id] == vision.id] == ["潍坊示例铸造"]

    login(client, firm_user)
    page = client.get(f"/events/{event.id}/me").get_data(as_text=True)
    suggested = page.split('data-testid="suggestions"')[1].split('data-testid="all-participants"')[0]
    assert suggested.index("示例视觉") < suggested.index("示例能源")
    assert "已投标视觉" not in suggested
    assert "在线智能检测" in suggested  # the matcher's reason, in Chinese
