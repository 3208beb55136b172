"""Questions on a demand (答疑): who may ask, public and private answers, anonymity, notices."""
from __future__ import annotations

import sqlalchemy as sa

from marketplace.notifications.models import Notification
from marketplace.questions.models import Question
from tests.conftest import login, make_bid, make_demand, make_org, make_pool, make_user


def setup_market(db):
    firm = make_org(name="潍坊华东动力")
    owner = make_user(firm, email="firm@example.com")
    demand = make_demand(firm)
    asker_org, bidder_org, stranger_org = make_org("provider", name="慧眼视觉"), make_org("provider", name="全智运维"), make_org("provider", name="旁观者")
    asker, bidder, stranger = make_user(asker_org), make_user(bidder_org), make_user(stranger_org)
    make_bid(demand, bidder_org)
    db.session.commit()
    return demand, owner, asker, bidder, stranger


def ask(client, demand, body="相机安装位置是否有限制？"):
    return client.post(f"/demands/{demand.id}/questions", data={"body": body})


def test_public_answer_is_seen_by_all_and_the_asker_stays_anonymous(app, db):
    demand, owner, asker, bidder, stranger = setup_market(db)
    c = app.test_client()
    login(c, asker)
    assert ask(c, demand).status_code == 302
    question = db.session.scalar(sa.select(Question))
    assert db.session.scalar(sa.select(Notification).where(Notification.user_id == owner.id, Notification.kind == "question.asked"))

    firm = app.test_client()
    login(firm, owner)
    page = firm.get(f"/demands/{demand.id}").get_data(as_text=True)
    assert "慧眼视觉" in page and "相机安装位置" in page  # the firm sees who asked
    assert firm.post(f"/questions/{question.id}/answer", data={"answer": "产线上方有 2 米净空。", "public": "y"}).status_code == 302

    public = app.test_client().get(f"/demands/{demand.id}").get_data(as_text=True)
    assert "2 米净空" in public and "相机安装位置" in public and "慧眼视觉" not in public
    told = set(db.session.scalars(sa.select(Notification.user_id).where(Notification.kind == "question.answered")))
    assert told == {asker.id, bidder.id}
    # A second answer to the same question is refused, not applied twice.
    assert firm.post(f"/questions/{question.id}/answer", data={"answer": "改了", "public": "y"}).status_code == 409


def test_private_answer_is_seen_by_the_asker_only(app, db):
    demand, owner, asker, bidder, stranger = setup_market(db)
    c = app.test_client()
    login(c, asker)
    ask(c, demand, "能否分期付款？")
    question = db.session.scalar(sa.select(Question))
    firm = app.test_client()
    login(firm, owner)
    firm.post(f"/questions/{question.id}/answer", data={"answer": "可以分两期。"})
    assert "可以分两期" in c.get(f"/demands/{demand.id}").get_data(as_text=True)
    other = app.test_client()
    login(other, bidder)
    page = other.get(f"/demands/{demand.id}").get_data(as_text=True)
    assert "能否分期付款" not in page and "可以分两期" not in page
    assert "能否分期付款" not in app.test_client().get(f"/demands/{demand.id}").get_data(as_text=True)
    told = set(db.session.scalars(sa.select(Notification.user_id).where(Notification.kind == "question.answered")))
    assert told == {asker.id}


def test_access_matrix_for_questions(app, db):
    demand, owner, asker, bidder, stranger = setup_market(db)
    c = app.test_client()
    login(c, asker)
    ask(c, demand)
    question = db.session.scalar(sa.select(Question))

    # Only the firm answers: the asker 403 (it knows the question), other providers 404.
    assert c.post(f"/questions/{question.id}/answer", data={"answer": "x"}).status_code == 403
    s = app.test_client()
    login(s, stranger)
    assert s.post(f"/questions/{question.id}/answer", data={"answer": "x"}).status_code == 404
    # A firm cannot ask; an anonymous visitor is sent to log in.
    firm = app.test_client()
    login(firm, owner)
    assert ask(firm, demand).status_code == 403
    assert app.test_client().post(f"/demands/{demand.id}/questions", data={"body": "?"}).status_code == 302
    # A pool-only demand the provider cannot see: 404, nothing stored.
    bureau = make_org("bureau", name="淄博工信局", city="zibo")
    hidden = make_demand(demand.org, title="池内需求", visibility="pool", pool_id=make_pool(bureau).id)
    db.session.commit()
    assert ask(s, hidden).status_code == 404
    # An empty question: the form again with a message, nothing stored.
    assert ask(c, demand, "  ").status_code == 400
    assert db.session.scalar(sa.select(sa.func.count(Question.id))) == 1


def test_demo_questions_load_once_and_keep_askers_anonymous(app, db):
    from marketplace.seeding import load_demo

    first = load_demo(db.session)
    db.session.commit()
    assert first.get("questions") == 4
    assert load_demo(db.session).get("questions", 0) == 0  # idempotent
    db.session.commit()
    question = db.session.scalar(sa.select(Question).where(Question.public.is_(True)))
    assert question.is_demo
    page = app.test_client().get(f"/demands/{question.demand_id}").get_data(as_text=True)
    assert question.answer in page and question.asker.name not in page.split('id="questions"')[1].split("</section>")[0]
