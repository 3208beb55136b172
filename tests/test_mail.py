"""Mail: sent through a real SMTP server, logged, retried when undeliverable, in the recipient's
language, with a working unsubscribe link; notification preferences and the daily digest."""
from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from marketplace.db import utc_now
from marketplace.jobs import REGISTRY
from marketplace.mail.models import MailMessage
from tests.conftest import base_config, login, make_org, make_user
from tests.mail_helpers import html_of, links_in, mail_config, smtp_inbox, text_of  # noqa: F401


@pytest.fixture
def app_config(tmp_path, smtp_inbox):
    return base_config(tmp_path, **mail_config(smtp_inbox))


def notify_one(db, user, kind="bid.awarded", **params):
    from marketplace.notifications.services import notify

    notes = notify([user], kind, "/bids/1", demand=params.get("demand", "铸件表面缺陷在线检测"))
    db.session.commit()
    return notes


def test_an_immediate_notice_arrives_in_the_recipients_language(db, smtp_inbox):
    zh = make_user(make_org("provider"), email="zh@example.com")
    en = make_user(make_org("provider"), email="en@example.com", locale="en")
    db.session.commit()
    from marketplace.notifications.services import notify

    notify([zh, en], "bid.awarded", "/bids/1", demand="铸件检测")
    db.session.commit()

    chinese, english = smtp_inbox.last_to("zh@example.com"), smtp_inbox.last_to("en@example.com")
    assert "中标" in chinese["Subject"] or "铸件检测" in chinese["Subject"]
    assert "won the award" in english["Subject"]
    assert "http://marketplace.test/bids/1" in text_of(english) and "http://marketplace.test/bids/1" in html_of(english)
    assert english["List-Unsubscribe"]
    logged = db.session.scalars(sa.select(MailMessage).order_by(MailMessage.id)).all()
    assert [(m.to, m.status, m.attempts) for m in logged] == [("zh@example.com", "sent", 1), ("en@example.com", "sent", 1)]
    assert all(m.sent_at for m in logged)


def test_html_part_escapes_what_users_typed(db, smtp_inbox):
    user = make_user(make_org("provider"), email="p@example.com", locale="en")
    db.session.commit()
    notify_one(db, user, demand="<script>alert(1)</script>")
    html = html_of(smtp_inbox.last_to("p@example.com"))
    assert "<script>" not in html and "&lt;script&gt;" in html


def test_undeliverable_mail_is_logged_and_retried_until_it_goes_through(db, smtp_inbox):
    user = make_user(make_org("provider"), email="p@example.com")
    db.session.commit()
    smtp_inbox.refuse = True
    notify_one(db, user)
    message = db.session.scalar(sa.select(MailMessage))
    db.session.refresh(message)
    assert message.status == "failed" and message.attempts == 1 and "550" in message.error
    assert message.next_attempt_at > utc_now()
    assert smtp_inbox.messages == []

    REGISTRY["mail.retry"].func()  # not due yet: nothing happens
    db.session.refresh(message)
    assert message.attempts == 1

    smtp_inbox.refuse = False
    message.next_attempt_at = utc_now() - timedelta(seconds=1)
    db.session.commit()
    REGISTRY["mail.retry"].func()
    db.session.refresh(message)
    assert message.status == "sent" and message.attempts == 2 and message.error == ""
    assert len(smtp_inbox.to("p@example.com")) == 1
    REGISTRY["mail.retry"].func()  # a sent message is never sent again
    assert len(smtp_inbox.to("p@example.com")) == 1


def test_mail_that_never_goes_through_is_given_up_after_the_last_try(db, smtp_inbox):
    from marketplace.mail import services

    user = make_user(make_org("provider"), email="p@example.com")
    db.session.commit()
    smtp_inbox.refuse = True
    notify_one(db, user)
    message = db.session.scalar(sa.select(MailMessage))
    for _ in range(services.MAX_ATTEMPTS):
        message.next_attempt_at = utc_now() - timedelta(seconds=1)
        db.session.commit()
        REGISTRY["mail.retry"].func()
        db.session.refresh(message)
    assert message.status == "given_up" and message.attempts == services.MAX_ATTEMPTS


def test_unsubscribe_link_works_without_login_and_only_after_confirming(app, db, smtp_inbox):
    from marketplace.mail.preferences import channels

    user = make_user(make_org("provider"), email="p@example.com", locale="en")
    db.session.commit()
    notify_one(db, user)
    link = [u for u in links_in(text_of(smtp_inbox.last_to("p@example.com"))) if "/mail/unsubscribe/" in u][0]
    path = link.replace("http://marketplace.test", "")
    client = app.test_client()
    client.set_cookie("locale", "en")
    assert client.get(path).status_code == 200
    assert channels([user.id], "bid.awarded")[user.id] == "email"  # GET changes nothing
    done = client.post(path)
    assert done.status_code == 200 and "no longer receive" in done.get_data(as_text=True)
    assert channels([user.id], "bid.awarded")[user.id] == "in_app"

    notify_one(db, user)
    assert len(smtp_inbox.to("p@example.com")) == 1  # no second email
    assert client.get(path[:-3] + "xyz").status_code == 404  # a damaged link: a clear page, no 500


def test_preferences_page_switches_a_kind_to_the_daily_digest(app, client, db, smtp_inbox):
    user = make_user(make_org("provider"), email="p@example.com", locale="en")
    db.session.commit()
    login(client, user)
    page = client.get("/account/notifications").get_data(as_text=True)
    assert 'name="channel-bid.awarded"' in page
    client.post("/account/notifications", data={"channel-bid.awarded": "digest", "channel-bid.shortlisted": "bogus"})
    notify_one(db, user)
    notify_one(db, user, kind="bid.shortlisted")
    assert smtp_inbox.to("p@example.com") == []

    REGISTRY["mail.digest"].func()
    db.session.commit()
    digest = smtp_inbox.last_to("p@example.com")
    assert "2 new notifications" in digest["Subject"]
    assert "won the award" in text_of(digest) and "shortlisted" in text_of(digest)
    REGISTRY["mail.digest"].func()  # nothing new: no second digest
    db.session.commit()
    assert len(smtp_inbox.to("p@example.com")) == 1


def test_defaults_do_not_flood(db, smtp_inbox):
    firm = make_org()
    owner = make_user(firm, email="firm@example.com")
    db.session.commit()
    from marketplace.notifications.services import notify

    for n in range(5):
        notify([owner], "bid.received", "/demands/1", provider=f"P{n}", demand="D")
    for n in range(3):
        notify([owner], "message.received", "/bids/1/messages", sender=f"P{n}", demand="D")
    db.session.commit()
    # bid.received waits for the digest; three messages in a row send one email.
    assert len(smtp_inbox.to("firm@example.com")) == 1


def test_mail_log_is_for_the_operator_only(app, client, db, smtp_inbox):
    admin = make_user(make_org("operator", city=None), is_admin=True)
    other = make_user(make_org("provider"), email="p@example.com")
    db.session.commit()
    notify_one(db, other)
    message = db.session.scalar(sa.select(MailMessage))
    login(client, other)
    for url in ("/admin/mail", f"/admin/mail/{message.id}", f"/admin/mail/{message.id}/html"):
        assert client.get(url).status_code == 403
    assert client.post(f"/admin/mail/{message.id}/retry").status_code == 403
    admin_client = app.test_client()
    login(admin_client, admin)
    log = admin_client.get("/admin/mail").get_data(as_text=True)
    assert "p@example.com" in log
    detail = admin_client.get(f"/admin/mail/{message.id}")
    assert detail.status_code == 200 and "/bids/1" in detail.get_data(as_text=True)
    html = admin_client.get(f"/admin/mail/{message.id}/html")
    assert "sandbox" in html.headers["Content-Security-Policy"]
    assert admin_client.get("/admin/mail/99999").status_code == 404


def test_without_a_mail_server_mail_is_written_to_the_instance_folder(app, db, tmp_path):
    app.config["MAIL_SERVER"] = ""
    app.config["MAIL_FOLDER"] = str(tmp_path / "mailbox")
    user = make_user(make_org("provider"), email="p@example.com")
    db.session.commit()
    notify_one(db, user)
    message = db.session.scalar(sa.select(MailMessage))
    db.session.refresh(message)
    assert message.status == "sent" and message.file_name
    written = (tmp_path / "mailbox" / message.file_name).read_bytes()
    assert b"To: p@example.com" in written


def test_a_person_whose_mail_bounces_is_told_on_the_account_page(app, client, db, smtp_inbox):
    user = make_user(make_org("provider"), email="p@example.com")
    db.session.commit()
    smtp_inbox.refuse = True
    notify_one(db, user)
    login(client, user)
    assert 'data-testid="undelivered-mail"' in client.get("/account").get_data(as_text=True)
