"""Registration, login, logout, password change, members, rate limits and CSRF."""
import pytest
import sqlalchemy as sa

from marketplace.auth.models import LoginSession, User
from marketplace.orgs.credit_code import complete
from marketplace.orgs.models import Organisation
from tests.conftest import TEST_PASSWORD, base_config, require_env, csrf_token_from, login, make_org, make_user, term

VALID_CODE = complete("91370700MA3C5FJK7")


def registration(**overrides):
    data = {
        "org_kind": "manufacturer", "org_name": "潍坊示例铸造有限公司", "credit_code": VALID_CODE,
        "city_id": str(term("city", "weifang").id), "industry_id": str(term("industry", "C33").id), "size": "small",
        "name": "王经理", "email": "Owner@Example.com", "password": "铸件砂眼必须解决2026", "confirm": "铸件砂眼必须解决2026",
    }
    data.update(overrides)
    return data


def test_register_creates_org_and_owner_and_logs_in(client, db):
    response = client.post("/register", data=registration())
    assert response.status_code == 302
    org = db.session.scalar(sa.select(Organisation).where(Organisation.credit_code == VALID_CODE))
    assert org.kind == "manufacturer" and org.city.code == "weifang"
    owner = org.users[0]
    assert owner.email == "owner@example.com" and owner.org_role == "owner"
    assert owner.password_hash.startswith("$argon2id$")
    assert "王经理" in client.get("/").get_data(as_text=True)


def test_register_keeps_input_and_explains_bad_credit_code(client, db):
    response = client.post("/register", data=registration(credit_code="91370700MA3C5FJK7X"))
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "统一社会信用代码" in html and "GB 32100-2015" in html
    assert 'value="潍坊示例铸造有限公司"' in html  # what was typed is kept
    assert db.session.scalar(sa.select(sa.func.count(Organisation.id))) == 0


@pytest.mark.parametrize("password, message", [
    ("short1", "至少"),
    ("password123", "常见"),
    ("x" * 129, "最多"),
])
def test_password_policy(client, password, message):
    html = client.post("/register", data=registration(password=password, confirm=password)).get_data(as_text=True)
    assert message in html


def test_duplicate_credit_code_and_email_refused(client, db):
    existing = make_org("manufacturer", credit_code=VALID_CODE)
    make_user(existing, email="owner@example.com")
    db.session.commit()
    html = client.post("/register", data=registration()).get_data(as_text=True)
    assert "已存在" in html or "已注册" in html
    assert db.session.scalar(sa.select(sa.func.count(Organisation.id))) == 1


def test_long_passphrase_up_to_128_accepted(client, db):
    phrase = "潍坊柴油机缸体铸造车间" * 10 + "12345678"
    assert len(phrase) == 118
    assert client.post("/register", data=registration(password=phrase, confirm=phrase)).status_code == 302


def test_login_wrong_password_says_so_without_revealing_which(client, db):
    user = make_user(make_org(), email="a@example.com")
    db.session.commit()
    html = client.post("/login", data={"email": "a@example.com", "password": "wrong-password"}).get_data(as_text=True)
    assert "邮箱或密码不正确" in html
    html_unknown = client.post("/login", data={"email": "nobody@example.com", "password": "wrong-password"}).get_data(as_text=True)
    assert "邮箱或密码不正确" in html_unknown
    assert user.last_login_at is None


def test_login_gives_fresh_session_and_logout_really_ends_it(client, db):
    user = make_user(make_org(), email="a@example.com")
    db.session.commit()
    with client.session_transaction() as session:
        session["planted"] = "by-an-attacker"
    login(client, user)
    with client.session_transaction() as session:
        assert "planted" not in session  # session fixation: nothing from before login survives
        saved_cookie = dict(session)
    assert client.get("/account").status_code == 200

    client.post("/logout")
    assert client.get("/account").status_code == 302  # redirected to login
    assert db.session.scalar(sa.select(sa.func.count(LoginSession.id))) == 0

    # Replaying the old session cookie does not log back in: the server-side session is gone.
    with client.session_transaction() as session:
        session.update(saved_cookie)
    assert client.get("/account").status_code == 302


def test_logout_requires_post(client, db):
    user = make_user(make_org())
    db.session.commit()
    login(client, user)
    assert client.get("/logout").status_code == 405
    assert client.get("/account").status_code == 200


def test_password_change_requires_current_and_ends_other_sessions(app, db):
    user = make_user(make_org(), email="a@example.com")
    db.session.commit()
    laptop, phone = app.test_client(), app.test_client()
    login(laptop, user)
    login(phone, user)

    html = laptop.post("/account/password", data={"current_password": "not-it", "new_password": "新的长密码2026abc",
                                                   "confirm": "新的长密码2026abc"}).get_data(as_text=True)
    assert "当前密码不正确" in html

    response = laptop.post("/account/password", data={"current_password": TEST_PASSWORD,
                                                       "new_password": "新的长密码2026abc", "confirm": "新的长密码2026abc"})
    assert response.status_code == 302
    assert laptop.get("/account").status_code == 200  # this device continues
    assert phone.get("/account").status_code == 302  # the other device is logged out
    assert login(app.test_client(), user, "新的长密码2026abc")


def test_owner_adds_member_and_member_cannot_manage(client, db):
    org = make_org()
    owner = make_user(org, email="owner@example.com")
    db.session.commit()
    login(client, owner)
    response = client.post("/account/members", data={"name": "李工", "email": "li@example.com",
                                                      "password": "车间设备联网2026", "org_role": "member"})
    assert response.status_code == 302
    member = db.session.scalar(sa.select(User).where(User.email == "li@example.com"))
    assert member.org_id == org.id and member.org_role == "member"

    member_client = client.application.test_client()
    login(member_client, member, "车间设备联网2026")
    assert member_client.post(f"/account/members/{owner.id}/deactivate").status_code == 403


def test_last_owner_cannot_be_demoted(client, db):
    owner = make_user(make_org())
    db.session.commit()
    login(client, owner)
    client.post(f"/account/members/{owner.id}/role", data={"org_role": "member"})
    assert db.session.get(User, owner.id).org_role == "owner"


def test_cannot_touch_members_of_another_org(client, db):
    owner = make_user(make_org())
    stranger = make_user(make_org(), org_role="member")
    db.session.commit()
    login(client, owner)
    assert client.post(f"/account/members/{stranger.id}/role", data={"org_role": "owner"}).status_code == 404
    assert db.session.get(User, stranger.id).org_role == "member"


class TestRateLimit:
    @pytest.fixture
    def app_config(self, tmp_path):
        return base_config(tmp_path, RATELIMIT_ENABLED=True, LOGIN_LIMIT_PER_ACCOUNT="3 per 15 minutes",
                           LOGIN_LIMIT_PER_ADDRESS="5 per 15 minutes")

    def test_failed_logins_per_account_get_429(self, client, db):
        make_user(make_org(), email="a@example.com")
        db.session.commit()
        for _ in range(3):
            assert client.post("/login", data={"email": "a@example.com", "password": "wrong-password"}).status_code == 200
        response = client.post("/login", data={"email": "a@example.com", "password": TEST_PASSWORD})
        assert response.status_code == 429
        assert "尝试次数过多" in response.get_data(as_text=True)

    def test_per_address_limit_spans_accounts(self, client, db):
        for n in range(5):
            client.post("/login", data={"email": f"user{n}@example.com", "password": "wrong-password"})
        assert client.post("/login", data={"email": "other@example.com", "password": "x"}).status_code == 429

    def test_locked_out_login_keeps_the_form_and_says_why_beside_it(self, client, db):
        """Regression: a locked-out user got a bare 429 page whose only button led to the home page."""
        for _ in range(3):
            client.post("/login", data={"email": "a@example.com", "password": "wrong-password"})
        response = client.post("/login", data={"email": "a@example.com", "password": "again"})
        html = response.get_data(as_text=True)
        assert response.status_code == 429
        assert 'value="a@example.com"' in html and 'name="password"' in html
        assert "登录失败的尝试次数过多" in html and "invalid-feedback" in html


class TestCsrf:
    @pytest.fixture
    def app_config(self, tmp_path):
        return base_config(tmp_path, WTF_CSRF_ENABLED=True)

    def test_state_change_without_token_is_refused(self, client, db):
        user = make_user(make_org(), email="a@example.com")
        db.session.commit()
        response = client.post("/login", data={"email": "a@example.com", "password": TEST_PASSWORD})
        assert response.status_code == 400
        assert "表单已过期" in response.get_data(as_text=True) or "重新" in response.get_data(as_text=True)

        token = csrf_token_from(client.get("/login").get_data(as_text=True))
        response = client.post("/login", data={"email": "a@example.com", "password": TEST_PASSWORD, "csrf_token": token})
        assert response.status_code == 302
        # Logged in; logging out without the (new) token is refused and the session survives.
        assert client.post("/logout").status_code == 400
        assert client.get("/account").status_code == 200
        assert user.id


class TestRateLimitSharedInRedis:
    """With several gunicorn workers the counters live in Redis, so every worker sees them."""

    @pytest.fixture
    def app_config(self, tmp_path):
        import uuid

        url = require_env("TEST_REDIS_URL")
        return base_config(tmp_path, RATELIMIT_ENABLED=True, RATELIMIT_STORAGE_URI=url,
                           SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'shared.sqlite3'}",
                           RATELIMIT_KEY_PREFIX=f"test-{uuid.uuid4().hex}", LOGIN_LIMIT_PER_ACCOUNT="2 per 15 minutes")

    def test_limit_counts_across_two_app_instances(self, app, app_config, db, tmp_path):
        from marketplace import create_app

        make_user(make_org(), email="a@example.com")
        db.session.commit()
        worker_a = app.test_client()
        worker_b = create_app(app_config).test_client()
        assert worker_a.post("/login", data={"email": "a@example.com", "password": "wrong-password"}).status_code == 200
        # worker_a shares the fixture's app context, so its session outlives the request; end it as a
        # real worker would, or its write transaction (BEGIN IMMEDIATE on SQLite) blocks worker_b.
        db.session.remove()
        assert worker_b.post("/login", data={"email": "a@example.com", "password": "wrong-password"}).status_code == 200
        assert worker_a.post("/login", data={"email": "a@example.com", "password": "wrong-password"}).status_code == 429


def test_new_organisations_land_on_their_first_step_not_the_home_page(client, db):
    """A new provider was dropped on the public home page with nothing telling it what to do next."""
    response = client.post("/register", data=registration(org_kind="provider"))
    assert response.headers["Location"].endswith("/profile")
    assert "请先完善企业资料" in client.get("/profile").get_data(as_text=True)
    client.post("/logout")
    firm = client.post("/register", data=registration(credit_code=complete("91370700MA3C5FJK0"),
                                                      email="firm@example.com"))
    assert firm.headers["Location"].endswith("/demands/mine")


def test_register_explains_that_an_empty_city_means_outside_shandong(client):
    """Profiles show “山东省外” for organisations without a city; the form now says so when it is left empty."""
    assert "如贵单位不在山东省内，可不选。" in client.get("/register").get_data(as_text=True)
