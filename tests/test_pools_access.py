"""Access matrix of the pool management pages: only the bureau that runs a pool (and admins) reach them."""
from __future__ import annotations

import pytest

from tests.conftest import login, make_application, make_org, make_pool, make_user


@pytest.fixture
def world(db):
    zibo = make_org("bureau", "淄博市工信局", city="zibo")
    weifang = make_org("bureau", "潍坊市工信局", city="weifang")
    provider = make_org("provider", "鲁智科技")
    firm = make_org("manufacturer", "潍柴配套厂")
    users = {
        "owner": make_user(zibo), "other_bureau": make_user(weifang), "provider": make_user(provider),
        "firm": make_user(firm), "admin": make_user(None, is_admin=True),
    }
    pool = make_pool(zibo)
    draft = make_pool(zibo, name="草稿池", status="draft")
    application = make_application(pool, provider)
    db.session.commit()
    return {"users": users, "pool": pool, "draft": draft, "application": application}


def pages(w):
    p, a = w["pool"].id, w["application"].id
    return {
        "overview": f"/pools/{p}/manage", "edit": f"/pools/{p}/edit", "queue": f"/pools/{p}/applications",
        "members": f"/pools/{p}/members", "notice": f"/pools/{p}/notice", "review": f"/pools/applications/{a}",
    }


EXPECTED = {
    # role: status for the pool pages, for the review page (applications are private: 404 to other bureaus)
    "owner": (200, 200),
    "admin": (200, 200),
    "other_bureau": (403, 404),
    "provider": (403, 403),
    "firm": (403, 403),
}


@pytest.mark.parametrize("role", list(EXPECTED))
def test_management_pages_by_role(client, world, role):
    login(client, world["users"][role])
    pool_status, review_status = EXPECTED[role]
    for name, url in pages(world).items():
        expected = review_status if name == "review" else pool_status
        assert client.get(url).status_code == expected, (role, name)


@pytest.mark.parametrize("role", ["other_bureau", "provider", "firm"])
def test_others_cannot_decide_or_change_the_pool(client, world, role, db):
    login(client, world["users"][role])
    application, pool = world["application"], world["pool"]
    decision = client.post(f"/pools/applications/{application.id}/decision",
                           data={"decision": "admit", "version": application.version})
    assert decision.status_code in (403, 404)
    assert client.post(f"/pools/applications/{application.id}/scores", data={"version": application.version}).status_code in (403, 404)
    assert client.post(f"/pools/{pool.id}/applications/admit", data={"batch": "x", "application_ids": [application.id]}).status_code == 403
    assert client.post(f"/pools/{pool.id}/call/close", data={"version": pool.version}).status_code == 403
    db.session.refresh(application)
    db.session.refresh(pool)
    assert application.status == "submitted" and pool.status == "open"


def test_other_bureau_does_not_see_draft_pools(client, world):
    login(client, world["users"]["other_bureau"])
    assert client.get(f"/pools/{world['draft'].id}/manage").status_code == 404
    assert client.get(f"/pools/{world['draft'].id}").status_code == 404
    listing = client.get("/pools/manage").get_data(as_text=True)
    assert world["pool"].name not in listing


def test_anonymous_is_sent_to_login(client, world):
    for url in pages(world).values():
        response = client.get(url)
        assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert client.get("/pools/manage").status_code == 302
    assert client.get("/pools/").status_code == 200  # the public list is public


def test_providers_and_firms_cannot_create_pools(client, world):
    for role in ("provider", "firm"):
        login(client, world["users"][role])
        assert client.get("/pools/new").status_code == 403
        assert client.get("/pools/manage").status_code == 403
        client.post("/logout")


def test_unknown_ids_are_404(client, world):
    login(client, world["users"]["owner"])
    assert client.get("/pools/99999/manage").status_code == 404
    assert client.get("/pools/applications/99999").status_code == 404
    assert client.post(f"/pools/{world['pool'].id}/call/explode").status_code == 404
