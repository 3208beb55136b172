"""Bids: provider bids, edits, withdrawals; the firm shortlists, declines, awards, closes, reviews; invitations."""
from __future__ import annotations

from decimal import Decimal

import pytest
import sqlalchemy as sa

from tests.conftest import login, make_bid, make_demand, make_offering, make_org, make_user


@pytest.fixture
def world(db):
    firm = make_org("manufacturer", name="潍坊动力机械")
    owner = make_user(firm, name="王经理")
    alpha = make_org("provider", name="甲视觉科技")
    beta = make_org("provider", name="乙智能装备")
    alpha_user, beta_user = make_user(alpha, name="甲销售"), make_user(beta, name="乙销售")
    demand = make_demand(firm, created_by_id=owner.id)
    offering = make_offering(alpha)
    db.session.commit()
    return dict(firm=firm, owner=owner, alpha=alpha, beta=beta, alpha_user=alpha_user, beta_user=beta_user,
                demand=demand, offering=offering)


def bid_form(**overrides) -> dict:
    data = {"offering_id": 0, "price": "35", "duration_days": "90", "approach": "两台工业相机加边缘推理盒，三个月上线。"}
    data.update(overrides)
    return data


def kinds_for(db, user) -> list[str]:
    from marketplace.notifications.models import Notification

    return [n.kind for n in db.session.scalars(sa.select(Notification).where(Notification.user_id == user.id).order_by(Notification.id))]


def test_provider_bids_and_the_firm_is_notified(app, client, db, world):
    login(client, world["alpha_user"])
    demand = world["demand"]
    assert "提交报价" in client.get(f"/bids/new?demand_id={demand.id}").get_data(as_text=True)
    response = client.post(f"/bids/new?demand_id={demand.id}", data=bid_form(offering_id=world["offering"].id))
    assert response.status_code == 302
    from marketplace.bids.models import Bid

    bid = db.session.scalar(sa.select(Bid))
    assert bid.price == Decimal("35") and bid.offering_id == world["offering"].id and bid.status == "submitted"
    assert kinds_for(db, world["owner"]) == ["bid.received"]
    # A second bid while the first is live is refused with a clear message; the form keeps the text.
    response = client.post(f"/bids/new?demand_id={demand.id}", data=bid_form())
    assert response.status_code == 302 and f"/bids/{bid.id}" in response.headers["Location"]
    from marketplace.bids import services

    with app.test_request_context(), pytest.raises(services.BidError, match="已有有效报价"):
        services.submit_bid(world["alpha_user"], demand, None, Decimal("1"), 1, "x")


def test_database_refuses_a_second_live_bid(client, db, world, monkeypatch):
    """Even if the look-up misses (a race), the partial unique index refuses it with a clear message."""
    from marketplace.bids import services

    make_bid(world["demand"], world["alpha"])
    db.session.commit()
    monkeypatch.setattr(services, "live_bid", lambda *a: None)
    login(client, world["alpha_user"])
    response = client.post(f"/bids/new?demand_id={world['demand'].id}", data=bid_form(approach="我的新方案"))
    html = response.get_data(as_text=True)
    assert response.status_code == 400 and "已有有效报价" in html and "我的新方案" in html


def test_bid_form_errors_are_shown_beside_fields(client, db, world):
    login(client, world["alpha_user"])
    response = client.post(f"/bids/new?demand_id={world['demand'].id}", data=bid_form(price="-3", duration_days="0", approach=""))
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "请输入 0 到 1,000,000（万元）之间的金额" in html and "请输入 1 到 3650 之间的天数" in html and "请说明您的解决方案" in html


def test_edit_until_shortlisted_and_stale_edits_are_refused(client, db, world):
    bid = make_bid(world["demand"], world["alpha"])
    db.session.commit()
    login(client, world["alpha_user"])
    version = bid.version
    assert client.post(f"/bids/{bid.id}/edit", data=bid_form(price="30", version=version)).status_code == 302
    db.session.refresh(bid)
    assert bid.price == Decimal("30") and kinds_for(db, world["owner"]) == ["bid.updated"]

    response = client.post(f"/bids/{bid.id}/edit", data=bid_form(approach="旧页面上的方案", version=version))
    assert response.status_code == 409 and "旧页面上的方案" in response.get_data(as_text=True)

    bid.status = "shortlisted"
    db.session.commit()
    response = client.post(f"/bids/{bid.id}/edit", data=bid_form(price="1", version=bid.version))
    assert response.status_code == 302
    db.session.refresh(bid)
    assert bid.price == Decimal("30")


def test_withdraw_then_bid_again(client, db, world):
    bid = make_bid(world["demand"], world["alpha"])
    db.session.commit()
    login(client, world["alpha_user"])
    client.post(f"/bids/{bid.id}/withdraw")
    db.session.refresh(bid)
    assert bid.status == "withdrawn" and kinds_for(db, world["owner"]) == ["bid.withdrawn"]
    assert client.post(f"/bids/new?demand_id={world['demand'].id}", data=bid_form()).status_code == 302
    html = client.get("/bids/mine").get_data(as_text=True)
    assert html.count('data-status="withdrawn"') >= 1 and html.count('data-status="submitted"') >= 1


def test_shortlist_decline_award_close_review(client, db, world):
    demand = world["demand"]
    a = make_bid(demand, world["alpha"], offering=world["offering"], price=Decimal("40"))
    b = make_bid(demand, world["beta"], price=Decimal("25"))
    c = make_bid(demand, make_org("provider"), price=Decimal("60"))
    db.session.commit()
    login(client, world["owner"])

    html = client.get(f"/demands/{demand.id}?bid_sort=price").get_data(as_text=True)
    assert html.count('data-testid="bid-card"') == 3
    assert html.index("乙智能装备") < html.index("甲视觉科技")  # cheapest first

    client.post(f"/bids/{a.id}/shortlist", data={"version": a.version})
    db.session.refresh(a)
    assert a.status == "shortlisted" and kinds_for(db, world["alpha_user"]) == ["bid.shortlisted"]

    response = client.post(f"/bids/{c.id}/decline", data={"reason": "", "version": c.version})
    assert response.status_code == 400 and "请说明原因" in response.get_data(as_text=True)
    client.post(f"/bids/{c.id}/decline", data={"reason": "报价超出预算", "version": c.version})
    db.session.refresh(c)
    assert c.status == "declined" and c.decline_reason == "报价超出预算"

    client.post(f"/bids/{a.id}/award", data={"version": a.version})
    for obj in (a, b, demand):
        db.session.refresh(obj)
    assert a.status == "awarded" and demand.status == "awarded" and b.status == "declined"
    assert kinds_for(db, world["alpha_user"])[-1] == "bid.awarded"
    assert kinds_for(db, world["beta_user"]) == ["bid.closed_other_awarded"]
    # Bidding is closed: no second award, no new bids.
    client.post(f"/bids/{b.id}/award", data={"version": b.version})
    db.session.refresh(b)
    assert b.status == "declined"

    client.post(f"/bids/demand/{demand.id}/close")
    db.session.refresh(demand)
    assert demand.status == "closed" and demand.closed_at is not None
    response = client.post(f"/bids/demand/{demand.id}/review", data={"rating": "4", "comment": "按期交付，漏检率降到0.5%"})
    assert response.status_code == 302
    client.post(f"/bids/demand/{demand.id}/review", data={"rating": "1", "comment": "再评一次"})
    from marketplace.bids.models import Review

    [review] = db.session.scalars(sa.select(Review)).all()
    assert review.rating == 4 and review.provider_org_id == world["alpha"].id
    assert "review.received" in kinds_for(db, world["alpha_user"])
    provider_page = client.get(f"/providers/{world['alpha'].id}").get_data(as_text=True)
    assert "按期交付，漏检率降到0.5%" in provider_page

    from marketplace.audit.models import AuditEvent

    actions = set(db.session.scalars(sa.select(AuditEvent.action)))
    assert {"bid.shortlist", "bid.decline", "bid.award", "demand.award", "demand.close", "review.create"} <= actions


def test_decision_on_a_bid_changed_since_the_page_was_loaded_is_refused(client, db, world):
    bid = make_bid(world["demand"], world["alpha"])
    db.session.commit()
    stale = bid.version
    bid.price = Decimal("99")
    db.session.commit()
    login(client, world["owner"])
    assert client.post(f"/bids/{bid.id}/award", data={"version": stale}).status_code == 409
    response = client.post(f"/bids/{bid.id}/decline", data={"reason": "价格太高", "version": stale})
    assert response.status_code == 409 and "价格太高" in response.get_data(as_text=True)
    db.session.refresh(bid)
    assert bid.status == "submitted"


def closed_with_award(client, db, world):
    """The world's demand, awarded to alpha and closed, with the owner logged in."""
    demand = world["demand"]
    make_bid(demand, world["alpha"], status="awarded")
    demand.status = "closed"
    db.session.commit()
    login(client, world["owner"])
    return demand


def test_review_rating_must_be_1_to_5(client, db, world):
    demand = closed_with_award(client, db, world)
    response = client.post(f"/bids/demand/{demand.id}/review", data={"rating": "9", "comment": "好"})
    assert response.status_code == 400 and "请选择 1 到 5 星评分" in response.get_data(as_text=True)


def test_review_rating_is_drawn_as_radio_buttons(client, db, world):
    demand = closed_with_award(client, db, world)
    form = client.get(f"/demands/{demand.id}").get_data(as_text=True).split('id="review"')[1].split("</form>")[0]
    assert form.count('class="form-check-input"') == 5 and "<ul" not in form
    response = client.post(f"/bids/demand/{demand.id}/review", data={"rating": "4", "comment": "交付及时"})
    assert response.status_code == 302


def test_review_page_is_not_offered_before_the_demand_is_closed(client, db, world):
    demand = world["demand"]
    make_bid(demand, world["alpha"], status="awarded")
    db.session.commit()
    login(client, world["owner"])
    response = client.get(f"/bids/demand/{demand.id}/review")
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/demands/{demand.id}")
    assert "请在交付完成并关闭需求后再评价服务商" in client.get(response.headers["Location"]).get_data(as_text=True)
    demand.status = "closed"
    db.session.commit()
    assert client.get(f"/bids/demand/{demand.id}/review").status_code == 200


def test_decline_page_is_not_offered_for_a_bid_already_decided(client, db, world):
    bid = make_bid(world["demand"], world["alpha"], status="awarded")
    db.session.commit()
    login(client, world["owner"])
    response = client.get(f"/bids/{bid.id}/decline")
    assert response.status_code == 302 and f"/demands/{world['demand'].id}" in response.headers["Location"]


def test_bids_received_page_lists_only_the_firms_bids(client, db, world):
    make_bid(world["demand"], world["alpha"], approach="甲的方案")
    other_demand = make_demand(make_org("manufacturer"), title="别家的需求")
    make_bid(other_demand, world["beta"], approach="乙给别家的方案")
    db.session.commit()
    login(client, world["owner"])
    html = client.get("/bids/received").get_data(as_text=True)
    assert "甲视觉科技" in html and "别家的需求" not in html
    assert "甲视觉科技" not in client.get("/bids/received?status=awarded").get_data(as_text=True)


def test_invitation_flow(client, db, world):
    demand = world["demand"]
    login(client, world["owner"])
    client.post(f"/bids/demand/{demand.id}/invite", data={"provider_org_id": world["alpha"].id, "offering_id": world["offering"].id})
    client.post(f"/bids/demand/{demand.id}/invite", data={"provider_org_id": world["alpha"].id})
    from marketplace.bids.models import Invitation

    [invitation] = db.session.scalars(sa.select(Invitation)).all()
    assert kinds_for(db, world["alpha_user"]) == ["invitation.received"]
    client.post("/logout")

    login(client, world["alpha_user"])
    html = client.get("/bids/invitations").get_data(as_text=True)
    assert demand.title in html and 'data-testid="accept"' in html
    response = client.post(f"/bids/invitations/{invitation.id}/answer", data={"answer": "accept"})
    assert f"/bids/new?demand_id={demand.id}" in response.headers["Location"]
    db.session.refresh(invitation)
    assert invitation.status == "accepted" and kinds_for(db, world["owner"]) == ["invitation.accepted"]
    client.post("/logout")

    login(client, world["beta_user"])
    assert client.post(f"/bids/invitations/{invitation.id}/answer", data={"answer": "decline"}).status_code == 404


def test_a_provider_who_already_bid_is_not_invited(client, db, world):
    from marketplace.bids.models import Invitation

    demand = world["demand"]
    make_bid(demand, world["alpha"], offering=world["offering"])
    db.session.commit()
    login(client, world["owner"])
    response = client.post(f"/bids/demand/{demand.id}/invite", data={"provider_org_id": world["alpha"].id})
    assert response.status_code == 302
    assert "已对该需求报价" in client.get(response.headers["Location"]).get_data(as_text=True)
    assert not db.session.scalars(sa.select(Invitation)).all() and kinds_for(db, world["alpha_user"]) == []


def test_bid_cards_show_rating_and_pool_badges(client, db, world):
    from tests.conftest import make_application, make_pool

    pool = make_pool(make_org("bureau", name="潍坊市工信局", city="weifang", credit_code=None), name="潍坊动力装备AI服务商池")
    make_application(pool, world["alpha"], status="admitted")
    make_bid(world["demand"], world["alpha"], offering=world["offering"])
    db.session.commit()
    login(client, world["owner"])
    html = client.get(f"/demands/{world['demand'].id}").get_data(as_text=True)
    card = html[html.index('data-testid="bid-card"'):]
    assert "入库：潍坊动力装备AI服务商池" in card and "暂无评价" in card and world["offering"].title in card
