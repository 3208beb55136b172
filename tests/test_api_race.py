"""Two creates sent at the same moment with the same Idempotency-Key make one demand (PostgreSQL)."""
import threading

import sqlalchemy as sa

from marketplace.demands.models import Demand
from marketplace.extensions import db
from tests.api_builders import token_for
from tests.conftest import make_org, make_user


def test_simultaneous_retries_with_one_idempotency_key_make_one_demand(pg_app):
    user = make_user(make_org("manufacturer"))
    db.session.commit()
    headers = {**token_for(user), "Idempotency-Key": "retry-1"}
    body = {"title": "并发创建", "description": "同一个请求被重试两次。", "industry": "C34", "city": "weifang"}
    barrier = threading.Barrier(2)
    statuses: list[int] = []
    ids: list[int] = []

    def create() -> None:
        client = pg_app.test_client()
        barrier.wait()
        answer = client.post("/api/v1/demands", json=body, headers=headers)
        statuses.append(answer.status_code)
        if answer.status_code == 201:
            ids.append(answer.json["id"])

    threads = [threading.Thread(target=create) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(statuses) in ([201, 201], [201, 409])
    assert len(set(ids)) == 1  # a replay names the same demand
    assert db.session.scalar(sa.select(sa.func.count(Demand.id)).where(Demand.title == "并发创建")) == 1
