"""Demands: create, edit, publish, cancel, the firm's dashboard and the demand page by viewer."""
from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from tests.conftest import login, make_bid, make_demand, make_org, make_user, term


@pytest.fixture
def firm(db):
    org = make_org("manufacturer", name="潍坊动力机械", city="weifang", industry_id=term("industry", "C34").id)
    user = make_user(org, name="王经理")
    db.session.commit()
    return user


def demand_form(**overrides) -> dict:
    data = {
        "title": "曲轴磨削质量在线检测", "description": "曲轴磨削后人工抽检，希望在线全检尺寸与表面缺陷。",
        "industry_id": term("industry", "C34").id, "city_id": term("city", "weifang").id,
        "chain_id": term("chain", "power_equipment").id, "stage_id": 0,
        "scenario_ids": [term("scenario", "online_inspection").id], "voucher_ids": [term("voucher", "model").id],
        "budget_min": "20", "budget_max": "60", "deadline": (date.today() + timedelta(days=30)).isoformat(),
        "visibility": "public", "pool_id": 0, "list_id": 0, "nonce": "n-1",
    }
    data.update(overrides)
    return data


def all_demands(db):
    from marketplace.demands.models import Demand

    return db.session.scalars(sa.select(Demand).order_by(Demand.id)).all()


def audit_actions(db) -> list[str]:
    from marketplace.audit.models import AuditEvent

    return [e.action for e in db.session.scalars(sa.select(AuditEvent).order_by(AuditEvent.id))]


def test_firm_posts_and_publishes_a_demand(client, db, firm):
    login(client, firm)
    response = client.post("/demands/new", data=demand_form(publish="1"))
    assert response.status_code == 302
    [demand] = all_demands(db)
    assert demand.status == "open" and demand.published_at is not None
    assert [t.code for t in demand.scenarios] == ["online_inspection"] and [t.code for t in demand.vouchers] == ["model"]
    assert demand.chain.code == "power_equipment" and demand.stage_id is None
    assert audit_actions(db) == ["demand.create", "demand.publish"]
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "曲轴磨削质量在线检测" in page and "需求已发布" in page


def test_saving_a_draft_then_publishing_it(client, db, firm):
    login(client, firm)
    client.post("/demands/new", data=demand_form(submit="1"))
    [demand] = all_demands(db)
    assert demand.status == "draft"
    client.post(f"/demands/{demand.id}/publish")
    db.session.refresh(demand)
    assert demand.status == "open"


def test_bad_input_keeps_what_was_typed_and_shows_errors_beside_fields(client, db, firm):
    login(client, firm)
    response = client.post("/demands/new", data=demand_form(
        title="", budget_min="80", budget_max="10", deadline=(date.today() - timedelta(days=1)).isoformat(), city_id=0))
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and not all_demands(db)
    assert "曲轴磨削后人工抽检" in html  # the description is kept
    for message in ("请输入标题", "预算上限不能低于预算下限", "截止日期不能早于今天", "请选择城市"):
        assert message in html


def test_an_unreadable_amount_gets_one_error_not_two(client, db, firm):
    login(client, firm)
    html = client.post("/demands/new", data=demand_form(budget_max="abc")).get_data(as_text=True)
    assert "不是有效的小数" in html and "请输入 0 到 1,000,000" not in html and not all_demands(db)


def test_pool_only_visibility_needs_a_pool(client, db, firm):
    login(client, firm)
    html = client.post("/demands/new", data=demand_form(visibility="pool")).get_data(as_text=True)
    assert "请选择可以查看此需求的资源池" in html and not all_demands(db)


def test_double_clicked_create_makes_one_demand(client, db, firm):
    login(client, firm)
    first = client.post("/demands/new", data=demand_form(publish="1", nonce="same"))
    second = client.post("/demands/new", data=demand_form(publish="1", nonce="same"))
    assert len(all_demands(db)) == 1
    assert second.status_code == 302 and second.headers["Location"] == first.headers["Location"]


def test_new_form_is_prefilled_with_the_firms_city_and_a_nonce(client, db, firm):
    login(client, firm)
    html = client.get("/demands/new").get_data(as_text=True)
    assert re.search(r'name="nonce" type="hidden" value="[^"]{10,}"', html)
    assert re.search(rf'<option selected value="{term("city", "weifang").id}">', html)


def test_edit_from_a_stale_page_is_refused_with_the_text_kept(client, db, firm):
    demand = make_demand(firm.org, created_by_id=firm.id)
    db.session.commit()
    login(client, firm)
    stale_version = demand.version
    client.post(f"/demands/{demand.id}/edit", data=demand_form(title="第一次修改", version=stale_version))
    db.session.refresh(demand)
    assert demand.title == "第一次修改" and demand.version == stale_version + 1

    response = client.post(f"/demands/{demand.id}/edit", data=demand_form(title="我在旧页面上写的标题", version=stale_version))
    html = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "我在旧页面上写的标题" in html and "其他人已保存" in html
    assert "请修改下方标出的字段" not in html  # no field is marked, so the page must not say so
    db.session.refresh(demand)
    assert demand.title == "第一次修改"
    # The re-rendered form carries the current version: saving again is a deliberate overwrite.
    assert f'name="version" type="hidden" value="{demand.version}"' in html


def test_cancel_needs_a_reason_and_keeps_the_demand(client, db, firm):
    demand = make_demand(firm.org)
    provider = make_org("provider")
    provider_user = make_user(provider)
    bid = make_bid(demand, provider)
    db.session.commit()
    login(client, firm)
    response = client.post(f"/demands/{demand.id}/cancel", data={"reason": "  "})
    assert response.status_code == 400 and "请说明原因" in response.get_data(as_text=True)
    client.post(f"/demands/{demand.id}/cancel", data={"reason": "预算调整，明年再做"})
    db.session.refresh(demand)
    db.session.refresh(bid)
    assert demand.status == "cancelled" and demand.cancel_reason == "预算调整，明年再做"
    assert bid.status == "declined" and bid.decline_reason == "预算调整，明年再做"
    from marketplace.notifications.models import Notification

    assert db.session.scalar(sa.select(Notification.kind).where(Notification.user_id == provider_user.id)) == "demand.cancelled"
    assert "demand.cancel" in audit_actions(db)
    # A cancelled demand can no longer be edited.
    assert client.get(f"/demands/{demand.id}/edit").status_code == 302


def test_cancel_page_is_not_offered_for_a_closed_demand(client, db, firm):
    demand = make_demand(firm.org, status="closed")
    db.session.commit()
    login(client, firm)
    response = client.get(f"/demands/{demand.id}/cancel")
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/demands/{demand.id}")
    assert "只有草稿或开放中的需求可以取消" in client.get(response.headers["Location"]).get_data(as_text=True)


def test_my_demands_dashboard_filters_by_status_and_counts_bids(client, db, firm):
    open_demand = make_demand(firm.org, title="开放的需求")
    make_demand(firm.org, title="草稿需求", status="draft")
    make_demand(make_org("manufacturer"), title="别人的需求")
    make_bid(open_demand, make_org("provider"))
    make_bid(open_demand, make_org("provider"), status="withdrawn")
    db.session.commit()
    login(client, firm)
    html = client.get("/demands/mine").get_data(as_text=True)
    assert "开放的需求" in html and "草稿需求" in html and "别人的需求" not in html
    assert re.search(r'#bids">1</a>', html)
    html = client.get("/demands/mine?status=draft").get_data(as_text=True)
    assert "草稿需求" in html and "开放的需求" not in html
    html = client.get("/demands/mine?q=开放").get_data(as_text=True)
    assert "开放的需求" in html and "草稿需求" not in html


def test_providers_cannot_open_the_firm_dashboard(client, db):
    provider_user = make_user(make_org("provider"))
    db.session.commit()
    login(client, provider_user)
    assert client.get("/demands/mine").status_code == 403
    assert client.get("/demands/new").status_code == 403


def test_demand_page_by_viewer(client, db, firm):
    demand = make_demand(firm.org)
    provider_user = make_user(make_org("provider", name="视觉科技"))
    bureau_user = make_user(make_org("bureau", city="weifang", credit_code=None))
    make_bid(demand, provider_user.org, approach="双相机加边缘盒")
    db.session.commit()

    login(client, firm)
    html = client.get(f"/demands/{demand.id}").get_data(as_text=True)
    assert 'data-testid="bids-side-by-side"' in html and "视觉科技" in html and "最匹配的服务商" in html
    client.post("/logout")

    login(client, bureau_user)
    html = client.get(f"/demands/{demand.id}").get_data(as_text=True)
    assert 'data-testid="bid-aggregate"' in html and "视觉科技" not in html and "最匹配的服务商" in html
    client.post("/logout")

    other_provider = make_user(make_org("provider"))
    db.session.commit()
    login(client, other_provider)
    html = client.get(f"/demands/{demand.id}").get_data(as_text=True)
    assert 'data-testid="bid-button"' in html and "视觉科技" not in html and "最匹配的服务商" not in html


def test_english_interface(client, db, firm):
    login(client, firm)
    client.post("/language", data={"locale": "en", "next": "/"})
    html = client.get("/demands/new").get_data(as_text=True)
    assert "New demand" in html and "Save and publish" in html



def test_every_page_renders_in_both_languages(client, db, firm):
    from marketplace.demands.models import DemandList

    demand_list = DemandList(title="清单", publisher_org_id=firm.org_id)
    db.session.add(demand_list)
    db.session.flush()
    demand = make_demand(firm.org, list_id=demand_list.id)
    make_demand(firm.org, title="未入清单的草稿", status="draft")
    provider_user = make_user(make_org("provider"))
    bid = make_bid(demand, provider_user.org)
    db.session.commit()
    firm_pages = ["/demands/mine", "/demands/new", f"/demands/{demand.id}", f"/demands/{demand.id}/edit",
                  f"/demands/{demand.id}/cancel", "/demands/lists/", "/demands/lists/new", f"/demands/lists/{demand_list.id}",
                  f"/demands/lists/{demand_list.id}/edit", f"/demands/lists/{demand_list.id}/import", "/bids/received",
                  f"/bids/{bid.id}", f"/bids/{bid.id}/decline"]
    provider_pages = ["/bids/mine", "/bids/invitations", f"/bids/{bid.id}", f"/bids/{bid.id}/edit", f"/demands/{demand.id}"]
    for user, pages in ((firm, firm_pages), (provider_user, provider_pages)):
        login(client, user)
        for locale in ("zh_CN", "en"):
            client.post("/language", data={"locale": locale, "next": "/"})
            for url in pages:
                response = client.get(url)
                assert response.status_code == 200, (url, locale)
                assert ('<html lang="en"' in response.get_data(as_text=True)) is (locale == "en"), (url, locale)
        client.post("/logout")
    html = client.get(f"/demands/lists/{demand_list.id}/edit")
    assert html.status_code == 302  # anonymous: to the login page


def test_my_demands_export_follows_the_filters_on_the_page(client, db, firm):
    make_demand(firm.org, "开放的需求")
    make_demand(firm.org, "草稿的需求", status="draft")
    db.session.commit()
    login(client, firm)
    html = client.get("/demands/mine?status=draft").get_data(as_text=True)
    assert "/demands/mine/export?status=draft" in html
    text = client.get("/demands/mine/export?status=draft&format=csv").data.decode("utf-8-sig")
    assert "草稿的需求" in text and "开放的需求" not in text
    everything = client.get("/demands/mine/export?format=csv").data.decode("utf-8-sig")
    assert "草稿的需求" in everything and "开放的需求" in everything


def _titles_newest_first(app) -> None:
    """"Newest first": published demands newest first, then the drafts (never published)."""
    from datetime import datetime

    from marketplace.extensions import db

    org = make_org("manufacturer", name="潍坊排序测试厂")
    user = make_user(org)
    make_demand(org, "草稿需求", status="draft")
    for title, day in (("较早的需求", 1), ("最新的需求", 3), ("中间的需求", 2)):
        make_demand(org, title).published_at = datetime(2026, 11, day)
    db.session.commit()
    client = app.test_client()
    login(client, user)
    html = client.get("/demands/mine?sort=newest").get_data(as_text=True)
    table = html.split('data-testid="my-demands"')[1].split("</table>")[0]
    assert re.findall(r'<a class="fw-semibold" href="[^"]+">([^<]+)</a>', table) == ["最新的需求", "中间的需求", "较早的需求", "草稿需求"]


def test_newest_first_puts_drafts_last(app, db):
    _titles_newest_first(app)


@pytest.mark.postgres
def test_newest_first_puts_drafts_last_on_postgres(pg_app):
    # PostgreSQL sorts NULLs first in a descending order unless told (its index is in the lists' order)
    _titles_newest_first(pg_app)

