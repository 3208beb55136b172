"""Admission needs a complete rubric score (issue 9 item 12, first part)."""
from decimal import Decimal

import pytest

from tests.conftest import login, make_application, make_org, make_pool, make_user


@pytest.fixture
def review(db):
    bureau = make_org("bureau", city="zibo")
    officer = make_user(bureau)
    pool = make_pool(bureau)
    application = make_application(pool, make_org("provider", name="鲁智科技"))
    db.session.commit()
    return dict(officer=officer, pool=pool, application=application)


def scores_form(application, version, **points):
    data = {"version": str(version)}
    for item in application.pool.rubric_items:
        data[f"points_{item.id}"] = points.get(item.name, "")
        data[f"comment_{item.id}"] = ""
    return data


def test_an_application_scored_on_part_of_the_rubric_cannot_be_admitted(client, db, review):
    application = review["application"]
    login(client, review["officer"])
    client.post(f"/pools/applications/{application.id}/scores", data=scores_form(application, application.version, 技术能力="30"))
    db.session.refresh(application)
    assert application.status == "under_review" and len(application.scores) == 1
    refused = client.post(f"/pools/applications/{application.id}/decision",
                          data={"decision": "admit", "version": str(application.version), "batch": "首批入库"})
    db.session.refresh(application)
    assert refused.status_code in (400, 409) and application.status == "under_review"
    assert "行业案例" in refused.get_data(as_text=True) and "服务保障" in refused.get_data(as_text=True)
    batch = client.post(f"/pools/{review['pool'].id}/applications/admit",
                        data={"batch": "首批入库", "application_ids": [application.id]}, follow_redirects=True)
    db.session.refresh(application)
    assert application.status == "under_review" and "鲁智科技" in batch.get_data(as_text=True)

    client.post(f"/pools/applications/{application.id}/scores",
                data=scores_form(application, application.version, 技术能力="30", 行业案例="20", 服务保障="25"))
    db.session.refresh(application)
    assert application.total_score == Decimal("75")
    admitted = client.post(f"/pools/applications/{application.id}/decision",
                           data={"decision": "admit", "version": str(application.version), "batch": "首批入库"})
    db.session.refresh(application)
    assert admitted.status_code == 302 and application.status == "admitted"
