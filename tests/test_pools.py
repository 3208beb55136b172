"""Pools: creating and running a pool, reviewing applications, members, the public pages."""
from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
import sqlalchemy as sa

from tests.conftest import login, make_org, make_pool, make_user, term
from tests.conftest import make_application as make_unscored_application


def make_application(pool, provider, scored: bool = True, **fields):
    """An application; by default fully scored on the pool's rubric, as admission requires."""
    from decimal import Decimal

    from marketplace.pools.models import ApplicationScore

    application = make_unscored_application(pool, provider, **fields)
    if scored:
        application.scores = [ApplicationScore(rubric_item_id=item.id, points=Decimal(item.max_points) / 2)
                              for item in pool.rubric_items]
    return application


@pytest.fixture
def zibo(db):
    bureau = make_org("bureau", "淄博市工业和信息化局", city="zibo")
    officer = make_user(bureau, name="王科长")
    provider_a = make_org("provider", "鲁智科技", city="jinan")
    provider_b = make_org("provider", "齐云智能", city="qingdao")
    user_a, user_b = make_user(provider_a), make_user(provider_b)
    pool = make_pool(bureau)
    db.session.commit()
    return {"bureau": bureau, "officer": officer, "a": provider_a, "b": provider_b, "user_a": user_a,
            "user_b": user_b, "pool": pool}


@pytest.fixture
def ctx(app):
    """A request context for calling services directly (messages are translated lazily)."""
    with app.test_request_context():
        yield


def notes(db, org, kind):
    from marketplace.notifications.models import Notification

    return db.session.scalars(sa.select(Notification).where(Notification.kind == kind,
                                                            Notification.user_id.in_([u.id for u in org.users]))).all()


def events(db, action):
    from marketplace.audit.models import AuditEvent

    return db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == action)).all()


POOL_FORM = {
    "name": "淄博市化工行业AI服务商资源池", "city_id": None, "description": "面向化工园区",
    "criteria": "近三年在化工行业有落地案例", "opens_on": "", "closes_on": "", "quota": "2", "recheck_months": "12",
    "rubric-0-name": "技术能力", "rubric-0-max_points": "60", "rubric-1-name": "行业案例", "rubric-1-max_points": "40",
}


# ----------------------------------------------------------------------------- create, edit, call

def test_officer_creates_pool_with_rubric_once(client, zibo, db):
    from marketplace.pools.models import Pool

    login(client, zibo["officer"])
    page = client.get("/pools/new").get_data(as_text=True)
    nonce = page.split('name="nonce" type="hidden" value="')[1].split('"')[0]
    form = dict(POOL_FORM, city_id=str(term("city", "zibo").id), nonce=nonce,
                industry_ids=[str(term("industry", "C26").id)], scenario_ids=[str(term("scenario", "process_safety_chemical").id)])
    first = client.post("/pools/new", data=form)
    assert first.status_code == 302
    second = client.post("/pools/new", data=form)  # double click / resend
    assert second.status_code == 302
    pools = db.session.scalars(sa.select(Pool).where(Pool.name == POOL_FORM["name"])).all()
    assert len(pools) == 1
    pool = pools[0]
    assert pool.status == "draft" and pool.quota == 2 and pool.recheck_months == 12
    assert [(i.name, i.max_points) for i in pool.rubric_items] == [("技术能力", 60), ("行业案例", 40)]
    assert [t.code for t in pool.scenarios] == ["process_safety_chemical"]
    assert events(db, "pool.created")


def test_pool_form_errors_are_shown_beside_fields_and_input_kept(client, zibo):
    login(client, zibo["officer"])
    form = dict(POOL_FORM, name="", city_id=str(term("city", "zibo").id), opens_on="2026-05-01", closes_on="2026-04-01",
                **{"rubric-2-name": "服务保障"})
    response = client.post("/pools/new", data=form)
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Please enter the pool’s name" in html or "资源池名称" in html
    assert "近三年在化工行业有落地案例" in html  # what was typed is kept
    assert html.count("invalid-feedback") >= 3  # name, closing date, missing max points


def test_rubric_points_without_an_item_name_are_not_silently_dropped(client, zibo, db):
    from marketplace.pools.models import Pool

    login(client, zibo["officer"])
    form = dict(POOL_FORM, city_id=str(term("city", "zibo").id), **{"rubric-2-max_points": "20"})
    response = client.post("/pools/new", data=form)
    assert response.status_code == 400 and "请填写该项名称，或清除其分值" in response.get_data(as_text=True)
    assert not db.session.scalars(sa.select(Pool).where(Pool.name == POOL_FORM["name"])).all()


def test_edit_pool_stale_version_is_refused_with_text_kept(client, zibo, db):
    pool = zibo["pool"]
    login(client, zibo["officer"])
    form = dict(POOL_FORM, name="新名字-第二个标签页", city_id=str(pool.city_id), version=str(pool.version - 1 or 99))
    response = client.post(f"/pools/{pool.id}/edit", data=form)
    assert response.status_code == 409
    assert "新名字-第二个标签页" in response.get_data(as_text=True)
    db.session.refresh(pool)
    assert pool.name != "新名字-第二个标签页"


def test_rubric_is_fixed_once_scoring_started(client, zibo, db):
    from marketplace.pools import review

    pool = zibo["pool"]
    application = make_application(pool, zibo["a"])
    review.save_scores(application, zibo["officer"], application.version, {pool.rubric_items[0].id: (30, "")})
    db.session.commit()
    login(client, zibo["officer"])
    form = dict(POOL_FORM, city_id=str(pool.city_id), version=str(pool.version))
    response = client.post(f"/pools/{pool.id}/edit", data=form)
    assert response.status_code == 400
    assert len(pool.rubric_items) == 3


def test_open_and_close_the_call(client, zibo, db):
    from marketplace.pools.services import accepting_applications

    pool = zibo["pool"]
    pool.status = "draft"
    db.session.commit()
    login(client, zibo["officer"])
    assert client.post(f"/pools/{pool.id}/call/open", data={"version": pool.version}).status_code == 302
    db.session.refresh(pool)
    assert pool.status == "open" and accepting_applications(pool)
    client.post(f"/pools/{pool.id}/call/close", data={"version": pool.version})
    db.session.refresh(pool)
    assert pool.status == "closed" and not accepting_applications(pool)
    assert events(db, "pool.opened") and events(db, "pool.closed")
    # A stale button (old version) changes nothing and says so.
    stale = client.post(f"/pools/{pool.id}/call/open", data={"version": pool.version - 1})
    assert stale.status_code == 409 and 'data-testid="problem"' in stale.get_data(as_text=True)
    db.session.refresh(pool)
    assert pool.status == "closed"


def test_window_decides_whether_applications_are_accepted(zibo):
    from marketplace.pools.services import accepting_applications

    pool = zibo["pool"]
    today = date.today()
    assert accepting_applications(pool, today)
    assert not accepting_applications(pool, pool.closes_on + timedelta(days=1))
    assert not accepting_applications(pool, pool.opens_on - timedelta(days=1))


# ----------------------------------------------------------------------------- review

def test_scores_are_saved_per_item_with_comments(client, zibo, db):
    pool = zibo["pool"]
    application = make_application(pool, zibo["a"])
    db.session.commit()
    items = pool.rubric_items
    login(client, zibo["officer"])
    response = client.post(f"/pools/applications/{application.id}/scores", data={
        f"points_{items[0].id}": "35", f"comment_{items[0].id}": "算法扎实",
        f"points_{items[1].id}": "25.5", f"points_{items[2].id}": "", "version": application.version})
    assert response.status_code == 302
    db.session.refresh(application)
    assert application.status == "under_review"
    assert float(application.total_score) == 60.5
    assert {s.rubric_item.name: s.comment for s in application.scores} == {"技术能力": "算法扎实", "行业案例": ""}
    assert notes(db, zibo["a"], "application.under_review")


def test_score_above_maximum_is_refused_beside_the_field(client, zibo, db):
    pool = zibo["pool"]
    application = make_application(pool, zibo["a"])
    db.session.commit()
    item = pool.rubric_items[0]
    login(client, zibo["officer"])
    response = client.post(f"/pools/applications/{application.id}/scores", data={
        f"points_{item.id}": "41", f"comment_{item.id}": "超出了", "version": application.version})
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "0 到 40" in html or "Between 0 and 40" in html
    assert "超出了" in html


def test_admit_and_reject_are_audited_and_notified(client, zibo, db):
    pool = zibo["pool"]
    app_a, app_b = make_application(pool, zibo["a"]), make_application(pool, zibo["b"])
    db.session.commit()
    login(client, zibo["officer"])
    assert client.post(f"/pools/applications/{app_a.id}/decision",
                       data={"decision": "admit", "batch": "首批入库", "version": app_a.version}).status_code == 302
    missing_reason = client.post(f"/pools/applications/{app_b.id}/decision", data={"decision": "reject", "version": app_b.version})
    assert missing_reason.status_code == 400
    assert client.post(f"/pools/applications/{app_b.id}/decision",
                       data={"decision": "reject", "reason": "缺少化工行业案例", "version": app_b.version}).status_code == 302
    db.session.refresh(app_a)
    db.session.refresh(app_b)
    assert (app_a.status, app_a.batch, app_a.decided_by_id) == ("admitted", "首批入库", zibo["officer"].id)
    assert (app_b.status, app_b.decision_reason) == ("rejected", "缺少化工行业案例")
    assert notes(db, zibo["a"], "application.admitted") and notes(db, zibo["b"], "application.rejected")
    assert events(db, "application.admitted")[0].actor_user_id == zibo["officer"].id
    assert events(db, "application.rejected")[0].detail["reason"] == "缺少化工行业案例"


def test_deciding_twice_from_two_tabs_keeps_one_decision(client, zibo, db):
    pool = zibo["pool"]
    application = make_application(pool, zibo["a"])
    db.session.commit()
    version = application.version  # both tabs loaded the page now
    login(client, zibo["officer"])
    first = client.post(f"/pools/applications/{application.id}/decision",
                        data={"decision": "admit", "batch": "首批入库", "version": version})
    assert first.status_code == 302
    second = client.post(f"/pools/applications/{application.id}/decision",
                         data={"decision": "reject", "reason": "第二个标签页写的理由", "version": version})
    assert second.status_code == 409
    html = second.get_data(as_text=True)
    assert "第二个标签页写的理由" in html  # the text typed in the second tab is kept
    assert "已入库" in html or "Admitted" in html  # and it says what the decision is
    db.session.refresh(application)
    assert application.status == "admitted"
    assert len(events(db, "application.admitted")) == 1 and not events(db, "application.rejected")


def test_quota_is_enforced_one_by_one(zibo, db, ctx):
    from marketplace.pools import review
    from marketplace.pools.errors import PoolError

    pool = zibo["pool"]
    pool.quota = 1
    app_a, app_b = make_application(pool, zibo["a"]), make_application(pool, zibo["b"])
    review.admit(app_a, zibo["officer"], app_a.version, "首批入库")
    with pytest.raises(PoolError, match="quota|名额"):
        review.admit(app_b, zibo["officer"], app_b.version, "首批入库")
    assert app_b.status == "submitted"


def test_batch_admission_within_quota(client, zibo, db):
    pool = zibo["pool"]
    pool.quota = 2
    third = make_org("provider", "泰山视觉")
    apps = [make_application(pool, org) for org in (zibo["a"], zibo["b"], third)]
    db.session.commit()
    login(client, zibo["officer"])
    too_many = client.post(f"/pools/{pool.id}/applications/admit",
                           data={"batch": "首批入库", "application_ids": [str(a.id) for a in apps]})
    assert too_many.status_code == 400
    assert "2" in too_many.get_data(as_text=True)
    assert all(a.status == "submitted" for a in apps)
    ok = client.post(f"/pools/{pool.id}/applications/admit",
                     data={"batch": "首批入库", "application_ids": [str(apps[0].id), str(apps[1].id)]})
    assert ok.status_code == 302
    for a in apps:
        db.session.refresh(a)
    assert [a.status for a in apps] == ["admitted", "admitted", "submitted"]
    assert {a.batch for a in apps[:2]} == {"首批入库"}
    assert events(db, "pool.batch_admitted")
    assert notes(db, zibo["a"], "application.admitted")


def test_batch_refused_when_one_was_decided_in_another_tab(client, zibo, db):
    from marketplace.pools import review

    pool = zibo["pool"]
    app_a, app_b = make_application(pool, zibo["a"]), make_application(pool, zibo["b"])
    db.session.commit()
    with client.application.test_request_context():
        review.reject(app_b, zibo["officer"], app_b.version, "另一个标签页已处理")
    db.session.commit()
    login(client, zibo["officer"])
    response = client.post(f"/pools/{pool.id}/applications/admit",
                           data={"batch": "首批入库", "application_ids": [str(app_a.id), str(app_b.id)]})
    assert response.status_code == 409
    assert "齐云智能" in response.get_data(as_text=True)
    db.session.refresh(app_a)
    assert app_a.status == "submitted"


def test_late_application_cannot_be_admitted(zibo, db, ctx):
    from marketplace.pools import review
    from marketplace.pools.errors import PoolError

    pool = zibo["pool"]
    late = make_application(pool, zibo["a"], submitted_at=datetime.combine(pool.closes_on + timedelta(days=1), datetime.min.time()))
    with pytest.raises(PoolError, match="window|申报时间"):
        review.admit(late, zibo["officer"], late.version)
    review.reject(late, zibo["officer"], late.version, "逾期提交")
    assert late.status == "rejected"


def test_draft_pool_cannot_decide(zibo, db, ctx):
    from marketplace.pools import review
    from marketplace.pools.errors import PoolError

    pool = zibo["pool"]
    pool.status = "draft"
    application = make_application(pool, zibo["a"])
    with pytest.raises(PoolError):
        review.admit(application, zibo["officer"], application.version)


# ----------------------------------------------------------------------------- appeals

def test_rejected_provider_appeals_once_and_bureau_reopens(app, client, zibo, db):
    with app.test_request_context():
        from marketplace.pools import services
        from marketplace.pools.errors import PoolError

        pool = zibo["pool"]
        application = make_application(pool, zibo["a"])
        with pytest.raises(PoolError):  # not rejected yet
            services.appeal(application, zibo["user_a"], "请复核")
        from marketplace.pools import review

        review.reject(application, zibo["officer"], application.version, "材料不全")
        with pytest.raises(PoolError):  # someone else's application
            services.appeal(application, zibo["user_b"], "请复核")
        with pytest.raises(PoolError):
            services.appeal(application, zibo["user_a"], "  ")
        services.appeal(application, zibo["user_a"], "我们已补充化工案例，请复核。")
        db.session.commit()
        assert notes(db, zibo["bureau"], "application.appealed")
        with pytest.raises(PoolError, match="once|一次"):
            services.appeal(application, zibo["user_a"], "再次申诉")

    login(client, zibo["officer"])
    queue = client.get(f"/pools/{pool.id}/applications?status=appealed").get_data(as_text=True)
    assert "鲁智科技" in queue
    response = client.post(f"/pools/applications/{application.id}/appeal",
                           data={"outcome": "reopen", "reason": "补充材料属实", "version": application.version})
    assert response.status_code == 302
    db.session.refresh(application)
    assert (application.status, application.appeal_outcome) == ("under_review", "reopened")
    assert notes(db, zibo["a"], "application.appeal_reopened")
    assert events(db, "application.appeal_reopened")


def test_upheld_appeal_keeps_rejection(zibo, db, ctx):
    from marketplace.pools import review, services

    application = make_application(zibo["pool"], zibo["a"])
    review.reject(application, zibo["officer"], application.version, "材料不全")
    services.appeal(application, zibo["user_a"], "请复核")
    review.answer_appeal(application, zibo["officer"], application.version, "uphold", "复核后维持原决定")
    assert (application.status, application.appeal_outcome) == ("rejected", "upheld")
    assert notes(db, zibo["a"], "application.appeal_upheld")


# ----------------------------------------------------------------------------- members

def admitted_member(client, zibo, db):
    """An application of provider a, admitted to the pool, with the officer logged in."""
    from marketplace.pools import review

    application = make_application(zibo["pool"], zibo["a"])
    review.admit(application, zibo["officer"], application.version, "首批入库")
    db.session.commit()
    login(client, zibo["officer"])
    return zibo["pool"], application


def test_suspend_reinstate_and_remove_members(client, zibo, db):
    pool, application = admitted_member(client, zibo, db)
    prefix = f"m{application.id}-"
    no_reason = client.post(f"/pools/{pool.id}/members/{application.id}/status",
                            data={prefix + "action": "suspend", prefix + "version": application.version})
    assert no_reason.status_code == 400
    client.post(f"/pools/{pool.id}/members/{application.id}/status",
                data={prefix + "action": "suspend", prefix + "reason": "项目投诉待核实", prefix + "version": application.version})
    db.session.refresh(application)
    assert application.status == "suspended"
    assert notes(db, zibo["a"], "application.suspended")
    client.post(f"/pools/{pool.id}/members/{application.id}/status",
                data={prefix + "action": "reinstate", prefix + "version": application.version})
    db.session.refresh(application)
    assert application.status == "admitted"
    client.post(f"/pools/{pool.id}/members/{application.id}/status",
                data={prefix + "action": "remove", prefix + "reason": "资质过期", prefix + "version": application.version})
    db.session.refresh(application)
    assert application.status == "removed"
    assert notes(db, zibo["a"], "application.removed") and notes(db, zibo["a"], "application.reinstated")
    assert [e.action for e in events(db, "application.suspended")] == ["application.suspended"]


def test_member_actions_offered_fit_the_members_status(client, zibo, db):
    from marketplace.pools import review

    pool, application = admitted_member(client, zibo, db)
    select = client.get(f"/pools/{pool.id}/members").get_data(as_text=True).split(f'name="m{application.id}-action"')[1].split("</select>")[0]
    assert 'value="suspend"' in select and 'value="remove"' in select and 'value="reinstate"' not in select
    review.member_action(application, zibo["officer"], application.version, "suspend", "项目投诉待核实")
    db.session.commit()
    select = client.get(f"/pools/{pool.id}/members").get_data(as_text=True).split(f'name="m{application.id}-action"')[1].split("</select>")[0]
    assert 'value="reinstate"' in select and 'value="suspend"' not in select


def test_recheck_due_and_failed_recheck_suspends(zibo, db, ctx):
    from marketplace.pools import review

    pool = zibo["pool"]
    pool.recheck_months = 6
    application = make_application(pool, zibo["a"])
    review.admit(application, zibo["officer"], application.version)
    assert not review.due_for_recheck(application)
    application.last_checked_on = date.today() - timedelta(days=200)
    assert review.due_for_recheck(application)
    review.recheck(application, zibo["officer"], application.version, True, "资质齐全")
    assert application.last_checked_on == date.today() and application.status == "admitted"
    review.recheck(application, zibo["officer"], application.version, False, "营业执照已吊销")
    assert application.status == "suspended"
    assert len(events(db, "application.rechecked")) == 2


# ----------------------------------------------------------------------------- notice and public pages

def test_notice_is_published_with_its_period_and_members(client, zibo, db):
    from marketplace.pools import review

    pool = zibo["pool"]
    application = make_application(pool, zibo["a"])
    make_application(pool, zibo["b"])
    login(client, zibo["officer"])
    empty = client.post(f"/pools/{pool.id}/notice", data={"notice_text": "公示", "notice_starts_on": "2026-01-01",
                                                         "notice_ends_on": "2026-01-08", "version": pool.version})
    assert empty.status_code == 400  # nobody admitted yet
    review.admit(application, zibo["officer"], application.version, "首批入库")
    db.session.commit()
    start = date.today()
    response = client.post(f"/pools/{pool.id}/notice", data={
        "notice_text": "经评审，以下服务商拟入选。", "notice_starts_on": start.isoformat(),
        "notice_ends_on": (start + timedelta(days=7)).isoformat(), "version": pool.version})
    assert response.status_code == 302
    client.post("/logout")
    public = client.get(f"/pools/{pool.id}").get_data(as_text=True)
    assert "经评审，以下服务商拟入选。" in public
    assert "鲁智科技" in public and "齐云智能" not in public  # only admitted members are public
    assert events(db, "pool.notice_published")


def test_public_index_lists_published_pools_only(client, zibo, db):
    draft = make_pool(zibo["bureau"], name="草稿资源池", status="draft")
    db.session.commit()
    html = client.get("/pools/").get_data(as_text=True)
    assert zibo["pool"].name in html and "草稿资源池" not in html
    assert client.get(f"/pools/{draft.id}").status_code == 404
    assert "草稿资源池" not in client.get("/pools/?q=草稿").get_data(as_text=True)
    assert client.get("/pools/open").status_code == 302


def test_public_pool_page_tells_visitors_how_to_apply(client, zibo, db):
    pool = zibo["pool"]
    html = client.get(f"/pools/{pool.id}").get_data(as_text=True)
    assert 'data-testid="login-to-apply"' in html
    assert f"/login?next=/pools/{pool.id}" in html or f"/login?next=%2Fpools%2F{pool.id}" in html
    login(client, zibo["user_a"])
    html = client.get(f"/pools/{pool.id}").get_data(as_text=True)
    assert 'data-testid="login-to-apply"' not in html and 'data-testid="apply"' in html


def test_queue_filters(client, zibo, db):
    pool = zibo["pool"]
    app_a = make_application(pool, zibo["a"])
    make_application(pool, zibo["b"], status="rejected", decision_reason="不符合")
    app_a.total_score = 80
    db.session.commit()
    login(client, zibo["officer"])
    pending = client.get(f"/pools/{pool.id}/applications?status=pending").get_data(as_text=True)
    assert "鲁智科技" in pending and "齐云智能" not in pending
    scored = client.get(f"/pools/{pool.id}/applications?min_score=70").get_data(as_text=True)
    assert "鲁智科技" in scored and "齐云智能" not in scored
    by_name = client.get(f"/pools/{pool.id}/applications?q=齐云").get_data(as_text=True)
    assert "齐云智能" in by_name and "鲁智科技" not in by_name
    assert client.get(f"/pools/{pool.id}/applications?min_score=abc&sort=zzz&page=x").status_code == 200


def test_pages_render_for_the_officer(client, zibo, db):
    application = make_application(zibo["pool"], zibo["a"])
    db.session.commit()
    login(client, zibo["officer"])
    pool_id = zibo["pool"].id
    for url in ["/pools/manage", "/pools/new", f"/pools/{pool_id}/edit", f"/pools/{pool_id}/manage",
                f"/pools/{pool_id}/applications", f"/pools/applications/{application.id}", f"/pools/{pool_id}/members",
                f"/pools/{pool_id}/notice", "/pools/", f"/pools/{pool_id}"]:
        assert client.get(url).status_code == 200, url


def test_provider_sees_apply_button_only_while_the_call_accepts(client, zibo, db):
    login(client, zibo["user_a"])
    html = client.get(f"/pools/{zibo['pool'].id}").get_data(as_text=True)
    assert 'data-testid="apply"' in html
    zibo["pool"].status = "closed"
    db.session.commit()
    assert 'data-testid="apply"' not in client.get(f"/pools/{zibo['pool'].id}").get_data(as_text=True)
