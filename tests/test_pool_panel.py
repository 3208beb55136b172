"""The expert panel (issue 9 item 12): reviewers assigned by the bureau, conflict of interest before
scoring, one sheet per reviewer, the pool's total rule, admission only on complete sheets, sheet PDFs."""
from __future__ import annotations

from decimal import Decimal

import pytest
import sqlalchemy as sa

from tests.conftest import login, make_application, make_org, make_pool, make_user


@pytest.fixture
def panel(db):
    bureau = make_org("bureau", "淄博市工信局", city="zibo")
    officer = make_user(bureau, name="王科长")
    r1, r2, r3 = (make_user(bureau, org_role="member", name=name) for name in ("李专家", "张专家", "赵专家"))
    other_bureau = make_org("bureau", "潍坊市工信局", city="weifang")
    outsider = make_user(other_bureau, name="潍坊专家")
    provider = make_org("provider", "鲁智科技")
    provider_user = make_user(provider)
    pool = make_pool(bureau)
    application = make_application(pool, provider)
    db.session.commit()
    return dict(bureau=bureau, officer=officer, r1=r1, r2=r2, r3=r3, outsider=outsider, provider=provider,
                provider_user=provider_user, pool=pool, application=application)


def sheet(application, **points):
    data = {}
    for item in application.pool.rubric_items:
        data[f"points_{item.id}"] = points.get(item.name, "")
        data[f"comment_{item.id}"] = f"{item.name}评语" if item.name in points else ""
    return data


def full(total_40_30_30):
    a, b, c = total_40_30_30
    return {"技术能力": str(a), "行业案例": str(b), "服务保障": str(c)}


def assign(client, p, *reviewers):
    login(client, p["officer"])
    response = client.post(f"/pools/applications/{p['application'].id}/reviewers",
                           data={"reviewer_ids": [str(r.id) for r in reviewers]})
    client.post("/logout")
    return response


def assignment_of(db, application, reviewer):
    from marketplace.pools.models import ReviewAssignment

    return db.session.scalar(sa.select(ReviewAssignment).where(
        ReviewAssignment.application_id == application.id, ReviewAssignment.reviewer_id == reviewer.id))


def declare(client, assignment, conflict=False, note=""):
    return client.post(f"/pools/reviews/{assignment.id}/coi", data={"coi": "conflict" if conflict else "none", "coi_note": note})


def admit(client, p):
    login(client, p["officer"])
    application = p["application"]
    response = client.post(f"/pools/applications/{application.id}/decision",
                           data={"decision": "admit", "version": str(application.version), "batch": "首批入库"})
    client.post("/logout")
    return response


def test_admission_needs_a_complete_sheet_from_every_reviewer_not_recused(client, db, panel):
    from marketplace.notifications.models import Notification

    p, application = panel, panel["application"]
    assert assign(client, p, p["r1"], p["r2"], p["r3"]).status_code == 302
    a1, a2, a3 = (assignment_of(db, application, r) for r in (p["r1"], p["r2"], p["r3"]))
    assert db.session.scalar(sa.select(Notification).where(Notification.user_id == p["r1"].id)).kind == "pool_review.assigned"

    login(client, p["r1"])
    listing = client.get("/pools/reviews").get_data(as_text=True)
    assert "鲁智科技" in listing and f"/pools/reviews/{a1.id}" in listing
    refused = client.post(f"/pools/reviews/{a1.id}/scores", data=sheet(application, **full((30, 20, 20))))
    assert refused.status_code == 409 and "利益冲突" in refused.get_data(as_text=True)
    assert declare(client, a1).status_code == 302
    assert client.post(f"/pools/reviews/{a1.id}/scores", data=sheet(application, **full((30, 20, 20)))).status_code == 302
    client.post("/logout")

    login(client, p["r2"])
    assert declare(client, a2, conflict=True, note="").status_code == 400  # a conflict must be described
    assert declare(client, a2, conflict=True, note="本人曾在鲁智科技任职").status_code == 302
    assert client.post(f"/pools/reviews/{a2.id}/scores", data=sheet(application, **full((40, 30, 30)))).status_code == 409
    client.post("/logout")
    recused = db.session.scalars(sa.select(Notification).where(Notification.kind == "pool_review.recused")).all()
    assert {n.user_id for n in recused} >= {p["officer"].id}

    refused = admit(client, p)
    db.session.refresh(application)
    assert refused.status_code == 400 and application.status == "under_review"
    assert "赵专家" in refused.get_data(as_text=True) and "张专家" not in refused.get_data(as_text=True).split("problem")[1][:300]

    login(client, p["r3"])
    declare(client, a3)
    client.post(f"/pools/reviews/{a3.id}/scores", data=sheet(application, 技术能力="36"))
    client.post("/logout")
    refused = admit(client, p)
    assert refused.status_code == 400 and "行业案例" in refused.get_data(as_text=True)

    login(client, p["r3"])
    client.post(f"/pools/reviews/{a3.id}/scores", data=sheet(application, **full((36, 24, 20))))
    client.post("/logout")
    db.session.refresh(application)
    assert application.total_score == Decimal("75.00")  # mean of 70 and 80; the recused sheet does not count
    assert admit(client, p).status_code == 302
    db.session.refresh(application)
    assert application.status == "admitted"


def test_trimmed_mean_drops_the_highest_and_the_lowest_sheet(client, db, panel):
    p, application = panel, panel["application"]
    assign(client, p, p["r1"], p["r2"], p["r3"])
    for reviewer, points in ((p["r1"], (20, 20, 20)), (p["r2"], (30, 20, 20)), (p["r3"], (40, 30, 25))):
        login(client, reviewer)
        assignment = assignment_of(db, application, reviewer)
        declare(client, assignment)
        client.post(f"/pools/reviews/{assignment.id}/scores", data=sheet(application, **full(points)))
        client.post("/logout")
    db.session.refresh(application)
    assert application.total_score == Decimal("75.00")  # (60 + 70 + 95) / 3
    pool = p["pool"]
    login(client, p["officer"])
    page = client.get(f"/pools/{pool.id}/edit").get_data(as_text=True)
    assert 'value="trimmed"' in page
    from tests.test_pools import POOL_FORM

    form = dict(POOL_FORM, city_id=str(pool.city_id), name=pool.name, quota="10", score_rule="trimmed", version=str(pool.version),
                **{"rubric-0-name": "技术能力", "rubric-0-max_points": "40", "rubric-1-name": "行业案例",
                   "rubric-1-max_points": "30", "rubric-2-name": "服务保障", "rubric-2-max_points": "30"})
    assert client.post(f"/pools/{pool.id}/edit", data=form).status_code == 302
    db.session.refresh(application)
    assert application.total_score == Decimal("70.00")  # only the middle sheet is left
    review = client.get(f"/pools/applications/{application.id}").get_data(as_text=True)
    assert review.count('data-testid="panel-row"') == 3 and "70.00" in review


def test_the_bureau_scores_itself_only_without_a_panel(client, db, panel):
    p, application = panel, panel["application"]
    assign(client, p, p["r1"])
    login(client, p["officer"])
    data = dict(sheet(application, **full((30, 20, 20))), version=str(application.version))
    response = client.post(f"/pools/applications/{application.id}/scores", data=data)
    assert response.status_code == 409 and "专家" in response.get_data(as_text=True)
    db.session.refresh(application)
    assert application.scores == []


def test_only_users_of_the_pools_bureau_can_be_assigned(client, db, panel):
    p = panel
    login(client, p["officer"])
    page = client.get(f"/pools/applications/{p['application'].id}").get_data(as_text=True)
    assert "李专家" in page and "潍坊专家" not in page
    response = client.post(f"/pools/applications/{p['application'].id}/reviewers",
                           data={"reviewer_ids": [str(p["outsider"].id)]})
    assert response.status_code == 400
    db.session.refresh(p["application"])
    assert p["application"].reviewers == []


def test_a_reviewer_downloads_their_sheet_as_pdf_with_chinese_text(client, db, panel):
    from pypdf import PdfReader
    import io

    p, application = panel, panel["application"]
    assign(client, p, p["r1"], p["r2"])
    a1 = assignment_of(db, application, p["r1"])
    login(client, p["r1"])
    declare(client, a1)
    client.post(f"/pools/reviews/{a1.id}/scores", data=sheet(application, **full((30, 20, 20))))
    response = client.get(f"/pools/reviews/{a1.id}/sheet.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    text = PdfReader(io.BytesIO(response.data)).pages[0].extract_text().replace("\x00", "")
    assert "鲁智科技" in text and "李专家" in text and "技术能力" in text and "70" in text
    client.post("/logout")
    login(client, p["officer"])
    assert client.get(f"/pools/reviews/{a1.id}/sheet.pdf").status_code == 200  # the bureau may print it


# ----------------------------------------------------------------------------- who may do what

def test_panel_pages_by_role(client, db, panel):
    p, application = panel, panel["application"]
    assign(client, p, p["r1"], p["r2"])
    a1 = assignment_of(db, application, p["r1"])
    urls_get = [f"/pools/reviews/{a1.id}", f"/pools/reviews/{a1.id}/sheet.pdf"]
    posts = [(f"/pools/reviews/{a1.id}/coi", {"coi": "none"}), (f"/pools/reviews/{a1.id}/scores", sheet(application, 技术能力="10"))]
    # anonymous: sent to log in
    for url in urls_get + ["/pools/reviews"]:
        response = client.get(url)
        assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert client.post(f"/pools/applications/{application.id}/reviewers", data={"reviewer_ids": [str(p["r3"].id)]}).status_code == 302
    # another reviewer on the same panel (a colleague of the bureau): 403 on someone else's sheet, PDF allowed to the bureau
    for who, sheet_page, pdf, write in ((p["r2"], 403, 200, 403), (p["outsider"], 404, 404, 404), (p["provider_user"], 404, 404, 404)):
        login(client, who)
        assert client.get(urls_get[0]).status_code == sheet_page, who.name
        assert client.get(urls_get[1]).status_code == pdf, who.name
        for url, data in posts:
            assert client.post(url, data=data).status_code == write, (who.name, url)
        assert f"/pools/reviews/{a1.id}" not in client.get("/pools/reviews").get_data(as_text=True)
        client.post("/logout")
    # assigning: another bureau 404 (applications are private), a provider 403 (not a pool officer)
    for who, expected in ((p["outsider"], 404), (p["provider_user"], 403)):
        login(client, who)
        assert client.post(f"/pools/applications/{application.id}/reviewers",
                           data={"reviewer_ids": [str(p["r3"].id)]}).status_code == expected
        client.post("/logout")
    db.session.refresh(a1)
    db.session.refresh(application)
    assert a1.coi == "pending" and application.scores == [] and len(application.reviewers) == 2


def test_the_bureau_takes_a_reviewer_off_the_panel_and_their_sheet_stops_counting(client, db, panel):
    p, application = panel, panel["application"]
    assign(client, p, p["r1"], p["r2"])
    a1, a2 = assignment_of(db, application, p["r1"]), assignment_of(db, application, p["r2"])
    for reviewer, assignment, points in ((p["r1"], a1, (30, 20, 20)), (p["r2"], a2, (40, 30, 30))):
        login(client, reviewer)
        declare(client, assignment)
        client.post(f"/pools/reviews/{assignment.id}/scores", data=sheet(application, **full(points)))
        client.post("/logout")
    db.session.refresh(application)
    assert application.total_score == Decimal("85.00")
    url = f"/pools/applications/{application.id}/reviewers/{a2.id}/remove"
    for who, expected in ((p["outsider"], 404), (p["provider_user"], 403)):
        login(client, who)
        assert client.post(url).status_code == expected
        client.post("/logout")
    assert client.post(url).status_code == 302 and len(application.reviewers) == 2  # anonymous: to the login page
    login(client, p["officer"])
    assert client.post(url).status_code == 302
    db.session.refresh(application)
    assert [a.reviewer_id for a in application.reviewers] == [p["r1"].id]
    assert application.total_score == Decimal("70.00")
    assert {s.scored_by_id for s in application.scores} == {p["r1"].id}
    assert client.get(f"/pools/reviews/{a2.id}").status_code == 404


def test_two_reviewers_saving_at_the_same_moment_both_count(pg_app):
    """PostgreSQL: each save rewrites the application's total; neither reviewer's sheet is lost or refused."""
    import threading

    from marketplace.extensions import db
    from marketplace.pools import panel as panel_services
    from marketplace.pools.models import PoolApplication, ReviewAssignment

    bureau = make_org("bureau", "淄博市工信局", city="zibo")
    officer, r1, r2 = make_user(bureau), make_user(bureau), make_user(bureau)
    pool = make_pool(bureau)
    application = make_application(pool, make_org("provider", "鲁智科技"))
    application.reviewers = [ReviewAssignment(reviewer_id=r.id, coi="none") for r in (r1, r2)]
    db.session.commit()
    items = [item.id for item in pool.rubric_items]
    jobs = [(r1.id, (30, 20, 20)), (r2.id, (40, 30, 30))]
    application_id = application.id
    db.session.remove()
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def save(user_id: int, points) -> None:
        from marketplace.auth.models import User

        with pg_app.test_request_context(method="POST"):
            me = db.session.get(User, user_id)
            assignment = db.session.scalar(sa.select(ReviewAssignment).where(
                ReviewAssignment.application_id == application_id, ReviewAssignment.reviewer_id == user_id))
            assignment.application.scores  # both requests have read the application before either writes
            barrier.wait()
            try:
                panel_services.save_sheet(assignment, me, {i: (Decimal(p), "") for i, p in zip(items, points)})
                db.session.commit()
                outcomes.append("saved")
            except Exception as error:  # noqa: BLE001 - the test reports what went wrong
                db.session.rollback()
                outcomes.append(type(error).__name__)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=save, args=job) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert outcomes == ["saved", "saved"]
    fresh = db.session.get(PoolApplication, application_id)
    assert len(fresh.scores) == 6 and fresh.total_score == Decimal("85.00")
