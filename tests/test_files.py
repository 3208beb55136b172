"""Shared uploads (marketplace.files): checked by content, kept in the database, served as downloads."""
import io

import pytest
import sqlalchemy as sa
from werkzeug.datastructures import FileStorage

from marketplace import files
from marketplace.files.models import StoredFile
from marketplace.pools.models import Attachment, PoolApplication
from tests.conftest import login, make_offering, make_org, make_pool, make_user
from tests.files_builders import JPEG, PNG, hostile_pdf, plain_pdf

HOSTILE = ["javascript", "openaction", "launch", "embedded", "aa", "encrypted"]


def storage(data: bytes, name: str = "file.pdf") -> FileStorage:
    return FileStorage(stream=io.BytesIO(data), filename=name)


@pytest.mark.parametrize("kind", HOSTILE)
def test_pdfs_with_active_content_or_encryption_are_refused_at_apply(client, db, kind):
    """Issue 9 item 4: such PDFs were stored and handed to reviewers."""
    bureau = make_org("bureau", city="zibo")
    provider = make_org("provider")
    user = make_user(provider)
    offering = make_offering(provider)
    pool = make_pool(bureau)
    db.session.commit()
    login(client, user)
    response = client.post(f"/applications/pools/{pool.id}/apply", content_type="multipart/form-data", data={
        "offering_ids": [str(offering.id)], "statement": "我们在淄博化工行业有三个落地项目，团队驻场服务。",
        "attachments": [(io.BytesIO(hostile_pdf(kind)), "证书.pdf")]})
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "证书.pdf" in html
    assert ("加密" in html) if kind == "encrypted" else ("脚本" in html)
    assert db.session.scalar(sa.select(sa.func.count(PoolApplication.id))) == 0
    assert db.session.scalar(sa.select(sa.func.count(StoredFile.id))) == 0


def test_check_upload_accepts_plain_pdfs_and_images_by_their_content(app):
    with app.test_request_context():
        pdf = files.check_upload(storage(plain_pdf(), "../../etc/报告"), kinds=("pdf",))
        assert pdf.kind == "pdf" and pdf.name == "报告.pdf" and pdf.content_type == "application/pdf"
        png = files.check_upload(storage(PNG, "logo.PNG"), kinds=("image",))
        assert png.kind == "png" and png.name == "logo.PNG"
        jpeg = files.check_upload(storage(JPEG, "photo"), kinds=("pdf", "image"))
        assert jpeg.content_type == "image/jpeg" and jpeg.name == "photo.jpg"
        with pytest.raises(files.UploadRefused) as refused:
            files.check_upload(storage(plain_pdf(), "a.png"), kinds=("image",))
        assert "PNG, JPEG" in str(refused.value.message)
        with pytest.raises(files.UploadRefused):
            files.check_upload(storage(b"<svg onload=alert(1)>", "logo.png"), kinds=("image",))
        with pytest.raises(files.UploadRefused):
            files.check_upload(storage(b"%PDF-1.7\n1 0 obj <<>> endobj\nstartxref\n0\n%%EOF"), kinds=("pdf",))


class Endless(io.RawIOBase):
    """A stream that never ends, counting what was read from it."""

    def __init__(self):
        self.read_so_far = 0

    def readable(self):
        return True

    def readinto(self, buffer):
        buffer[:] = b"A" * len(buffer)
        self.read_so_far += len(buffer)
        return len(buffer)


def test_a_huge_file_is_refused_after_reading_just_past_the_cap(app):
    stream = Endless()
    with app.test_request_context(), pytest.raises(files.UploadRefused) as refused:
        files.check_upload(FileStorage(stream=stream, filename="big.pdf"), kinds=("pdf",), max_bytes=1024 * 1024)
    assert "1 MB" in str(refused.value.message)
    assert stream.read_so_far <= 1024 * 1024 + 64 * 1024


def test_store_and_send_keep_bytes_in_the_database_with_safe_download_headers(app, db):
    user = make_user(make_org("provider"))
    with app.test_request_context():
        stored = files.store(files.check_upload(storage(PNG, "logo.png"), kinds=("image",)), owner=user)
        db.session.commit()
        response = files.send(db.session.get(StoredFile, stored.id))
        response.direct_passthrough = False
        assert response.get_data() == PNG
    assert stored.size_bytes == len(PNG) and stored.owner_org_id == user.org_id and len(stored.sha256) == 64
    assert response.headers["Content-Disposition"].startswith("attachment")
    assert response.headers["Content-Type"] == "image/png"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "no-store" in response.headers["Cache-Control"]
    assert "sandbox" in response.headers["Content-Security-Policy"]


def test_an_attachment_and_its_file_go_together(app, db):
    from tests.conftest import make_application

    pool = make_pool(make_org("bureau", city="zibo"))
    provider = make_org("provider")
    application = make_application(pool, provider)
    with app.test_request_context():
        upload = files.check_upload(storage(plain_pdf()), kinds=("pdf",))
        application.attachments.append(Attachment(original_name="a.pdf", file=files.store(upload)))
    db.session.commit()
    db.session.delete(application)
    db.session.commit()
    assert db.session.scalar(sa.select(sa.func.count(StoredFile.id))) == 0


@pytest.mark.postgres
def test_a_file_stored_by_one_app_instance_is_served_by_another_on_postgresql(pg_app, tmp_path):
    """Issue 15 item 6: every host sees the attachments (no local folder involved)."""
    from marketplace import create_app
    from marketplace.extensions import db
    from tests.conftest import base_config

    user = make_user(make_org("provider"))
    with pg_app.test_request_context():
        stored = files.store(files.check_upload(storage(plain_pdf(), "方案.pdf"), kinds=("pdf",)), owner=user)
    db.session.commit()
    other_host = create_app(base_config(tmp_path / "other", SQLALCHEMY_DATABASE_URI=pg_app.config["SQLALCHEMY_DATABASE_URI"]))
    with other_host.test_request_context():
        found = db.session.get(StoredFile, stored.id)
        response = files.send(found)
        response.direct_passthrough = False
        assert response.get_data() == plain_pdf()[:0] + found.data and found.name == "方案.pdf"
        db.session.remove()
        db.engine.dispose()


def test_the_migration_moves_existing_attachment_files_into_the_database(tmp_path, monkeypatch):
    from flask_migrate import downgrade, upgrade

    from marketplace import create_app
    from marketplace.extensions import db

    monkeypatch.setenv("INSTANCE_PATH", str(tmp_path))
    folder = tmp_path / "uploads"
    folder.mkdir()
    (folder / "abc.pdf").write_bytes(plain_pdf())
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'm.sqlite3'}", "TESTING": True,
                      "MATCHING_ENABLED": False, "UPLOAD_FOLDER": str(folder)})
    now = "2026-01-01 00:00:00"
    with app.app_context():
        upgrade(revision="22f18e69b6d6")
        with db.engine.begin() as connection:
            for org_id, kind in ((1, "bureau"), (2, "provider")):
                connection.execute(sa.text(
                    "INSERT INTO organisation (id, kind, name, verified, is_demo, intro, capabilities, certifications, "
                    "contact_name, contact_phone, contact_email, website, created_at, updated_at) "
                    "VALUES (:id, :kind, :kind, 0, 0, '', '', '', '', '', '', '', :now, :now)"), {"id": org_id, "kind": kind, "now": now})
            connection.execute(sa.text(
                "INSERT INTO pool (id, bureau_org_id, name, description, criteria, status, notice_text, is_demo, version, "
                "created_at, updated_at) VALUES (1, 1, 'p', '', '', 'open', '', 0, 1, :now, :now)"), {"now": now})
            connection.execute(sa.text(
                "INSERT INTO pool_application (id, pool_id, provider_org_id, statement, status, decision_reason, submitted_at, "
                "appeal_text, appeal_outcome, is_demo, version, created_at, updated_at) "
                "VALUES (1, 1, 2, 's', 'submitted', '', :now, '', '', 0, 1, :now, :now)"), {"now": now})
            for attachment_id, stored in ((1, "abc.pdf"), (2, "gone.pdf")):
                connection.execute(sa.text(
                    "INSERT INTO attachment (id, application_id, original_name, stored_name, content_type, size_bytes, sha256, "
                    "uploaded_at) VALUES (:id, 1, :name, :stored, 'application/pdf', 1, 'x', :now)"),
                    {"id": attachment_id, "name": f"资质{attachment_id}.pdf", "stored": stored, "now": now})
        upgrade()
        kept = db.session.scalars(sa.select(Attachment)).all()
        assert [(a.id, a.original_name, a.file.data, a.file.owner_org_id) for a in kept] == [(1, "资质1.pdf", plain_pdf(), 2)]
        db.session.remove()
        (folder / "abc.pdf").unlink()
        downgrade(revision="22f18e69b6d6")  # the way back writes the files out again
        with db.engine.connect() as connection:
            stored_name = connection.execute(sa.text("SELECT stored_name FROM attachment")).scalar_one()
        assert (folder / stored_name).read_bytes() == plain_pdf()
        db.engine.dispose()
