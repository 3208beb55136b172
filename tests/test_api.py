"""JSON API v1: tokens, the same access rules as the pages, writes through the services, problem details."""
from __future__ import annotations

import sqlalchemy as sa
import pytest

from marketplace.api.models import ApiToken
from marketplace.audit.models import AuditEvent
from marketplace.demands.models import Demand
from tests.api_builders import token_for, world
from tests.conftest import login, make_application, make_org, make_user

PROBLEM = "application/problem+json"


def new_demand(**fields):
    body = {"title": "焊缝缺陷检测", "description": "焊接后人工抽检，希望在线检测焊缝气孔。", "industry": "C34",
            "city": "weifang", "scenarios": ["online_inspection"], "budget_min": "10", "budget_max": "40"}
    body.update(fields)
    return body


# ---------------------------------------------------------------- tokens

def test_token_is_shown_once_stored_hashed_and_revocable_on_the_account_page(client, db):
    user = make_user(make_org("manufacturer"))
    db.session.commit()
    login(client, user)
    page = client.post("/account/tokens", data={"name": "CRM sync", "scopes": ["read", "demands:write"]})
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    secret = html.split('data-testid="new-token">')[1].split("<")[0]
    assert secret.startswith("mkt_")
    token = db.session.scalar(sa.select(ApiToken))
    assert token.token_hash != secret and secret not in token.token_hash and token.scopes == ["read", "demands:write"]
    assert secret not in client.get("/account/tokens").get_data(as_text=True)  # shown once

    api = client.application.test_client()  # no cookie: the token alone
    assert api.get("/api/v1/notifications", headers={"Authorization": f"Bearer {secret}"}).status_code == 200
    db.session.refresh(token)
    assert token.last_used_at is not None
    assert "CRM sync" in client.get("/account/tokens").get_data(as_text=True)

    client.post(f"/account/tokens/{token.id}/revoke")
    answer = api.get("/api/v1/notifications", headers={"Authorization": f"Bearer {secret}"})
    assert answer.status_code == 401 and answer.content_type == PROBLEM
    assert answer.headers["WWW-Authenticate"].startswith("Bearer")


def test_someone_elses_token_cannot_be_revoked(client, db):
    owner, other = make_user(make_org("manufacturer")), make_user(make_org("manufacturer"))
    token_for(owner)
    db.session.commit()
    token = db.session.scalar(sa.select(ApiToken))
    login(client, other)
    assert client.post(f"/account/tokens/{token.id}/revoke").status_code == 404
    assert db.session.get(ApiToken, token.id).revoked_at is None


def test_scopes_refuse_what_the_token_was_not_given(client, db):
    w = world()
    read_only = token_for(w.firm_user, ["read"])
    bids_only = token_for(w.firm_user, ["bids:read"])
    refused = client.post("/api/v1/demands", json=new_demand(), headers=read_only)
    assert refused.status_code == 403 and refused.content_type == PROBLEM and "demands:write" in refused.json["detail"]
    assert client.get("/api/v1/demands", headers=bids_only).status_code == 403
    assert client.get(f"/api/v1/demands/{w.open_demand.id}/bids", headers=bids_only).status_code == 200
    assert db.session.scalar(sa.select(sa.func.count(Demand.id)).where(Demand.title == "焊缝缺陷检测")) == 0


# ---------------------------------------------------------------- the access matrix through the API

def test_anonymous_callers_see_what_an_anonymous_browser_sees(client, db):
    w = world()
    listed = client.get("/api/v1/demands").json
    assert [d["id"] for d in listed["items"]] == [w.open_demand.id]
    browse = client.get("/demands/").get_data(as_text=True)
    assert w.open_demand.title in browse and w.draft.title not in browse
    assert client.get(f"/api/v1/demands/{w.draft.id}").status_code == 404
    assert client.get(f"/api/v1/bids/{w.bid.id}").status_code == 401
    assert client.get(f"/api/v1/demands/{w.open_demand.id}/bids").status_code == 403
    assert client.post("/api/v1/demands", json=new_demand()).status_code == 401


def test_another_firms_draft_is_invisible_and_its_demand_unchangeable(client, db):
    w = world()
    headers = token_for(w.other_firm_user)
    assert client.get(f"/api/v1/demands/{w.draft.id}", headers=headers).status_code == 404
    assert w.draft.id not in [d["id"] for d in client.get("/api/v1/demands?status=draft", headers=headers).json["items"]]
    etag = client.get(f"/api/v1/demands/{w.open_demand.id}", headers=headers).headers["ETag"]
    changed = client.patch(f"/api/v1/demands/{w.open_demand.id}", json={"title": "改掉"},
                           headers={**headers, "If-Match": etag})
    assert changed.status_code == 403 and changed.content_type == PROBLEM
    assert client.post(f"/api/v1/demands/{w.draft.id}/publish", json={}, headers=headers).status_code == 404
    mine = client.get("/api/v1/demands?mine=true", headers=headers).json["items"]
    assert [d["id"] for d in mine] == [w.other_draft.id]


def test_another_providers_bid_is_invisible_and_the_firm_sees_both(client, db):
    w = world()
    provider = token_for(w.provider_user)
    assert client.get(f"/api/v1/bids/{w.other_bid.id}", headers=provider).status_code == 404
    assert client.get(f"/api/v1/bids/{w.bid.id}", headers=provider).status_code == 200
    assert [b["id"] for b in client.get("/api/v1/bids", headers=provider).json["items"]] == [w.bid.id]
    assert client.get(f"/api/v1/demands/{w.open_demand.id}/bids", headers=provider).status_code == 403
    assert client.post(f"/api/v1/bids/{w.other_bid.id}/withdraw", json={}, headers=provider).status_code == 404
    # the provider cannot decide on its own bid: that is the firm's
    assert client.post(f"/api/v1/bids/{w.bid.id}/award", json={}, headers=provider).status_code == 403
    firm = token_for(w.firm_user)
    ids = {b["id"] for b in client.get(f"/api/v1/demands/{w.open_demand.id}/bids", headers=firm).json["items"]}
    assert ids == {w.bid.id, w.other_bid.id}


def test_a_bureaus_review_queue_is_its_own(client, db):
    w = world()
    application = make_application(w.pool, w.provider)
    other_bureau = make_user(make_org("bureau", city="jinan"))
    db.session.commit()
    queue = client.get(f"/api/v1/pools/{w.pool.id}/applications", headers=token_for(w.bureau_user))
    assert [a["id"] for a in queue.json["items"]] == [application.id]
    assert client.get(f"/api/v1/pools/{w.pool.id}/applications", headers=token_for(other_bureau)).status_code == 403
    assert client.get(f"/api/v1/pools/{w.pool.id}/applications", headers=token_for(w.provider_user)).status_code == 403
    assert client.get(f"/api/v1/applications/{application.id}", headers=token_for(w.other_provider_user)).status_code == 404
    mine = client.get("/api/v1/applications", headers=token_for(w.provider_user)).json["items"]
    assert [a["id"] for a in mine] == [application.id]


def test_the_bureau_decides_an_application_and_a_reason_is_required_to_reject(client, db):
    w = world()
    application = make_application(w.pool, w.provider)
    db.session.commit()
    headers = token_for(w.bureau_user)
    no_reason = client.post(f"/api/v1/applications/{application.id}/decision", json={"decision": "reject"}, headers=headers)
    assert no_reason.status_code == 422 and no_reason.json["errors"][0]["field"] == "reason"
    rejected = client.post(f"/api/v1/applications/{application.id}/decision",
                           json={"decision": "reject", "reason": "案例不足"}, headers=headers)
    assert rejected.status_code == 200 and rejected.json["status"] == "rejected"


# ---------------------------------------------------------------- writes

def test_create_edit_publish_and_cancel_a_demand(client, db):
    w = world()
    headers = token_for(w.firm_user)
    created = client.post("/api/v1/demands", json=new_demand(), headers=headers)
    assert created.status_code == 201, created.json
    demand = created.json
    assert demand["status"] == "draft" and demand["industry"]["code"] == "C34" and demand["budget_max"] == "40.00"
    assert created.headers["Location"].endswith(f"/api/v1/demands/{demand['id']}")
    etag = created.headers["ETag"]

    missing = client.patch(f"/api/v1/demands/{demand['id']}", json={"title": "新标题"}, headers=headers)
    assert missing.status_code == 428
    edited = client.patch(f"/api/v1/demands/{demand['id']}", json={"title": "新标题"}, headers={**headers, "If-Match": etag})
    assert edited.status_code == 200 and edited.json["title"] == "新标题" and edited.json["description"] == demand["description"]
    stale = client.patch(f"/api/v1/demands/{demand['id']}", json={"title": "旧页面"}, headers={**headers, "If-Match": etag})
    assert stale.status_code == 412 and stale.content_type == PROBLEM
    assert db.session.get(Demand, demand["id"]).title == "新标题"

    published = client.post(f"/api/v1/demands/{demand['id']}/publish", json={}, headers=headers)
    assert published.json["status"] == "open"
    again = client.post(f"/api/v1/demands/{demand['id']}/publish", json={}, headers=headers)
    assert again.status_code == 409 and again.content_type == PROBLEM
    no_reason = client.post(f"/api/v1/demands/{demand['id']}/cancel", json={"reason": " "}, headers=headers)
    assert no_reason.status_code == 422
    cancelled = client.post(f"/api/v1/demands/{demand['id']}/cancel", json={"reason": "预算取消"}, headers=headers)
    assert cancelled.json["status"] == "cancelled"


def test_the_pages_rules_apply_through_the_api(client, db):
    w = world()
    headers = token_for(w.firm_user)
    answer = client.post("/api/v1/demands", json=new_demand(budget_min="50", budget_max="10", city="atlantis",
                                                            deadline="2000-01-01"), headers=headers)
    assert answer.status_code == 422
    fields = {e["field"] for e in answer.json["errors"]}
    assert fields == {"city"}  # unknown codes are refused first
    answer = client.post("/api/v1/demands", json=new_demand(budget_min="50", budget_max="10", deadline="2000-01-01"),
                         headers=headers)
    assert {e["field"] for e in answer.json["errors"]} == {"budget_max", "deadline"}
    assert client.post("/api/v1/demands", json=new_demand(), headers=token_for(w.provider_user)).status_code == 403


def test_a_retried_create_with_the_same_idempotency_key_returns_the_first_result(client, db):
    w = world()
    headers = {**token_for(w.firm_user), "Idempotency-Key": "crm-42"}
    first = client.post("/api/v1/demands", json=new_demand(), headers=headers)
    second = client.post("/api/v1/demands", json=new_demand(), headers=headers)
    assert first.status_code == second.status_code == 201
    assert first.json["id"] == second.json["id"] and second.headers["Idempotent-Replayed"] == "true"
    assert db.session.scalar(sa.select(sa.func.count(Demand.id)).where(Demand.title == "焊缝缺陷检测")) == 1
    different = client.post("/api/v1/demands", json=new_demand(title="别的"), headers=headers)
    assert different.status_code == 422


def test_bids_submit_edit_withdraw_and_the_firms_decisions(client, db):
    w = world()
    provider = token_for(w.provider_user)
    demand = w.open_demand
    twice = client.post(f"/api/v1/demands/{demand.id}/bids", json={"price": "25", "duration_days": 60, "approach": "方案"},
                        headers=provider)
    assert twice.status_code == 409  # already has a live bid
    etag = client.get(f"/api/v1/bids/{w.bid.id}", headers=provider).headers["ETag"]
    edited = client.patch(f"/api/v1/bids/{w.bid.id}", json={"price": "28.5"}, headers={**provider, "If-Match": etag})
    assert edited.status_code == 200 and edited.json["price"] == "28.50"
    bad = client.patch(f"/api/v1/bids/{w.bid.id}", json={"duration_days": 0}, headers={**provider, "If-Match": edited.headers["ETag"]})
    assert bad.status_code == 422 and bad.json["errors"][0]["field"] == "duration_days"

    firm = token_for(w.firm_user)
    assert client.post(f"/api/v1/bids/{w.bid.id}/shortlist", json={}, headers=firm).json["status"] == "shortlisted"
    stale = client.post(f"/api/v1/bids/{w.other_bid.id}/award", json={}, headers={**firm, "If-Match": '"bid-1-v0"'})
    assert stale.status_code == 412
    assert client.post(f"/api/v1/bids/{w.other_bid.id}/decline", json={"reason": "价格高"}, headers=firm).json["status"] == "declined"
    awarded = client.post(f"/api/v1/bids/{w.bid.id}/award", json={}, headers=firm)
    assert awarded.json["status"] == "awarded"
    assert client.get(f"/api/v1/demands/{demand.id}", headers=firm).json["status"] == "awarded"
    assert client.post(f"/api/v1/bids/{w.bid.id}/withdraw", json={}, headers=provider).status_code == 409


def test_a_new_bid_from_a_provider_without_one(client, db):
    w = world()
    third = make_user(make_org("provider", city="jinan"))
    db.session.commit()
    made = client.post(f"/api/v1/demands/{w.open_demand.id}/bids",
                       json={"price": 30, "duration_days": 45, "approach": "两台相机"}, headers=token_for(third))
    assert made.status_code == 201 and made.json["status"] == "submitted"


def test_every_write_is_audited_with_the_tokens_id(client, db):
    w = world()
    headers = token_for(w.firm_user)
    token = db.session.scalar(sa.select(ApiToken).where(ApiToken.user_id == w.firm_user.id))
    demand_id = client.post("/api/v1/demands", json=new_demand(), headers=headers).json["id"]
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "demand.create",
                                                          AuditEvent.object_id == demand_id))
    assert event.detail["api_token_id"] == token.id and event.actor_user_id == w.firm_user.id


def test_a_browser_session_cookie_cannot_write_through_the_api(client, db):
    w = world()
    login(client, w.firm_user)  # the cookie is there, CSRF is on in production; the API ignores the cookie
    answer = client.post("/api/v1/demands", json=new_demand())
    assert answer.status_code == 401
    assert client.get(f"/api/v1/demands/{w.draft.id}").status_code == 404  # reads are anonymous too


# ---------------------------------------------------------------- bad input

@pytest.mark.parametrize("send, status", [
    (dict(data="{not json", content_type="application/json"), 400),
    (dict(data="title=x", content_type="application/x-www-form-urlencoded"), 415),
    (dict(json={"title": 5, "description": "d", "industry": "C34", "city": "weifang"}), 422),
    (dict(json={**new_demand(), "colour": "red"}), 422),
    (dict(json=new_demand(title="a\u0000b")), 422),
    (dict(json=[1, 2]), 422),
    (dict(data="{" + '"title": "' + "x" * 70000 + '"}', content_type="application/json"), 413),
])
def test_bad_bodies_get_problem_details(client, db, send, status):
    w = world()
    answer = client.post("/api/v1/demands", headers=token_for(w.firm_user), **send)
    assert answer.status_code == status, answer.data[:300]
    assert answer.content_type == PROBLEM and answer.json["status"] == status and answer.json["detail"]


def test_bad_cursors_and_addresses_get_problem_details(client, db):
    world()
    for url, status in (("/api/v1/demands?cursor=bad!", 400), ("/api/v1/demands?limit=0", 422),
                        ("/api/v1/demands/abc", 404), ("/api/v1/nowhere", 404), ("/api/v1/demands?q=%00", 400), ("/api/v1/taxonomies/a%00b", 400)):
        answer = client.get(url)
        assert answer.status_code == status and answer.content_type == PROBLEM, url
    assert client.delete("/api/v1/demands").status_code == 405


def test_cursor_pagination_walks_every_demand_once(client, db):
    w = world()
    from tests.conftest import make_demand

    for n in range(5):
        make_demand(w.firm, title=f"需求{n}")
    db.session.commit()
    seen, url = [], "/api/v1/demands?limit=2"
    while url:
        body = client.get(url).json
        seen += [d["id"] for d in body["items"]]
        url = f"/api/v1/demands?limit=2&cursor={body['next_cursor']}" if body["next_cursor"] else None
    assert len(seen) == len(set(seen)) == 6
    assert client.get(f"/api/v1/demands?limit=2&sort=budget&cursor={client.get('/api/v1/demands?limit=2').json['next_cursor']}").status_code == 400


def test_messages_follow_accept_language(client, db):
    zh = client.get("/api/v1/demands/999", headers={"Accept-Language": "zh-CN"}).json
    en = client.get("/api/v1/demands/999", headers={"Accept-Language": "en"}).json
    assert en["title"] == "Not found" and zh["title"] != en["title"]


def test_the_taxonomies_and_notifications(client, db):
    w = world()
    kinds = client.get("/api/v1/taxonomies").json["kinds"]
    assert "city" in kinds and "scenario" in kinds
    cities = client.get("/api/v1/taxonomies/city", headers={"Accept-Language": "en"}).json["items"]
    assert {"code": "weifang"}.items() <= next(c for c in cities if c["code"] == "weifang").items()
    assert client.get("/api/v1/taxonomies/nothing").status_code == 404
    client.post(f"/api/v1/demands/{w.open_demand.id}/cancel", json={"reason": "不做了"}, headers=token_for(w.firm_user))
    provider = token_for(w.provider_user)
    inbox = client.get("/api/v1/notifications?unread=true", headers={**provider, "Accept-Language": "en"}).json["items"]
    assert inbox[0]["kind"] == "demand.cancelled" and "不做了" in inbox[0]["text"] and not inbox[0]["read"]
    assert client.post("/api/v1/notifications/read", json={}, headers=provider).json == {"marked": len(inbox)}
    assert client.get("/api/v1/notifications?unread=true", headers=provider).json["items"] == []
    assert client.get("/api/v1/notifications").status_code == 401


def test_openapi_document_and_docs_page(client, db):
    spec = client.get("/api/v1/openapi.json").json
    assert spec["openapi"].startswith("3.1")
    assert "/api/v1/demands/{demand_id}" in spec["paths"] and "/api/v1/ocds/releases" in spec["paths"]
    page = client.get("/developers/api").get_data(as_text=True)
    assert "swagger-ui-bundle.js" in page and "cdn" not in page.lower() and "<script>" not in page


def test_a_provider_creates_edits_publishes_an_offering_and_adds_a_case_study(client, db):
    w = world()
    headers = token_for(w.provider_user)
    made = client.post("/api/v1/offerings", json={"title": "能耗优化平台", "description": "空压站与锅炉的能耗优化。",
                                                  "scenarios": ["energy_optimization"], "price_min": 5, "price_max": 2},
                       headers=headers)
    assert made.status_code == 422 and made.json["errors"][0]["field"] == "price_max"
    made = client.post("/api/v1/offerings", json={"title": "能耗优化平台", "description": "空压站与锅炉的能耗优化。",
                                                  "scenarios": ["online_inspection"], "industries": ["C26"]}, headers=headers)
    assert made.status_code == 201, made.json
    offering = made.json
    assert offering["status"] == "draft" and offering["industries"][0]["code"] == "C26"
    assert client.get(f"/api/v1/offerings/{offering['id']}").status_code == 404  # a draft: not for the public
    edited = client.patch(f"/api/v1/offerings/{offering['id']}", json={"summary": "节能 10%"},
                          headers={**headers, "If-Match": made.headers["ETag"]})
    assert edited.status_code == 200 and edited.json["summary"] == "节能 10%"
    case = client.post(f"/api/v1/offerings/{offering['id']}/case-studies",
                       json={"title": "某化工厂", "problem": "能耗高", "result": "节能 12%", "year": 2025}, headers=headers)
    assert case.status_code == 201 and case.json["case_studies"][0]["result"] == "节能 12%"
    assert client.post(f"/api/v1/offerings/{offering['id']}/publish", json={}, headers=headers).json["status"] == "published"
    assert client.get(f"/api/v1/offerings/{offering['id']}").status_code == 200
    other = token_for(w.other_provider_user)
    assert client.post(f"/api/v1/offerings/{offering['id']}/unpublish", json={}, headers=other).status_code == 403
    assert client.post("/api/v1/offerings", json={"title": "x", "description": "y", "scenarios": []},
                       headers=token_for(w.firm_user)).status_code == 403


def test_a_token_needs_a_name_and_a_scope(client, db):
    user = make_user(make_org("provider"))
    db.session.commit()
    login(client, user)
    page = client.post("/account/tokens", data={"name": "CRM"})
    assert page.status_code == 400 and "请至少选择一项权限范围" in page.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count(ApiToken.id))) == 0


def test_idempotent_answers_are_forgotten_after_a_day(client, db):
    from datetime import timedelta

    from marketplace.api.models import IdempotentRequest
    from marketplace.api.tasks import prune_idempotent_requests

    w = world()
    client.post("/api/v1/demands", json=new_demand(), headers={**token_for(w.firm_user), "Idempotency-Key": "k1"})
    stored = db.session.scalar(sa.select(IdempotentRequest))
    assert prune_idempotent_requests() == 0
    stored.created_at -= timedelta(hours=25)
    db.session.commit()
    assert prune_idempotent_requests() == 1
