"""Races and lost connections never end in a 500 or a misreported write (issue 9 item 7).
Run on PostgreSQL, each request on its own thread and connection."""
import threading

import pytest
import sqlalchemy as sa

from marketplace.orgs.credit_code import complete
from tests.conftest import login, make_org, make_user, term
from tests.test_once import count, demand_data, token_from

pytestmark = pytest.mark.postgres


def at_once(app, requests: list) -> list:
    """Run (client, method, url, data) requests at the same moment; return the responses in order."""
    barrier = threading.Barrier(len(requests))
    responses = [None] * len(requests)

    def send(i, client, method, url, data):
        barrier.wait()
        responses[i] = getattr(client, method)(url, data=data)

    threads = [threading.Thread(target=send, args=(i, *r)) for i, r in enumerate(requests)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return responses


def signed_in_copy(app, client):
    other = app.test_client()
    other.set_cookie("session", client.get_cookie("session").value)
    return other


def test_two_owners_adding_the_same_email_at_once_get_a_form_error_not_a_500(pg_app):
    from marketplace.auth.models import User
    from marketplace.extensions import db

    owners = [make_user(make_org("provider")) for _ in range(2)]
    db.session.commit()
    clients = []
    for owner in owners:
        client = pg_app.test_client()
        login(client, owner)
        clients.append(client)
    data = {"name": "李工", "email": "li@example.com", "password": "质检数据要留存2026", "confirm": "质检数据要留存2026",
            "org_role": "member"}
    responses = at_once(pg_app, [(c, "post", "/account/members", data) for c in clients])
    assert sorted(r.status_code for r in responses) == [200, 302]
    refused = next(r for r in responses if r.status_code == 200).get_data(as_text=True)
    assert "该邮箱已注册账户" in refused
    assert count(User, User.email == "li@example.com") == 1


def test_two_registrations_with_the_same_email_at_once_get_a_form_error_not_a_500(pg_app):
    from marketplace.auth.models import User

    def form(code):
        return {"org_kind": "manufacturer", "org_name": "潍坊示例铸造有限公司", "credit_code": complete(code),
                "city_id": str(term("city", "weifang").id), "industry_id": str(term("industry", "C33").id),
                "size": "small", "name": "王经理", "email": "owner@example.com", "password": "铸件砂眼必须解决2026",
                "confirm": "铸件砂眼必须解决2026"}

    responses = at_once(pg_app, [(pg_app.test_client(), "post", "/register", form(code))
                                 for code in ("91370700MA3C5FJK0", "91370700MA3C5FJK1")])
    assert sorted(r.status_code for r in responses) == [200, 302]
    assert "owner@example.com" in next(r for r in responses if r.status_code == 200).get_data(as_text=True)
    assert count(User, User.email == "owner@example.com") == 1


@pytest.fixture
def reply_lost_after_commit(monkeypatch):
    """The next COMMIT reaches the server and is applied, but the connection dies before the reply arrives."""
    import psycopg

    real_commit = psycopg.Connection.commit
    state = {"armed": False, "fired": 0}

    def commit(self):
        real_commit(self)
        if state["armed"]:
            state["armed"] = False
            state["fired"] += 1
            self.close()
            raise psycopg.OperationalError("consuming input failed: server closed the connection unexpectedly")

    monkeypatch.setattr(psycopg.Connection, "commit", commit)
    return state


def test_a_write_saved_before_the_connection_died_is_reported_as_saved(pg_app, reply_lost_after_commit):
    from marketplace.demands.models import Demand
    from marketplace.extensions import db

    firm = make_user(make_org("manufacturer"))
    db.session.commit()
    client = pg_app.test_client()
    login(client, firm)
    data = demand_data(token_from(client.get("/demands/new").get_data(as_text=True)))
    reply_lost_after_commit["armed"] = True
    response = client.post("/demands/new", data=data)
    assert reply_lost_after_commit["fired"] == 1
    assert response.status_code == 302 and "/demands/" in response.headers["Location"]
    assert count(Demand) == 1
    assert "曲轴磨削质量在线检测" in client.get(response.headers["Location"]).get_data(as_text=True)


def test_a_write_that_was_not_saved_is_never_reported_as_saved(pg_app, monkeypatch):
    """The connection dies before COMMIT reaches the server: nothing is saved and the user is told so."""
    import psycopg

    from marketplace.demands.models import Demand
    from marketplace.extensions import db

    firm = make_user(make_org("manufacturer"))
    db.session.commit()
    client = pg_app.test_client()
    login(client, firm)
    data = demand_data(token_from(client.get("/demands/new").get_data(as_text=True)))
    state = {"armed": True}
    real_commit = psycopg.Connection.commit

    def commit(self):
        if state["armed"]:
            state["armed"] = False
            self.close()
            raise psycopg.OperationalError("server closed the connection unexpectedly")
        real_commit(self)

    monkeypatch.setattr(psycopg.Connection, "commit", commit)
    response = client.post("/demands/new", data=data)
    assert response.status_code == 503 and "没有保存" in response.get_data(as_text=True)
    assert count(Demand) == 0
    assert client.post("/demands/new", data=data).status_code == 302 and count(Demand) == 1  # retrying saves it once


def test_a_connection_that_dies_before_the_request_ends_does_not_turn_a_saved_write_into_a_500(pg_app, monkeypatch):
    """A request commits, reads a little more (a new transaction), and its connection dies before
    the request's session is closed, so closing it (a rollback) fails. That exception escaped the
    app after the response was made, and gunicorn answered 500 for a saved write
    (benchmarks/connection_kills.py). Tests share one app context, so the request's own context
    is pushed here by hand; popping it is what a request's end does."""
    import psycopg

    from marketplace.extensions import db

    state = {"armed": False, "fired": 0}
    real_rollback = psycopg.Connection.rollback

    def rollback(self):
        if state["armed"]:
            state["armed"] = False
            state["fired"] += 1
            self.close()
            raise psycopg.OperationalError("consuming input failed: server closed the connection unexpectedly")
        real_rollback(self)

    monkeypatch.setattr(psycopg.Connection, "rollback", rollback)
    with pg_app.app_context(), pg_app.test_request_context("/demands/new", method="POST"):
        db.session.execute(sa.text("SELECT 1"))  # the page's last read, after its commit
        state["armed"] = True
    # leaving the context closed the session without raising
    monkeypatch.undo()
    assert state["fired"] == 1
    firm = make_user(make_org("manufacturer"))
    db.session.commit()
    client = pg_app.test_client()
    login(client, firm)
    assert client.get("/demands/new").status_code == 200  # the pool replaced the dead connection
