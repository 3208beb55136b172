"""Webhooks: signed deliveries to a local HTTP server started by the test, logged with their answers."""
from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
import sqlalchemy as sa

from marketplace.webhooks import services
from marketplace.webhooks.models import WebhookDelivery
from tests.api_builders import token_for, world
from tests.conftest import base_config, make_org, make_user


@pytest.fixture
def app_config(tmp_path):
    return base_config(tmp_path, WEBHOOKS_ALLOW_LOCAL_HTTP=True)


class Receiver:
    def __init__(self, status=200):
        self.received: list[tuple[dict, bytes]] = []
        self.status = status
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.received.append((dict(self.headers), body))
                self.send_response(receiver.status)
                self.end_headers()
                self.wfile.write(b"thanks" if receiver.status < 300 else b"try later")

            def log_message(self, *args):
                pass

        self.server = HTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    server = Receiver()
    yield server
    server.close()


def register(client, user, url, events):
    answer = client.post("/api/v1/webhooks", json={"url": url, "events": events}, headers=token_for(user, ["webhooks:write"]))
    assert answer.status_code == 201, answer.json
    return answer.json


def test_a_firm_receives_a_signed_bid_received_delivery(client, db, receiver):
    w = world()
    hook = register(client, w.firm_user, receiver.url, ["bid.received"])
    third = make_user(make_org("provider", city="jinan"))
    db.session.commit()
    made = client.post(f"/api/v1/demands/{w.open_demand.id}/bids", json={"price": "30", "duration_days": 30, "approach": "方案"},
                       headers=token_for(third))
    assert made.status_code == 201
    assert len(receiver.received) == 1
    headers, body = receiver.received[0]
    assert headers["X-Marketplace-Event"] == "bid.received"
    assert services.verify(hook["secret"], headers["X-Marketplace-Signature"], body)
    assert not services.verify("whsec_wrong", headers["X-Marketplace-Signature"], body)
    assert not services.verify(hook["secret"], headers["X-Marketplace-Signature"], body, now=int(headers["X-Marketplace-Signature"][2:12]) + 3600)
    payload = json.loads(body)
    assert payload["data"]["demand_id"] == w.open_demand.id and payload["data"]["provider"]["name"] == third.org.name
    log = client.get(f"/api/v1/webhooks/{hook['id']}/deliveries", headers=token_for(w.firm_user, ["webhooks:read"])).json
    assert log["items"][0]["status"] == "delivered" and log["items"][0]["response_status"] == 200
    assert log["items"][0]["response_body"] == "thanks"


def test_the_provider_hears_of_the_decision_and_a_failed_delivery_is_logged_for_retry(client, db, app):
    failing = Receiver(status=503)
    try:
        w = world()
        register(client, w.provider_user, failing.url, ["bid.decided"])
        client.post(f"/api/v1/bids/{w.bid.id}/shortlist", json={}, headers=token_for(w.firm_user))
        assert len(failing.received) == 1
        assert json.loads(failing.received[0][1])["data"]["decision"] == "shortlisted"
        delivery = db.session.scalar(sa.select(WebhookDelivery))
        db.session.refresh(delivery)
        assert delivery.status == "failed" and delivery.attempts == 1 and delivery.response_status == 503
        assert delivery.response_body == "try later"
        # the queue keeps the job for a retry after its backoff; a retry that succeeds marks it delivered
        from marketplace.jobs import queue
        from marketplace.jobs.models import JobRun

        run = db.session.scalar(sa.select(JobRun).where(JobRun.name == "webhooks.deliver"))
        assert run.status == "queued" and run.attempts == 1 and run.run_after is not None
        failing.status = 200
        run.run_after = None  # the backoff has passed
        db.session.commit()
        queue.execute(app, run.id)
        db.session.expire_all()
        delivery = db.session.get(WebhookDelivery, delivery.id)
        assert delivery.status == "delivered" and delivery.attempts == 2
        assert db.session.get(JobRun, run.id).status == "done"
    finally:
        failing.close()


def test_only_https_addresses_and_owners_and_other_orgs_hooks_are_invisible(client, db, app):
    w = world()
    app.config["WEBHOOKS_ALLOW_LOCAL_HTTP"] = False
    refused = client.post("/api/v1/webhooks", json={"url": "http://example.com/h", "events": ["bid.received"]},
                          headers=token_for(w.firm_user))
    assert refused.status_code == 422 and refused.json["errors"][0]["field"] == "url"
    member = make_user(w.firm, org_role="member")
    db.session.commit()
    assert client.post("/api/v1/webhooks", json={"url": "https://example.com/h", "events": ["bid.received"]},
                       headers=token_for(member)).status_code == 403
    hook = register(client, w.firm_user, "https://example.com/h", ["bid.received"])
    assert client.get(f"/api/v1/webhooks/{hook['id']}/deliveries", headers=token_for(w.other_firm_user)).status_code == 404
    assert client.delete(f"/api/v1/webhooks/{hook['id']}", headers=token_for(w.other_firm_user)).status_code == 404
    assert client.delete(f"/api/v1/webhooks/{hook['id']}", headers=token_for(w.firm_user)).json["items"] == []


def test_invitations_and_application_decisions_reach_the_provider(client, db, receiver):
    from tests.conftest import login, make_application, make_demand

    w = world()
    register(client, w.provider_user, receiver.url, ["invitation.received", "application.decided"])
    application = make_application(w.pool, w.provider)
    db.session.commit()
    client.post(f"/api/v1/applications/{application.id}/decision", json={"decision": "reject", "reason": "案例不足"},
                headers=token_for(w.bureau_user))
    login(client, w.firm_user)  # invitations are made on the demand page
    client.post(f"/bids/demand/{w.open_demand.id}/invite", data={"provider_org_id": str(w.provider.id), "message": "欢迎投标"})
    events = [(h["X-Marketplace-Event"], json.loads(b)["data"]) for h, b in receiver.received]
    assert [e for e, _ in events] == ["application.decided"]  # the provider already bid: no invitation
    assert events[0][1]["decision"] == "rejected" and events[0][1]["reason"] == "案例不足"
    other_demand = make_demand(w.firm, title="第二个需求")
    db.session.commit()
    client.post(f"/bids/demand/{other_demand.id}/invite", data={"provider_org_id": str(w.provider.id), "message": "欢迎投标"})
    assert receiver.received[-1][0]["X-Marketplace-Event"] == "invitation.received"
    assert json.loads(receiver.received[-1][1])["data"]["message"] == "欢迎投标"


def test_owners_add_and_remove_webhooks_on_the_account_page(client, db, receiver):
    from tests.conftest import login

    w = world()
    login(client, w.firm_user)
    page = client.post("/account/webhooks/", data={"url": receiver.url, "events": ["bid.received"], "min_score": "0.5"})
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    secret = html.split('data-testid="webhook-secret">')[1].split("<")[0]
    assert secret.startswith("whsec_") and secret not in client.get("/account/webhooks/").get_data(as_text=True)
    third = make_user(make_org("provider", city="jinan"))
    db.session.commit()
    client.application.test_client().post(f"/api/v1/demands/{w.open_demand.id}/bids", headers=token_for(third),
                                          json={"price": "30", "duration_days": 30, "approach": "方案"})
    assert services.verify(secret, receiver.received[0][0]["X-Marketplace-Signature"], receiver.received[0][1])
    assert 'data-testid="delivery"' in client.get("/account/webhooks/").get_data(as_text=True)
    refused = client.post("/account/webhooks/", data={"url": "ftp://x", "events": ["bid.received"], "min_score": "0.5"})
    assert refused.status_code == 400 and "https://" in refused.get_data(as_text=True)
    endpoint_id = db.session.scalar(sa.select(WebhookDelivery.endpoint_id))
    client.post(f"/account/webhooks/{endpoint_id}/delete")
    assert "还没有 Webhook。" in client.get("/account/webhooks/").get_data(as_text=True)
