"""Per-token rate limits: 429 problem details with Retry-After; another token keeps its own allowance."""
from __future__ import annotations

import pytest

from tests.api_builders import token_for
from tests.conftest import base_config, make_org, make_user, require_env


@pytest.fixture(params=["memory", "redis"])
def app_config(request, tmp_path):
    """In one process (memory) and shared by every worker (Redis, as in production)."""
    storage = "memory://"
    if request.param == "redis":
        storage = require_env("TEST_REDIS_URL")  # keys are per token (new random ones here): nothing to clean up
    return base_config(tmp_path, RATELIMIT_ENABLED=True, API_RATE_LIMIT="3 per minute", RATELIMIT_STORAGE_URI=storage)


def test_a_token_over_its_limit_is_told_when_to_come_back(client, db):
    user = make_user(make_org("manufacturer"))
    db.session.commit()
    first, second = token_for(user), token_for(user)
    for url in ("/api/v1/demands", "/api/v1/offerings", "/api/v1/pools"):  # one allowance across the API
        assert client.get(url, headers=first).status_code == 200
    refused = client.get("/api/v1/taxonomies", headers=first)
    assert refused.status_code == 429 and refused.content_type == "application/problem+json"
    assert int(refused.headers["Retry-After"]) > 0
    assert client.get("/api/v1/demands", headers=second).status_code == 200


class TestWithCsrfOn:
    """As in production: CSRF protection is on for the pages; token requests to the API need none."""

    @pytest.fixture
    def app_config(self, tmp_path):
        return base_config(tmp_path, WTF_CSRF_ENABLED=True)

    def test_token_writes_need_no_csrf_token_and_cookie_writes_are_refused(self, client, db):
        from tests.conftest import csrf_token_from

        user = make_user(make_org("manufacturer"))
        db.session.commit()
        body = {"title": "焊缝检测", "description": "焊缝气孔在线检测。", "industry": "C34", "city": "weifang"}
        made = client.post("/api/v1/demands", json=body, headers=token_for(user))
        assert made.status_code == 201
        page = client.get("/login").get_data(as_text=True)
        client.post("/login", data={"email": user.email, "password": "correct horse battery staple",
                                    "csrf_token": csrf_token_from(page)})
        assert client.get("/account").status_code == 200  # logged in by cookie
        assert client.post("/api/v1/demands", json=body).status_code == 401
        # the token form on the account page is still CSRF-protected
        assert client.post("/account/tokens", data={"name": "x", "scopes": ["read"]}).status_code == 400
