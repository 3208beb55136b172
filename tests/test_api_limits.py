"""Per-token rate limits: 429 problem details with Retry-After; another token keeps its own allowance."""
from __future__ import annotations

import pytest

from tests.api_builders import token_for
from tests.conftest import base_config, make_org, make_user


@pytest.fixture
def app_config(tmp_path):
    return base_config(tmp_path, RATELIMIT_ENABLED=True, API_RATE_LIMIT="3 per minute", RATELIMIT_STORAGE_URI="memory://")


def test_a_token_over_its_limit_is_told_when_to_come_back(client, db):
    user = make_user(make_org("manufacturer"))
    db.session.commit()
    first, second = token_for(user), token_for(user)
    for _ in range(3):
        assert client.get("/api/v1/demands", headers=first).status_code == 200
    refused = client.get("/api/v1/demands", headers=first)
    assert refused.status_code == 429 and refused.content_type == "application/problem+json"
    assert int(refused.headers["Retry-After"]) > 0
    assert client.get("/api/v1/demands", headers=second).status_code == 200
