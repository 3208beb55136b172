"""The operator's pages: only admins; verification, deactivation and staff accounts are audited."""
import sqlalchemy as sa

from marketplace.audit.models import AuditEvent
from marketplace.auth.models import User
from marketplace.orgs.models import Organisation
from tests.conftest import TEST_PASSWORD, login, make_org, make_user, term


def admin_user():
    return make_user(make_org("operator", city=None, name="平台运营"), is_admin=True)


def test_only_admins_reach_admin_pages(client, db):
    firm_owner = make_user(make_org("manufacturer"))
    bureau_officer = make_user(make_org("bureau"))
    db.session.commit()
    assert client.get("/admin/users").status_code == 302  # to the login page
    for user in (firm_owner, bureau_officer):
        login(client, user)
        assert client.get("/admin/users").status_code == 403
        assert client.post(f"/admin/orgs/{firm_owner.org_id}/verify", data={"verified": "1"}).status_code == 403
        client.post("/logout")
    assert db.session.get(Organisation, firm_owner.org_id).verified is False


def test_admin_verifies_org_and_it_is_audited(client, db):
    admin = admin_user()
    provider = make_org("provider", name="示例视觉科技")
    db.session.commit()
    login(client, admin)
    assert "示例视觉科技" in client.get("/admin/orgs?kind=provider").get_data(as_text=True)
    client.post(f"/admin/orgs/{provider.id}/verify", data={"verified": "1"})
    assert db.session.get(Organisation, provider.id).verified
    assert db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "org.verified")).object_id == provider.id


def test_deactivated_user_is_logged_out_and_cannot_log_in(app, client, db):
    admin = admin_user()
    victim = make_user(make_org(), email="v@example.com")
    db.session.commit()
    victim_client = app.test_client()
    login(victim_client, victim)
    login(client, admin)
    client.post(f"/admin/users/{victim.id}/active", data={"active": "0"})
    assert victim_client.get("/account").status_code == 302
    response = app.test_client().post("/login", data={"email": "v@example.com", "password": TEST_PASSWORD})
    assert response.status_code == 200  # refused, the form is shown again


def test_admin_creates_bureau_officer_with_new_bureau(client, db):
    admin = admin_user()
    db.session.commit()
    login(client, admin)
    response = client.post("/admin/users/new", data={
        "kind": "bureau", "bureau_id": "0", "new_bureau_name": "淄博市工业和信息化局", "city_id": str(term("city", "zibo").id),
        "name": "赵处长", "email": "zhao@zibo.example", "password": "化工资源池评审2026"})
    assert response.status_code == 302
    officer = db.session.scalar(sa.select(User).where(User.email == "zhao@zibo.example"))
    assert officer.org.kind == "bureau" and officer.org.city.code == "zibo" and officer.kind == "bureau"


def test_new_bureau_needs_a_city_and_keeps_the_typed_values(client, db):
    admin = admin_user()
    db.session.commit()
    login(client, admin)
    html = client.post("/admin/users/new", data={
        "kind": "bureau", "bureau_id": "0", "new_bureau_name": "某市工信局", "city_id": "0",
        "name": "赵处长", "email": "zhao@zibo.example", "password": "化工资源池评审2026"}).get_data(as_text=True)
    assert 'value="某市工信局"' in html and 'value="zhao@zibo.example"' in html
    assert db.session.scalar(sa.select(User).where(User.email == "zhao@zibo.example")) is None


def test_create_user_command_for_bureau(runner, db):
    result = runner.invoke(args=["create-user", "--email", "officer@weifang.example", "--name", "孙科长", "--kind", "bureau",
                                 "--org-name", "潍坊市工业和信息化局", "--city", "weifang", "--password", "动力装备产业链2026"])
    assert result.exit_code == 0, result.output
    user = db.session.scalar(sa.select(User).where(User.email == "officer@weifang.example"))
    assert user.org.kind == "bureau" and user.org.city.code == "weifang"

    weak = runner.invoke(args=["create-user", "--email", "x@example.com", "--name", "x", "--kind", "admin", "--password", "password"])
    assert weak.exit_code != 0 and "common" in weak.output


def test_admin_lists_say_what_they_show_in_chinese(client, db):
    """Regression: the organisations table headed its names “姓名” (a person's name), and the platform-admin
    badge read “管理员”, the same word as an organisation's owner role."""
    admin = admin_user()
    make_org("provider", name="示例视觉科技")
    db.session.commit()
    login(client, admin)
    orgs = client.get("/admin/orgs").get_data(as_text=True)
    assert "<th>机构名称</th>" in orgs and "<th>姓名</th>" not in orgs
    users = client.get("/admin/users").get_data(as_text=True)
    assert "平台管理员</span>" in users
