"""公示, 异议 and 正式入库 (issue 9 item 13): notices are kept in a public archive, admitted providers are
拟入库 during the period, any logged-in organisation may object with reasons and files, the bureau answers,
and members become 正式入库 only when the period ended without a sustained objection."""
from __future__ import annotations

import io
from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from tests.conftest import login, make_application, make_org, make_pool, make_user
from tests.files_builders import plain_pdf


@pytest.fixture
def world(db):
    bureau = make_org("bureau", "淄博市工信局", city="zibo")
    officer = make_user(bureau, name="王科长")
    other_bureau_user = make_user(make_org("bureau", "潍坊市工信局", city="weifang"))
    a, b, c = make_org("provider", "鲁智科技"), make_org("provider", "齐云智能"), make_org("provider", "泰山数智")
    users = {"a": make_user(a), "b": make_user(b), "c": make_user(c)}
    firm = make_org("manufacturer", "淄博化工厂")
    firm_user = make_user(firm, name="化工厂张经理")
    pool = make_pool(bureau)
    apps = {key: make_application(pool, org, status="admitted", batch="首批入库") for key, org in (("a", a), ("b", b))}
    db.session.commit()
    return dict(bureau=bureau, officer=officer, other_bureau_user=other_bureau_user, users=users, firm=firm,
                firm_user=firm_user, pool=pool, apps=apps, c=c)


def publish(client, db, w, batch="首批入库", days=7):
    pool = w["pool"]
    db.session.refresh(pool)
    login(client, w["officer"])
    response = client.post(f"/pools/{pool.id}/notice", data={
        "notice_text": f"经评审，以下服务商拟入库（{batch}）。", "notice_starts_on": date.today().isoformat(),
        "notice_ends_on": (date.today() + timedelta(days=days)).isoformat(), "batch": batch, "version": pool.version})
    client.post("/logout")
    return response


def notices(db, pool):
    from marketplace.pools.models import PoolNotice

    return db.session.scalars(sa.select(PoolNotice).where(PoolNotice.pool_id == pool.id).order_by(PoolNotice.id)).all()


def end_period(db, notice):
    notice.starts_on, notice.ends_on = date.today() - timedelta(days=8), date.today() - timedelta(days=1)
    db.session.commit()


def run_nightly_job(db):
    from marketplace.jobs import REGISTRY

    REGISTRY["pools.finalise_notices"].func()
    db.session.commit()


def lodge(client, notice, application, reasons="该企业所报案例并非其实施，有合同为证。", files=()):
    page = client.get(f"/pools/notices/{notice.id}/objection").get_data(as_text=True)
    nonce = page.split('name="nonce" type="hidden" value="')[1].split('"')[0]
    data = {"application_id": str(application.id), "reasons": reasons, "nonce": nonce,
            "attachments": [(io.BytesIO(content), name) for name, content in files]}
    return client.post(f"/pools/notices/{notice.id}/objection", data=data, content_type="multipart/form-data"), data


def test_members_are_proposed_during_the_notice_and_a_new_batch_keeps_the_earlier_notice(client, db, world):
    w = world
    assert publish(client, db, w).status_code == 302
    public = client.get(f"/pools/{w['pool'].id}").get_data(as_text=True)
    assert "鲁智科技" in public and "拟入库" in public and "正式入库" not in public

    # a second batch: only the newly admitted provider is listed; the first notice stays
    c_application = make_application(w["pool"], w["c"], status="admitted", batch="第二批入库")
    db.session.commit()
    assert publish(client, db, w, batch="第二批入库").status_code == 302
    first, second = notices(db, w["pool"])
    assert {e.application.provider.name for e in first.entries} == {"鲁智科技", "齐云智能"}
    assert [e.application_id for e in second.entries] == [c_application.id]
    archive = client.get(f"/pools/{w['pool'].id}/notices").get_data(as_text=True)
    assert archive.count('data-testid="notice"') == 2
    assert "经评审，以下服务商拟入库（首批入库）。" in archive and "经评审，以下服务商拟入库（第二批入库）。" in archive
    assert archive.index("第二批入库") < archive.index("首批入库")  # newest first
    # nothing left to list: a third notice is refused and nothing is replaced
    assert publish(client, db, w, batch="第三批").status_code == 400
    assert len(notices(db, w["pool"])) == 2


def test_an_organisation_objects_with_files_once_and_a_sustained_objection_takes_the_provider_out(client, db, world):
    from marketplace.notifications.models import Notification
    from marketplace.pools.models import Objection

    w = world
    publish(client, db, w)
    notice = notices(db, w["pool"])[0]
    target = w["apps"]["b"]
    login(client, w["firm_user"])
    assert 'data-testid="lodge-objection"' in client.get(f"/pools/{w['pool'].id}").get_data(as_text=True)
    refused = client.post(f"/pools/notices/{notice.id}/objection",
                          data={"application_id": str(target.id), "reasons": "  ", "nonce": "x" * 20})
    assert refused.status_code == 400
    response, data = lodge(client, notice, target, files=[("合同扫描件.pdf", plain_pdf())])
    assert response.status_code == 302
    again = client.post(f"/pools/notices/{notice.id}/objection", data=dict(data, attachments=[]),
                        content_type="multipart/form-data")  # the same form sent twice
    assert again.status_code == 302 and again.headers["Location"] == response.headers["Location"]
    objection = db.session.scalar(sa.select(Objection))
    assert db.session.scalar(sa.select(sa.func.count(Objection.id))) == 1
    assert [f.original_name for f in objection.files] == ["合同扫描件.pdf"]
    mine = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "有合同为证" in mine and "等待主管部门答复" in mine
    assert client.get(f"/pools/objections/files/{objection.files[0].id}").data == plain_pdf()
    client.post("/logout")
    assert db.session.scalar(sa.select(Notification).where(Notification.user_id == w["officer"].id,
                                                           Notification.kind == "objection.lodged")) is not None

    login(client, w["officer"])
    listing = client.get(f"/pools/{w['pool'].id}/objections").get_data(as_text=True)
    assert "齐云智能" in listing and "淄博化工厂" in listing
    assert client.post(f"/pools/objections/{objection.id}/answer", data={"outcome": "sustained", "reply": ""}).status_code == 400
    answered = client.post(f"/pools/objections/{objection.id}/answer",
                           data={"outcome": "sustained", "reply": "经核实，案例不属实，移出本批次。"})
    assert answered.status_code == 302
    client.post("/logout")
    db.session.refresh(target)
    assert target.status == "under_review" and target.batch is None and target.confirmed_at is None
    assert db.session.scalar(sa.select(Notification).where(Notification.kind == "objection.sustained",
                                                           Notification.user_id == w["users"]["b"].id)) is not None
    assert db.session.scalar(sa.select(Notification).where(Notification.kind == "objection.answered",
                                                           Notification.user_id == w["firm_user"].id)) is not None
    from marketplace.audit.models import AuditEvent

    assert db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "application.reopened_by_objection",
                                                         AuditEvent.object_id == target.id)) is not None
    archive = client.get(f"/pools/{w['pool'].id}/notices").get_data(as_text=True)
    assert "<s>齐云智能</s>" in archive
    assert "齐云智能" not in client.get(f"/pools/{w['pool'].id}").get_data(as_text=True).split('data-testid="pool-members"')[1]

    end_period(db, notice)
    run_nightly_job(db)
    db.session.refresh(target)
    assert target.confirmed_at is None and w["apps"]["a"].confirmed_at is not None


def test_members_become_formal_only_when_the_period_ended_without_a_sustained_objection(client, db, world):
    from marketplace.notifications.models import Notification

    w = world
    publish(client, db, w)
    notice = notices(db, w["pool"])[0]
    login(client, w["firm_user"])
    lodge(client, notice, w["apps"]["b"])
    client.post("/logout")

    run_nightly_job(db)  # the period is still running: nobody is confirmed
    assert all(a.confirmed_at is None for a in w["apps"].values())

    end_period(db, notice)
    run_nightly_job(db)
    a, b = w["apps"]["a"], w["apps"]["b"]
    db.session.refresh(a)
    db.session.refresh(b)
    assert a.confirmed_at is not None  # no objection
    assert b.confirmed_at is None  # its objection is not answered yet
    assert db.session.scalar(sa.select(Notification).where(Notification.kind == "application.confirmed",
                                                           Notification.user_id == w["users"]["a"].id)) is not None
    public = client.get(f"/pools/{w['pool'].id}").get_data(as_text=True)
    assert "正式入库" in public and "拟入库" in public

    from marketplace.pools.models import Objection

    objection = db.session.scalar(sa.select(Objection))
    login(client, w["officer"])
    client.post(f"/pools/objections/{objection.id}/answer", data={"outcome": "dismissed", "reply": "经核实，异议不成立。"})
    db.session.refresh(b)
    assert b.status == "admitted" and b.confirmed_at is not None  # answered after the period: settled at once
    db.session.refresh(notice)
    assert notice.finalised_at is not None
    # the bureau's on-demand check finds nothing more to do
    assert client.post(f"/pools/{w['pool'].id}/notices/check").status_code == 302
    login(client, w["users"]["a"])
    assert "正式入库" in client.get(f"/applications/{a.id}").get_data(as_text=True)


def test_objections_only_during_the_period_and_not_by_the_bureau_itself(client, db, world):
    w = world
    publish(client, db, w)
    notice = notices(db, w["pool"])[0]
    login(client, w["officer"])
    assert client.get(f"/pools/notices/{notice.id}/objection").status_code == 403
    client.post("/logout")
    end_period(db, notice)
    login(client, w["firm_user"])
    late = client.get(f"/pools/notices/{notice.id}/objection")
    assert late.status_code == 409 and "公示期内" in late.get_data(as_text=True)
    assert client.post(f"/pools/notices/{notice.id}/objection",
                       data={"application_id": str(w["apps"]["a"].id), "reasons": "迟到的异议"}).status_code == 409


# ----------------------------------------------------------------------------- who may do what

def test_objection_pages_by_role(client, db, world):
    w = world
    publish(client, db, w)
    notice = notices(db, w["pool"])[0]
    login(client, w["firm_user"])
    response, _ = lodge(client, notice, w["apps"]["a"], files=[("证据.pdf", plain_pdf())])
    client.post("/logout")
    from marketplace.pools.models import Objection

    objection = db.session.scalar(sa.select(Objection))
    pool_id, file_id = w["pool"].id, objection.files[0].id
    detail, answer, file_url = f"/pools/objections/{objection.id}", f"/pools/objections/{objection.id}/answer", f"/pools/objections/files/{file_id}"
    reply = {"outcome": "dismissed", "reply": "不成立"}

    for url in (detail, file_url, f"/pools/{pool_id}/objections", f"/pools/notices/{notice.id}/objection"):
        response = client.get(url)
        assert response.status_code == 302 and "/login" in response.headers["Location"], url
    assert client.post(answer, data=reply).status_code == 302 and "/login" in client.post(answer, data=reply).headers["Location"]
    assert client.get(f"/pools/{pool_id}/notices").status_code == 200  # the archive is public

    # role: (objection page, its file, the bureau's list, answering)
    expected = {
        "other_bureau_user": (404, 404, 403, 404),
        "provider_a": (404, 404, 403, 404),  # the provider objected against does not see who objected
        "firm_user": (200, 200, 403, 403),
        "officer": (200, 200, 200, None),
    }
    people = {"other_bureau_user": w["other_bureau_user"], "provider_a": w["users"]["a"], "firm_user": w["firm_user"],
              "officer": w["officer"]}
    for role, (page, attachment, listing, answering) in expected.items():
        login(client, people[role])
        assert client.get(detail).status_code == page, role
        assert client.get(file_url).status_code == attachment, role
        assert client.get(f"/pools/{pool_id}/objections").status_code == listing, role
        if answering is not None:
            assert client.post(answer, data=reply).status_code == answering, role
        assert client.post(f"/pools/{pool_id}/notices/check").status_code in ((302,) if role == "officer" else (403, 404)), role
        client.post("/logout")
    db.session.refresh(objection)
    assert objection.status == "open"


def test_the_archive_and_the_objection_form_in_english(client, db, world):
    w = world
    publish(client, db, w)
    notice = notices(db, w["pool"])[0]
    client.set_cookie("locale", "en")
    archive = client.get(f"/pools/{w['pool'].id}/notices").get_data(as_text=True)
    assert "Public notices" in archive and "Proposed (拟入库)" in archive and "Log in to lodge an objection" in archive
    w["firm_user"].locale = "en"
    db.session.commit()
    login(client, w["firm_user"])
    form = client.get(f"/pools/notices/{notice.id}/objection").get_data(as_text=True)
    assert "Objection against" in form and "Evidence (PDF, optional)" in form and "鲁智科技" in form
