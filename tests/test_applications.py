"""Pool applications, provider side: open calls, apply with PDFs, track, withdraw, appeal, downloads."""
import io
from pathlib import Path

import pytest
import sqlalchemy as sa

from marketplace.audit.models import AuditEvent
from marketplace.files.models import StoredFile
from marketplace.notifications.models import Notification
from marketplace.pools.models import Attachment, PoolApplication
from tests.conftest import login, make_application, make_offering, make_org, make_pool, make_user

PDF = (b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n2 0 obj\n<< /Type /Pages /Kids [] /Count 0 >>\n"
       b"endobj\nxref\n0 3\n0000000000 65535 f \n0000000009 00000 n \n0000000058 00000 n \ntrailer\n<< /Size 3 /Root 1 0 R >>\n"
       b"startxref\n110\n%%EOF\n")
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 200 + b"This program cannot be run in DOS mode."


@pytest.fixture
def world(db):
    bureau = make_org("bureau", name="淄博市工业和信息化局", city="zibo")
    officer = make_user(bureau)
    provider = make_org("provider", name="甲智能科技")
    user = make_user(provider)
    offering = make_offering(provider, title="化工安全预警平台")
    other = make_org("provider", name="乙智能科技")
    other_user = make_user(other)
    other_offering = make_offering(other, title="乙的产品")
    pool = make_pool(bureau)
    db.session.commit()
    return dict(bureau=bureau, officer=officer, provider=provider, user=user, offering=offering, other=other,
                other_user=other_user, other_offering=other_offering, pool=pool)


def application_form(offering, *files, statement="我们在淄博化工行业有三个落地项目，团队驻场服务。"):
    data = {"offering_ids": [str(offering.id)], "statement": statement}
    if files:
        data["attachments"] = [(io.BytesIO(content), name) for name, content in files]
    return data


def apply(client, pool, data):
    return client.post(f"/applications/pools/{pool.id}/apply", data=data, content_type="multipart/form-data")


def test_open_calls_list_and_apply_with_pdfs(client, db, app, world):
    login(client, world["user"])
    calls = client.get("/applications/calls").get_data(as_text=True)
    assert "淄博化工行业AI服务商资源池" in calls and f"/applications/pools/{world['pool'].id}/apply" in calls
    assert "化工安全预警平台" in client.get(f"/applications/pools/{world['pool'].id}/apply").get_data(as_text=True)

    response = apply(client, world["pool"], application_form(world["offering"], ("资质证书.pdf", PDF), ("案例报告.PDF", PDF)))
    assert response.status_code == 302
    application = db.session.scalar(sa.select(PoolApplication))
    assert application.status == "submitted" and [o.id for o in application.offerings] == [world["offering"].id]
    names = sorted(a.original_name for a in application.attachments)
    assert names == ["案例报告.PDF", "资质证书.pdf"]
    for attachment in application.attachments:
        assert attachment.file.data == PDF and attachment.file.content_type == "application/pdf"
        assert attachment.file.size_bytes == len(PDF) and attachment.file.owner_user_id == world["user"].id
    assert db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "application.submitted")) is not None
    note = db.session.scalar(sa.select(Notification).where(Notification.user_id == world["officer"].id))
    assert note.kind == "application.received"
    detail = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "资质证书.pdf" in detail and 'data-status="submitted"' in detail
    assert "已提交" in client.get("/applications/").get_data(as_text=True)


@pytest.mark.parametrize("name, content, message", [
    ("setup.pdf", EXE, "不是 PDF"),
    ("broken.pdf", b"%PDF-1.7\nthis is not really a pdf", "损坏"),
    ("empty.pdf", b"", "是空的"),
    ("big.pdf", PDF[:-7] + b" " * (10 * 1024 * 1024) + b"\n%%EOF\n", "10 MB"),
])
def test_bad_uploads_are_refused_with_a_clear_message_and_the_text_kept(client, db, app, world, name, content, message):
    login(client, world["user"])
    response = apply(client, world["pool"], application_form(world["offering"], ("ok.pdf", PDF), (name, content),
                                                             statement="这段申请说明应当被保留下来，不要丢失。"))
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert name in html and message in html
    assert "这段申请说明应当被保留下来" in html
    assert db.session.scalar(sa.select(sa.func.count(PoolApplication.id))) == 0
    assert db.session.scalar(sa.select(sa.func.count(StoredFile.id))) == 0


def test_a_request_over_the_upload_limit_gets_a_413_page_not_a_500(client, world, app):
    app.config["MAX_CONTENT_LENGTH"] = 1024
    login(client, world["user"])
    response = apply(client, world["pool"], application_form(world["offering"], ("big.pdf", PDF + b" " * 4096)))
    assert response.status_code == 413


def test_one_live_application_per_pool_and_other_providers_offerings_refused(client, db, world):
    login(client, world["user"])
    apply(client, world["pool"], application_form(world["offering"]))
    again = apply(client, world["pool"], application_form(world["offering"]))
    assert again.status_code == 302 and "/applications/" in again.headers["Location"]
    assert db.session.scalar(sa.select(sa.func.count(PoolApplication.id))) == 1
    client.post("/logout")
    login(client, world["other_user"])
    stolen = apply(client, world["pool"], application_form(world["offering"]))  # A's offering, chosen by B
    assert stolen.status_code == 200 and "invalid-feedback" in stolen.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count(PoolApplication.id))) == 1


def test_cannot_apply_to_a_draft_or_closed_pool(client, db, world):
    draft = make_pool(world["bureau"], name="草稿资源池", status="draft")
    closed = make_pool(world["bureau"], name="已截止资源池", status="closed")
    db.session.commit()
    login(client, world["user"])
    assert client.get(f"/applications/pools/{draft.id}/apply").status_code == 404
    assert apply(client, closed, application_form(world["offering"])).status_code == 409
    assert "已截止资源池" not in client.get("/applications/calls").get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count(PoolApplication.id))) == 0


def test_withdraw_before_review_only(client, db, world):
    login(client, world["user"])
    apply(client, world["pool"], application_form(world["offering"]))
    application = db.session.scalar(sa.select(PoolApplication))
    stale = client.post(f"/applications/{application.id}/withdraw", data={"version": str(application.version + 5)})
    assert stale.status_code == 409
    ok = client.post(f"/applications/{application.id}/withdraw", data={"version": str(application.version)})
    assert ok.status_code == 302
    db.session.refresh(application)
    assert application.status == "withdrawn"
    assert db.session.scalar(sa.select(Notification).where(Notification.kind == "application.withdrawn")) is not None
    # A new application is possible after withdrawing; once under review it cannot be withdrawn.
    apply(client, world["pool"], application_form(world["offering"]))
    second = db.session.scalar(sa.select(PoolApplication).where(PoolApplication.status == "submitted"))
    second.status = "under_review"
    db.session.commit()
    refused = client.post(f"/applications/{second.id}/withdraw", data={"version": str(second.version)})
    assert refused.status_code == 409 and "审核" in refused.get_data(as_text=True)
    db.session.refresh(second)
    assert second.status == "under_review"


def test_admitted_batch_and_appeal_of_a_rejection(client, db, world):
    admitted = make_application(world["pool"], world["provider"], status="admitted", batch="首批入库")
    other_pool = make_pool(world["bureau"], name="潍坊动力装备资源池")
    rejected = make_application(other_pool, world["provider"], status="rejected", decision_reason="案例不足")
    db.session.commit()
    login(client, world["user"])
    html = client.get(f"/applications/{admitted.id}").get_data(as_text=True)
    assert "首批入库" in html and 'data-testid="admitted"' in html and 'data-testid="withdraw"' not in html
    assert "首批入库" in client.get("/applications/").get_data(as_text=True)
    page = client.get(f"/applications/{rejected.id}").get_data(as_text=True)
    assert "案例不足" in page
    empty = client.post(f"/applications/{rejected.id}/appeal", data={"text": ""})
    assert empty.status_code == 400
    sent = client.post(f"/applications/{rejected.id}/appeal", data={"text": "我们补充了两个化工案例。"})
    assert sent.status_code == 302
    db.session.refresh(rejected)
    assert rejected.appealed_at is not None and rejected.appeal_text == "我们补充了两个化工案例。"


def test_access_matrix_for_applications_and_attachments(client, db, world):
    login(client, world["user"])
    apply(client, world["pool"], application_form(world["offering"], ("资质.pdf", PDF)))
    application = db.session.scalar(sa.select(PoolApplication))
    attachment = db.session.scalar(sa.select(Attachment))
    download = client.get(f"/applications/attachments/{attachment.id}")
    assert download.status_code == 200 and download.data == PDF
    assert download.headers["Content-Disposition"].startswith("attachment")
    assert download.headers["Content-Type"] == "application/pdf"
    client.post("/logout")

    # Provider B: neither the application nor its file exists for them, and nothing changes.
    login(client, world["other_user"])
    assert client.get(f"/applications/{application.id}").status_code == 404
    assert client.post(f"/applications/{application.id}/withdraw", data={"version": "1"}).status_code == 404
    assert client.post(f"/applications/{application.id}/appeal", data={"text": "x"}).status_code == 404
    assert client.get(f"/applications/attachments/{attachment.id}").status_code == 404
    assert "淄博" not in client.get("/applications/").get_data(as_text=True)
    client.post("/logout")

    # The bureau running the pool may download; another bureau may not.
    login(client, world["officer"])
    assert client.get(f"/applications/attachments/{attachment.id}").status_code == 200
    client.post("/logout")
    stranger = make_user(make_org("bureau", name="潍坊市工信局", city="weifang"))
    db.session.commit()
    login(client, stranger)
    assert client.get(f"/applications/attachments/{attachment.id}").status_code == 404
    client.post("/logout")
    assert client.get(f"/applications/attachments/{attachment.id}").status_code == 302  # to the login page
    db.session.refresh(application)
    assert application.status == "submitted"


def test_only_providers_apply(client, db, world):
    login(client, world["officer"])
    assert client.get(f"/applications/pools/{world['pool'].id}/apply").status_code == 403
    assert client.get("/applications/calls").status_code == 403


def test_two_submits_racing_past_the_check_leave_one_application_and_no_stray_files(client, db, app, world, monkeypatch):
    from marketplace.applications import services

    login(client, world["user"])
    apply(client, world["pool"], application_form(world["offering"], ("first.pdf", PDF)))
    real = services.live_application
    calls = {"n": 0}

    def blind_at_first(pool, org):  # both checks of the second request miss the first application
        calls["n"] += 1
        return None if calls["n"] <= 2 else real(pool, org)

    monkeypatch.setattr(services, "live_application", blind_at_first)
    second = apply(client, world["pool"], application_form(world["offering"], ("second.pdf", PDF)))
    assert second.status_code == 302
    assert db.session.scalar(sa.select(sa.func.count(PoolApplication.id))) == 1
    assert [a.original_name for a in db.session.scalars(sa.select(Attachment))] == ["first.pdf"]
    assert db.session.scalar(sa.select(sa.func.count(StoredFile.id))) == 1


def test_files_within_the_stated_limits_never_hit_the_request_limit(client, db, app, world):
    """Regression: the form promised “5 files, 10 MB each”, but two 7 MB PDFs exceeded the 12 MB request
    limit and the provider got a bare 413 page, losing the statement. Now the limit is 10 MB in total,
    checked beside the field (and in the browser before sending, via data-max-total)."""
    from marketplace.applications import files

    assert files.MAX_TOTAL_BYTES < app.config["MAX_CONTENT_LENGTH"] - 512 * 1024
    login(client, world["user"])
    page = client.get(f"/applications/pools/{world['pool'].id}/apply").get_data(as_text=True)
    assert f'data-max-total="{files.MAX_TOTAL_BYTES}"' in page and 'data-max-files="5"' in page
    assert "合计不超过 10 MB" in page
    half = PDF[:-7] + b" " * (5 * 1024 * 1024 + 100) + b"\n%%EOF\n"  # each fine alone, together over 10 MB
    response = apply(client, world["pool"], application_form(world["offering"], ("a.pdf", half), ("b.pdf", half),
                                                             statement="这段申请说明应当被保留下来，不要丢失。"))
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "合计超过 10 MB" in html and "这段申请说明应当被保留下来" in html
    assert db.session.scalar(sa.select(sa.func.count(PoolApplication.id))) == 0


@pytest.mark.browser
def test_browser_refuses_too_big_files_before_sending_and_keeps_the_text(live_server, browser_page):
    from marketplace.extensions import db
    from tests.browser import fill_login
    from tests.conftest import TEST_PASSWORD

    with live_server.app.app_context():
        bureau = make_org("bureau", name="淄博市工业和信息化局", city="zibo")
        provider = make_org("provider", name="甲智能科技")
        make_user(provider, email="sales@jia.example")
        make_offering(provider, title="化工安全预警平台")
        pool_id = make_pool(bureau).id
        db.session.commit()
    page = browser_page
    fill_login(page, live_server.url, "sales@jia.example", TEST_PASSWORD)
    page.goto(f"{live_server.url}/applications/pools/{pool_id}/apply")
    page.select_option("select[name=offering_ids]", index=0)
    page.fill("textarea[name=statement]", "这段申请说明应当被保留下来，不要丢失。")
    big = PDF[:-7] + b" " * (6 * 1024 * 1024) + b"\n%%EOF\n"
    page.set_input_files("input[name=attachments]", [{"name": n, "mimeType": "application/pdf", "buffer": big} for n in ("a.pdf", "b.pdf")])
    page.click("main form button[type=submit]")
    assert page.locator(".js-file-error").inner_text() == "所选文件合计超过 10 MB，请减少文件数量或缩小文件。"
    assert page.url.endswith(f"/applications/pools/{pool_id}/apply")  # not sent
    assert page.input_value("textarea[name=statement]") == "这段申请说明应当被保留下来，不要丢失。"


def test_detail_shows_the_sent_appeal_and_a_plain_score(client, db, world):
    """The page showed “46.00” and, once the appeal was sent, no longer showed what the provider had written."""
    from decimal import Decimal

    rejected = make_application(world["pool"], world["provider"], status="rejected", decision_reason="案例不足",
                                total_score=Decimal("46.00"))
    db.session.commit()
    login(client, world["user"])
    client.post(f"/applications/{rejected.id}/appeal", data={"text": "我们补充了两个<b>化工</b>案例。"})
    html = client.get(f"/applications/{rejected.id}").get_data(as_text=True)
    assert '<strong data-testid="score">46</strong>' in html
    assert "我们补充了两个&lt;b&gt;化工&lt;/b&gt;案例。" in html
