"""The audit log: append-only, filtered and paged, visible to admins and (for their own objects) bureaus."""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from tests.conftest import login, make_application, make_org, make_pool, make_user


@pytest.fixture
def logged(app, db):
    from marketplace.audit.services import record

    zibo = make_org("bureau", "淄博市工信局", city="zibo")
    weifang = make_org("bureau", "潍坊市工信局", city="weifang")
    zibo_officer = make_user(zibo, name="王科长")
    weifang_officer = make_user(weifang, name="李科长")
    provider_user = make_user(make_org("provider", "鲁智科技"), name="张经理")
    pool = make_pool(zibo)
    application = make_application(pool, provider_user.org)
    other_pool = make_pool(weifang, name="潍坊池")
    record("application.admitted", application, actor=zibo_officer, batch="首批入库")
    record("application.appealed", application, actor=provider_user)
    record("pool.opened", other_pool, actor=weifang_officer)
    record("user.login", object_type="user", object_id=provider_user.id, actor=provider_user)
    db.session.commit()
    return {"zibo": zibo_officer, "weifang": weifang_officer, "provider": provider_user, "application": application,
            "admin": make_user(None, is_admin=True)}


def actions(html: str) -> list[str]:
    import re

    return re.findall(r"<code class=\"small\">([\w.]+)</code>", html)


def test_events_cannot_be_changed_or_deleted(logged, db):
    from marketplace.audit.models import AuditEvent, AuditLogIsAppendOnly

    event = db.session.scalars(sa.select(AuditEvent)).first()
    event.action = "tampered"
    with pytest.raises(AuditLogIsAppendOnly):
        db.session.flush()
    db.session.rollback()
    db.session.delete(db.session.scalars(sa.select(AuditEvent)).first())
    with pytest.raises(AuditLogIsAppendOnly):
        db.session.flush()
    db.session.rollback()
    with pytest.raises(AuditLogIsAppendOnly):
        db.session.execute(sa.delete(AuditEvent))
    with pytest.raises(AuditLogIsAppendOnly):
        db.session.execute(sa.update(AuditEvent).values(action="x"))
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count(AuditEvent.id))) == 4
    assert "tampered" not in db.session.scalars(sa.select(AuditEvent.action)).all()


def test_admin_sees_everything(client, logged):
    login(client, logged["admin"])
    html = client.get("/audit/").get_data(as_text=True)
    assert sorted(actions(html)) == ["application.admitted", "application.appealed", "pool.opened", "user.login"]


def test_bureau_sees_its_pools_and_its_people_only(client, logged):
    login(client, logged["zibo"])
    html = client.get("/audit/").get_data(as_text=True)
    assert sorted(actions(html)) == ["application.admitted", "application.appealed"]
    assert "李科长" not in html


def test_filters(client, logged):
    login(client, logged["admin"])
    assert actions(client.get("/audit/?action=application.").get_data(as_text=True)) == ["application.appealed", "application.admitted"]
    assert actions(client.get("/audit/?actor=王科长").get_data(as_text=True)) == ["application.admitted"]
    assert actions(client.get(f"/audit/?actor={logged['provider'].id}").get_data(as_text=True)) == ["user.login", "application.appealed"]
    app_id = logged["application"].id
    assert len(actions(client.get(f"/audit/?object_type=pool_application&object_id={app_id}").get_data(as_text=True))) == 2
    assert actions(client.get("/audit/?object_type=pool").get_data(as_text=True)) == ["pool.opened"]
    assert client.get("/audit/?from=not-a-date&to=2026-99-99&object_id=x&page=-3").status_code == 200
    assert actions(client.get("/audit/?from=2999-01-01").get_data(as_text=True)) == []


def test_paging(client, logged, db):
    from marketplace.audit.services import record

    for n in range(30):
        record("pool.updated", object_type="pool", object_id=n, actor=logged["admin"])
    db.session.commit()
    login(client, logged["admin"])
    first = client.get("/audit/").get_data(as_text=True)
    second = client.get("/audit/?page=2").get_data(as_text=True)
    assert len(actions(first)) == 20 and len(actions(second)) == 14


def test_no_one_else_reads_the_log_and_there_are_no_write_routes(client, logged):
    login(client, logged["provider"])
    assert client.get("/audit/").status_code == 403
    client.post("/logout")
    assert client.get("/audit/").status_code == 302
    login(client, logged["admin"])
    assert client.post("/audit/").status_code == 405
    assert client.delete("/audit/").status_code == 405
    assert client.get("/audit/1/edit").status_code == 404


def test_empty_log_says_whether_the_filters_or_the_log_are_empty(client, db):
    officer = make_user(make_org("bureau", "东营市工信局", city="dongying"))
    db.session.commit()
    login(client, officer)
    assert "暂无记录" in client.get("/audit/").get_data(as_text=True)
    filtered = client.get("/audit/?action=pool.").get_data(as_text=True)
    assert "没有符合筛选条件的记录" in filtered and "清除筛选条件" in filtered


def test_object_types_and_demand_actions_are_shown_by_name(client, logged, db):
    from marketplace.audit.services import record

    record("demand.publish", object_type="demand", object_id=7, actor=logged["admin"])
    db.session.commit()
    login(client, logged["admin"])
    html = client.get("/audit/").get_data(as_text=True)
    assert "入库申请 #" in html and "发布需求" in html and "需求 #7" in html and "批次:" in html
    assert '<option value="pool_application">入库申请</option>' in html
