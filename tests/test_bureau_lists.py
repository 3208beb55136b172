"""Chain demand lists: a bureau lists its firms' demands; firms confirm, disown or claim them; coverage."""
from __future__ import annotations

from types import SimpleNamespace

import pytest
import sqlalchemy as sa

from tests.conftest import (login, make_application, make_bid, make_demand, make_offering, make_org, make_pool,
                            make_user, term)


@pytest.fixture
def weifang(db):
    bureau = make_org("bureau", "潍坊市工业和信息化局", city="weifang")
    officer = make_user(bureau)
    firm = make_org("manufacturer", "潍坊动力配件厂", city="weifang")
    other_firm = make_org("manufacturer", "潍坊齿轮厂", city="weifang")
    far_firm = make_org("manufacturer", "济南机床厂", city="jinan")
    users = {"officer": officer, "firm": make_user(firm), "other_firm": make_user(other_firm), "far_firm": make_user(far_firm)}
    db.session.commit()
    return SimpleNamespace(bureau=bureau, firm=firm, other_firm=other_firm, far_firm=far_firm, users=users)


def new_list(client, w):
    page = client.get("/chain-lists/new").get_data(as_text=True)
    nonce = page.split('name="nonce" type="hidden" value="')[1].split('"')[0]
    data = {"title": "潍坊市动力装备产业链AI需求清单", "chain_id": term("chain", "power_equipment").id,
            "city_id": term("city", "weifang").id, "description": "链主企业与配套企业", "nonce": nonce}
    response = client.post("/chain-lists/new", data=data)
    assert response.status_code == 302
    assert client.post("/chain-lists/new", data=data).status_code == 302  # resent: still one list
    return int(response.headers["Location"].rstrip("/").split("/")[-1])


def add(client, list_id, firm_id, title):
    page = client.get(f"/chain-lists/{list_id}/demands/new").get_data(as_text=True)
    nonce = page.split('name="nonce" type="hidden" value="')[1].split('"')[0]
    return client.post(f"/chain-lists/{list_id}/demands/new", data={
        "firm_id": firm_id, "title": title, "description": "曲轴表面划痕检测，人工目检效率低。",
        "industry_id": term("industry", "C34").id, "scenario_ids": [term("scenario", "online_inspection").id],
        "budget_min": "20", "budget_max": "40", "nonce": nonce})


def test_bureau_publishes_list_and_firms_are_asked_to_confirm(client, weifang, db):
    from marketplace.demands.models import Demand, DemandList
    from marketplace.notifications.models import Notification

    login(client, weifang.users["officer"])
    list_id = new_list(client, weifang)
    assert db.session.scalar(sa.select(sa.func.count(DemandList.id))) == 1
    assert add(client, list_id, weifang.firm.id, "曲轴表面缺陷检测").status_code == 302
    assert add(client, list_id, 0, "装配线智能排产").status_code == 302  # firm not registered yet
    demands = db.session.scalars(sa.select(Demand).where(Demand.list_id == list_id).order_by(Demand.id)).all()
    assert [(d.status, d.owner_confirmed) for d in demands] == [("draft", False), ("draft", False)]
    assert demands[0].org_id == weifang.firm.id and demands[1].org_id == weifang.bureau.id
    assert demands[0].chain.code == "power_equipment" and demands[0].city.code == "weifang"

    assert client.post(f"/chain-lists/{list_id}/publish").status_code == 302
    for d in demands:
        db.session.refresh(d)
    assert [d.status for d in demands] == ["open", "open"]
    notes = db.session.scalars(sa.select(Notification).where(Notification.kind == "list.demand_to_confirm")).all()
    assert [n.user_id for n in notes] == [weifang.users["firm"].id]
    html = client.get(f"/chain-lists/{list_id}").get_data(as_text=True)
    assert "曲轴表面缺陷检测" in html and "装配线智能排产" in html
    again = client.post(f"/chain-lists/{list_id}/publish")  # twice: refused with a message
    assert again.status_code == 409 and "已经发布" in again.get_data(as_text=True)


def test_listed_demand_form_errors_keep_input(client, weifang):
    login(client, weifang.users["officer"])
    list_id = new_list(client, weifang)
    response = client.post(f"/chain-lists/{list_id}/demands/new", data={
        "firm_id": weifang.far_firm.id, "title": "跨市企业的需求", "description": "说明", "industry_id": term("industry", "C34").id,
        "budget_min": "50", "budget_max": "10", "nonce": "x"})
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "跨市企业的需求" in html and "invalid-feedback" in html


def _published(db, w, org=None, confirmed=False):
    from marketplace.demands.models import DemandList

    lst = DemandList(title="动力装备清单", publisher_org_id=w.bureau.id, chain_id=term("chain", "power_equipment").id,
                     city_id=term("city", "weifang").id, status="published")
    db.session.add(lst)
    db.session.flush()
    demand = make_demand(org or w.bureau, title="曲轴表面缺陷检测", list_id=lst.id, owner_confirmed=confirmed)
    db.session.commit()
    return lst, demand


def test_firm_confirms_its_demand(client, weifang, db):
    from marketplace.notifications.models import Notification

    lst, demand = _published(db, weifang, weifang.firm)
    login(client, weifang.users["firm"])
    mine = client.get("/chain-lists/for-my-firm").get_data(as_text=True)
    assert "曲轴表面缺陷检测" in mine
    assert client.post(f"/chain-lists/demands/{demand.id}/confirm", data={"version": demand.version}).status_code == 302
    db.session.refresh(demand)
    assert demand.owner_confirmed
    assert db.session.scalar(sa.select(Notification).where(Notification.kind == "list.demand_confirmed"))


def test_firm_disowns_then_the_right_firm_claims(client, weifang, db):
    lst, demand = _published(db, weifang, weifang.firm)
    login(client, weifang.users["firm"])
    client.post(f"/chain-lists/demands/{demand.id}/disown", data={"version": demand.version})
    db.session.refresh(demand)
    assert demand.org_id == weifang.bureau.id and not demand.owner_confirmed
    client.post("/logout")
    login(client, weifang.users["other_firm"])
    assert "曲轴表面缺陷检测" in client.get("/chain-lists/for-my-firm").get_data(as_text=True)
    assert client.post(f"/chain-lists/demands/{demand.id}/claim", data={"version": demand.version}).status_code == 302
    db.session.refresh(demand)
    assert demand.org_id == weifang.other_firm.id and demand.owner_confirmed


def test_two_firms_claiming_at_once_leave_one_owner(client, weifang, db):
    lst, demand = _published(db, weifang)
    seen_version = demand.version
    login(client, weifang.users["firm"])
    assert client.post(f"/chain-lists/demands/{demand.id}/claim", data={"version": seen_version}).status_code == 302
    client.post("/logout")
    login(client, weifang.users["other_firm"])
    late = client.post(f"/chain-lists/demands/{demand.id}/claim", data={"version": seen_version})
    assert late.status_code == 409
    db.session.refresh(demand)
    assert demand.org_id == weifang.firm.id


def test_claim_rules(client, weifang, db):
    lst, demand = _published(db, weifang, weifang.firm)
    login(client, weifang.users["other_firm"])  # listed for another firm: cannot claim it
    assert client.post(f"/chain-lists/demands/{demand.id}/claim", data={"version": demand.version}).status_code == 409
    assert client.post(f"/chain-lists/demands/{demand.id}/confirm", data={"version": demand.version}).status_code == 403
    client.post("/logout")
    _, unassigned = _published(db, weifang)
    login(client, weifang.users["far_firm"])  # a Jinan firm cannot claim a Weifang list's demand
    assert client.post(f"/chain-lists/demands/{unassigned.id}/claim", data={"version": unassigned.version}).status_code == 403
    client.post("/logout")
    login(client, weifang.users["officer"])  # a bureau is not a firm
    assert client.post(f"/chain-lists/demands/{unassigned.id}/claim", data={"version": unassigned.version}).status_code == 403
    db.session.refresh(unassigned)
    assert unassigned.org_id == weifang.bureau.id


def test_access_matrix(client, weifang, db):
    zibo = make_org("bureau", "淄博市工信局", city="zibo")
    zibo_officer = make_user(zibo)
    provider_user = make_user(make_org("provider"))
    db.session.commit()
    login(client, weifang.users["officer"])
    list_id = new_list(client, weifang)
    client.post("/logout")
    # A draft list exists only for its bureau.
    for user, code in ((zibo_officer, 404), (weifang.users["firm"], 404), (provider_user, 404)):
        login(client, user)
        assert client.get(f"/chain-lists/{list_id}").status_code == code
        assert client.get(f"/chain-lists/{list_id}/demands/new").status_code == code
        client.post("/logout")
    assert client.get(f"/chain-lists/{list_id}").status_code == 404
    # The bureau list page is for bureaus; the firm page for firms.
    login(client, provider_user)
    assert client.get("/chain-lists/").status_code == 403
    assert client.get("/chain-lists/for-my-firm").status_code == 403
    client.post("/logout")
    login(client, zibo_officer)
    assert weifang.bureau.name not in client.get("/chain-lists/").get_data(as_text=True)
    assert client.post(f"/chain-lists/{list_id}/publish").status_code == 404


def test_published_list_is_public_but_only_its_bureau_edits(client, weifang, db):
    zibo_officer = make_user(make_org("bureau", "淄博市工信局", city="zibo"))
    lst, demand = _published(db, weifang, weifang.firm)
    assert client.get(f"/chain-lists/{lst.id}").status_code == 200
    login(client, zibo_officer)
    assert client.get(f"/chain-lists/{lst.id}/edit").status_code == 403
    assert client.get(f"/chain-lists/{lst.id}/demands/{demand.id}/edit").status_code == 403


def test_bureau_cannot_edit_a_confirmed_demand(client, weifang, db):
    lst, demand = _published(db, weifang, weifang.firm, confirmed=True)
    login(client, weifang.users["officer"])
    response = client.post(f"/chain-lists/{lst.id}/demands/{demand.id}/edit", data={
        "firm_id": weifang.firm.id, "title": "改标题", "description": "说明", "industry_id": term("industry", "C34").id,
        "version": demand.version})
    assert response.status_code == 403
    assert "改标题" in response.get_data(as_text=True)


def test_coverage_counts_admitted_members_above_threshold_and_bids(app, weifang, db):
    from marketplace.bureau_lists import coverage
    from tests.matches_builders import store_match

    lst, demand = _published(db, weifang, weifang.firm)
    pool = make_pool(weifang.bureau, name="潍坊资源池")
    member, outsider, weak = (make_org("provider", n) for n in ("成员服务商", "非成员服务商", "弱匹配成员"))
    for org in (member, weak):
        make_application(pool, org, status="admitted")
    offerings = {org.id: make_offering(org) for org in (member, outsider, weak)}
    make_bid(demand, outsider)
    make_bid(demand, member, status="withdrawn")
    for org, score in ((member, 0.8), (outsider, 0.6), (weak, 0.1)):
        store_match(demand, offerings[org.id], score)
    db.session.commit()
    app.config["MATCHING_ENABLED"] = True
    with app.test_request_context():
        cover = coverage.coverage_for([demand], None, lst.city_id)[demand.id]
    assert (cover.matches, cover.admitted, cover.bids) == (2, 1, 1)
    assert not cover.uncovered


def test_firm_menu_leads_to_its_listed_demands(client, weifang):
    login(client, weifang.users["firm"])
    assert 'href="/chain-lists/for-my-firm"' in client.get("/").get_data(as_text=True)


def test_bureau_withdraws_a_demand_listed_by_mistake(client, weifang, db):
    from marketplace.notifications.models import Notification

    lst, demand = _published(db, weifang, weifang.firm)
    bid = make_bid(demand, make_org("provider", "投标服务商"))
    db.session.commit()
    login(client, weifang.users["officer"])
    url = f"/chain-lists/{lst.id}/demands/{demand.id}/withdraw"
    missing = client.post(url, data={"reason": "", "version": demand.version})
    assert missing.status_code == 400 and "invalid-feedback" in missing.get_data(as_text=True)
    stale = client.post(url, data={"reason": "重复登记", "version": demand.version - 1})
    assert stale.status_code == 409 and "重复登记" in stale.get_data(as_text=True)
    assert client.post(url, data={"reason": "重复登记", "version": demand.version}).status_code == 302
    db.session.refresh(demand)
    db.session.refresh(bid)
    assert (demand.status, demand.cancel_reason) == ("cancelled", "重复登记")
    assert bid.status == "declined"
    assert db.session.scalar(sa.select(Notification).where(Notification.kind == "demand.cancelled",
                                                           Notification.user_id == weifang.users["firm"].id))


def test_hidden_coverage_warning_stays_inside_the_table_scroll_box(client, weifang, db):
    # The visually hidden "no admitted provider" text is absolutely positioned; without a positioned scroll box
    # it widened the whole page on a phone.
    lst, demand = _published(db, weifang, org=weifang.firm)
    login(client, weifang.users["officer"])
    html = client.get(f"/chain-lists/{lst.id}").get_data(as_text=True)
    assert 'class="table-responsive position-relative"' in html


def test_a_long_list_shows_its_coverage_a_page_at_a_time(client, weifang, db):
    from tests.test_page_queries import count_queries

    lst, _first = _published(db, weifang, weifang.firm)
    for i in range(2, 46):
        make_demand(weifang.firm, title=f"清单需求{i:02d}", list_id=lst.id)
    db.session.commit()
    login(client, weifang.users["officer"])
    first = client.get(f"/chain-lists/{lst.id}").get_data(as_text=True)
    assert "曲轴表面缺陷检测" in first and "清单需求20" in first and "清单需求21" not in first
    assert "共 45 条结果，第 1 / 3 页" in first
    last = client.get(f"/chain-lists/{lst.id}?page=3").get_data(as_text=True)
    assert "清单需求45" in last and "清单需求20" not in last
    client.get(f"/chain-lists/{lst.id}?page=2")
    with count_queries() as page_two:
        assert client.get(f"/chain-lists/{lst.id}?page=2").status_code == 200
    with count_queries() as page_three:
        assert client.get(f"/chain-lists/{lst.id}?page=3").status_code == 200
    assert page_two.count == page_three.count  # coverage is read for the page shown, in the same queries
