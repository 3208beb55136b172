"""Demand lists through the API: create, publish, and a spreadsheet import (start → poll → confirm, once)."""
from __future__ import annotations

import base64

import sqlalchemy as sa

from marketplace.demands.models import Demand
from tests.api_builders import token_for
from tests.conftest import make_org, make_user
from tests.test_import import GOOD, csv_bytes


def test_import_a_list_through_the_api(client, db):
    user = make_user(make_org("manufacturer"))
    db.session.commit()
    headers = token_for(user)
    made = client.post("/api/v1/demand-lists", json={"title": "2026 需求清单", "chain": "power_equipment"}, headers=headers)
    assert made.status_code == 201, made.json
    assert made.json["chain"]["code"] == "power_equipment"
    list_id = made.json["id"]
    bad = list(GOOD)
    bad[0] = ""
    content = base64.b64encode(csv_bytes([GOOD, bad], "utf-8")).decode()
    started = client.post(f"/api/v1/demand-lists/{list_id}/imports", json={"filename": "清单.csv", "content_base64": content},
                          headers=headers)
    assert started.status_code == 202, started.json
    state = started.json  # the tests run jobs at once: the check has already run
    assert state["status"] == "ready" and state["valid_rows"] == 1 and state["errors"][0]["line"] == 3
    assert client.get(started.headers["Location"], headers=headers).json["status"] == "ready"
    other = token_for(make_user(make_org("manufacturer")))
    assert client.get(started.headers["Location"], headers=other).status_code == 404  # another firm's list: a draft

    confirm = f"/api/v1/demand-lists/{list_id}/imports/{state['token']}/confirm"
    done = client.post(confirm, json={"publish": False}, headers=headers)
    assert done.status_code == 202 and done.json["status"] == "done" and done.json["done"] == 1
    assert client.post(confirm, json={"publish": False}, headers=headers).status_code == 409  # imported once
    assert db.session.scalar(sa.select(sa.func.count(Demand.id)).where(Demand.list_id == list_id)) == 1
    published = client.post(f"/api/v1/demand-lists/{list_id}/publish", json={}, headers=headers)
    assert published.json["status"] == "published" and len(published.json["demand_ids"]) == 1
    assert client.get(f"/api/v1/demand-lists/{list_id}").json["demand_ids"] == published.json["demand_ids"]


def test_a_file_that_is_not_a_spreadsheet_is_refused(client, db):
    user = make_user(make_org("manufacturer"))
    db.session.commit()
    headers = token_for(user)
    list_id = client.post("/api/v1/demand-lists", json={"title": "清单"}, headers=headers).json["id"]
    answer = client.post(f"/api/v1/demand-lists/{list_id}/imports", json={"filename": "x.csv", "content_base64": "***"},
                         headers=headers)
    assert answer.status_code == 422 and answer.json["errors"][0]["field"] == "content_base64"
    refused = client.post(f"/api/v1/demand-lists/{list_id}/imports",
                          json={"filename": "x.txt", "content_base64": base64.b64encode(b"a,b\n").decode()}, headers=headers)
    assert refused.status_code == 202 and refused.json["status"] == "refused" and refused.json["message"]
