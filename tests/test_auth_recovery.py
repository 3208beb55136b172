"""Password reset by emailed one-time link (end to end through SMTP), email verification, and the
own password an account created by someone else must choose at first login."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from marketplace.auth.models import AccountToken, User
from marketplace.db import utc_now
from tests.conftest import TEST_PASSWORD, base_config, login, make_org, make_user
from tests.mail_helpers import links_in, mail_config, smtp_inbox, text_of  # noqa: F401

NEW_PASSWORD = "潍坊动力装备新密码2026"


@pytest.fixture
def app_config(tmp_path, smtp_inbox):
    return base_config(tmp_path, **mail_config(smtp_inbox))


def reset_link(inbox, address: str) -> str:
    links = [u for u in links_in(text_of(inbox.last_to(address))) if "/password/reset/" in u]
    assert links, "no reset link in the mail"
    return links[0].replace("http://localhost", "")


def test_reset_end_to_end_through_smtp(app, client, db, smtp_inbox):
    user = make_user(make_org(), email="owner@example.com", locale="en")
    db.session.commit()
    other_device = app.test_client()
    login(other_device, user)

    response = client.post("/password/forgot", data={"email": "Owner@Example.com "})
    assert response.status_code == 302
    mail = smtp_inbox.last_to("owner@example.com")
    assert "Reset your password" in mail["Subject"] and "one hour" in text_of(mail)
    assert mail["List-Unsubscribe"] is None  # account mail cannot be switched off
    path = reset_link(smtp_inbox, "owner@example.com")

    form = client.get(path)
    assert form.status_code == 200 and "owner@example.com" in form.get_data(as_text=True)
    mismatch = client.post(path, data={"new_password": NEW_PASSWORD, "confirm": "something else 2026"})
    assert mismatch.status_code == 200 and "两次输入的密码不一致" in mismatch.get_data(as_text=True)
    done = client.post(path, data={"new_password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert done.status_code == 302
    assert client.get("/account").status_code == 200  # logged in with the new password's session

    assert other_device.get("/account").status_code == 302  # the other session ended
    fresh = app.test_client()
    assert fresh.post("/login", data={"email": user.email, "password": TEST_PASSWORD}).status_code == 200
    login(fresh, user, NEW_PASSWORD)
    assert db.session.get(User, user.id).email_verified_at is not None

    english = app.test_client()
    english.set_cookie("locale", "en")
    reused = english.get(path)
    assert reused.status_code == 410 and "already been used" in reused.get_data(as_text=True)
    reused_post = app.test_client().post(path, data={"new_password": "yet another phrase 2026", "confirm": "yet another phrase 2026"})
    assert reused_post.status_code == 410
    fresh2 = app.test_client()
    login(fresh2, user, NEW_PASSWORD)  # the password was not changed again


def test_same_answer_whether_or_not_the_address_has_an_account(client, db, smtp_inbox):
    make_user(make_org(), email="known@example.com", locale="en")
    db.session.commit()
    known = client.post("/password/forgot", data={"email": "known@example.com"}, follow_redirects=True).get_data(as_text=True)
    unknown = client.post("/password/forgot", data={"email": "nobody@example.com"}, follow_redirects=True).get_data(as_text=True)
    def strip(html: str, address: str) -> str:  # the address typed and the (time-stamped) CSRF tokens differ
        return re.sub(r'name="csrf_token" value="[^"]+"', "", html.replace(address, "ADDRESS"))

    assert strip(known, "known@example.com") == strip(unknown, "nobody@example.com")
    assert [m["To"] for m in smtp_inbox.messages] == ["known@example.com"]


def test_expired_link_says_so_and_changes_nothing(app, client, db, smtp_inbox):
    user = make_user(make_org(), email="owner@example.com", locale="en")
    db.session.commit()
    client.post("/password/forgot", data={"email": "owner@example.com"})
    path = reset_link(smtp_inbox, "owner@example.com")
    token = db.session.scalar(sa.select(AccountToken))
    token.created_at = token.expires_at = utc_now() - timedelta(minutes=1)
    db.session.commit()
    client.set_cookie("locale", "en")
    page = client.get(path)
    assert page.status_code == 410 and "expired" in page.get_data(as_text=True)
    assert client.post(path, data={"new_password": NEW_PASSWORD, "confirm": NEW_PASSWORD}).status_code == 410
    login(app.test_client(), user)  # the old password still works
    assert client.get("/password/reset/not-a-token").status_code == 404


def test_a_newer_link_replaces_the_older_one(client, db, smtp_inbox):
    make_user(make_org(), email="owner@example.com", locale="en")
    db.session.commit()
    client.post("/password/forgot", data={"email": "owner@example.com"})
    first = reset_link(smtp_inbox, "owner@example.com")
    client.post("/password/forgot", data={"email": "owner@example.com"})
    second = reset_link(smtp_inbox, "owner@example.com")
    assert first != second
    assert client.get(first).status_code == 410 and client.get(second).status_code == 200


class TestRateLimit:
    @pytest.fixture
    def app_config(self, tmp_path, smtp_inbox):
        return base_config(tmp_path, RATELIMIT_ENABLED=True, RESET_LIMIT_PER_ACCOUNT="2 per hour", **mail_config(smtp_inbox))

    def test_reset_requests_are_rate_limited_per_address(self, client, db, smtp_inbox):
        make_user(make_org(), email="owner@example.com", locale="en")
        db.session.commit()
        client.set_cookie("locale", "en")
        for _ in range(2):
            assert client.post("/password/forgot", data={"email": "owner@example.com"}).status_code == 302
        limited = client.post("/password/forgot", data={"email": "owner@example.com"})
        assert limited.status_code == 429
        html = limited.get_data(as_text=True)
        assert "Too many reset requests" in html and 'value="owner@example.com"' in html
        assert len(smtp_inbox.to("owner@example.com")) == 2
        # An address without an account is limited the same way: the limit reveals nothing.
        for _ in range(2):
            client.post("/password/forgot", data={"email": "nobody@example.com"})
        assert client.post("/password/forgot", data={"email": "nobody@example.com"}).status_code == 429


def test_registration_sends_a_verification_link(app, client, db, smtp_inbox):
    from tests.test_auth import registration

    client.post("/register", data=registration(email="new@example.com"))
    user = db.session.scalar(sa.select(User).where(User.email == "new@example.com"))
    assert user is not None and user.email_verified_at is None
    mail = smtp_inbox.last_to("new@example.com")
    link = [u for u in links_in(text_of(mail)) if "/verify/" in u][0].replace("http://localhost", "")
    assert client.get(link).status_code == 200
    db.session.refresh(user)
    assert user.email_verified_at is None  # opening the link (a mail scanner) changes nothing
    assert client.post(link).status_code == 302
    db.session.refresh(user)
    assert user.email_verified_at is not None
    assert client.get(link).status_code == 410


def test_member_added_by_the_owner_chooses_an_own_password_at_first_login(app, client, db, smtp_inbox):
    owner = make_user(make_org(), email="owner@example.com")
    db.session.commit()
    login(client, owner)
    client.post("/account/members", data={"name": "李工", "email": "li@example.com", "password": "车间设备联网2026", "org_role": "member"})
    member = db.session.scalar(sa.select(User).where(User.email == "li@example.com"))
    assert member.must_set_password

    member_client = app.test_client()
    login(member_client, member, "车间设备联网2026")
    response = member_client.get("/demands/mine")
    assert response.status_code == 302 and "/account/first-password" in response.headers["Location"]
    same = member_client.post("/account/first-password", data={"new_password": "车间设备联网2026", "confirm": "车间设备联网2026"})
    assert same.status_code == 200  # the given password is refused, with a message
    member_client.post("/account/first-password", data={"new_password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    db.session.refresh(member)
    assert not member.must_set_password
    assert member_client.get("/account").status_code == 200
