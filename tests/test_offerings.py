"""Offerings: create, edit (with stale-edit refusal), publish, case studies, and who may do what."""
import sqlalchemy as sa

from marketplace.audit.models import AuditEvent
from marketplace.offerings.models import CaseStudy, Offering
from tests.conftest import login, make_offering, make_org, make_user, term


def offering_form(**changes):
    data = {
        "title": "化工装置智能预警平台",
        "summary": "反应釜温压异常提前预警",
        "description": "基于DCS历史数据训练的异常检测模型，提前15分钟预警超温超压。",
        "capabilities": "时序异常检测；知识图谱",
        "scenario_ids": [str(term("scenario", "process_safety_chemical").id), str(term("scenario", "safety_warning").id)],
        "industry_ids": [str(term("industry", "C26").id)],
        "chain_ids": [str(term("chain", "chemicals_silicone").id)],
        "stage_ids": [str(term("stage", "production").id)],
        "deployment_ids": [str(term("deployment", "on_premises").id)],
        "voucher_ids": [str(term("voucher", "model").id)],
        "price_min": "20",
        "price_max": "80",
        "submit_token": "token-1",
    }
    data.update(changes)
    return data


def provider_user(db, name="示例智能科技"):
    org = make_org("provider", name=name, city="jinan")
    user = make_user(org)
    db.session.commit()
    return org, user


def test_provider_creates_a_draft_with_all_fields_and_it_is_audited(client, db):
    org, user = provider_user(db)
    login(client, user)
    response = client.post("/offerings/new", data=offering_form())
    assert response.status_code == 302
    offering = db.session.scalar(sa.select(Offering))
    assert offering.status == "draft" and offering.org_id == org.id
    assert {t.code for t in offering.scenarios} == {"process_safety_chemical", "safety_warning"}
    assert [t.code for t in offering.vouchers] == ["model"] and [t.code for t in offering.deployments] == ["on_premises"]
    assert offering.price_max == 80
    assert db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "offering.created")) is not None
    page = client.get("/offerings/mine").get_data(as_text=True)
    assert "化工装置智能预警平台" in page and "草稿" in page


def test_double_submitted_create_form_makes_one_offering(client, db):
    _, user = provider_user(db)
    login(client, user)
    first = client.post("/offerings/new", data=offering_form())
    second = client.post("/offerings/new", data=offering_form())
    assert db.session.scalar(sa.select(sa.func.count(Offering.id))) == 1
    assert first.headers["Location"] == second.headers["Location"]


def test_two_creates_racing_past_the_check_make_one_offering(client, db, monkeypatch):
    from marketplace.offerings import views

    _, user = provider_user(db)
    login(client, user)
    client.post("/offerings/new", data=offering_form())
    real = views.duplicate_of
    calls = {"n": 0}

    def blind_at_first(model, token, org_id):  # the second request's check misses the first offering
        calls["n"] += 1
        return None if calls["n"] == 1 else real(model, token, org_id)

    monkeypatch.setattr(views, "duplicate_of", blind_at_first)
    second = client.post("/offerings/new", data=offering_form())
    assert second.status_code == 302
    assert db.session.scalar(sa.select(sa.func.count(Offering.id))) == 1


def test_invalid_form_keeps_text_and_shows_errors_beside_fields(client, db):
    _, user = provider_user(db)
    login(client, user)
    response = client.post("/offerings/new", data=offering_form(title="", scenario_ids=[], price_min="90", price_max="10",
                                                                description="我们的描述文字保留"))
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "请输入标题" in html or "Please enter a title" in html
    assert "我们的描述文字保留" in html
    assert html.count("invalid-feedback") >= 3
    assert db.session.scalar(sa.select(sa.func.count(Offering.id))) == 0


def test_bad_numbers_do_not_cause_errors(client, db):
    _, user = provider_user(db)
    login(client, user)
    response = client.post("/offerings/new", data=offering_form(price_min="abc", scenario_ids=["999999"]))
    assert response.status_code == 200
    assert db.session.scalar(sa.select(sa.func.count(Offering.id))) == 0


def test_publish_unpublish_and_public_visibility(client, db):
    org, user = provider_user(db)
    login(client, user)
    client.post("/offerings/new", data=offering_form())
    offering = db.session.scalar(sa.select(Offering))
    client.post(f"/offerings/{offering.id}/publish")
    db.session.refresh(offering)
    assert offering.status == "published" and offering.published_at is not None
    assert "化工装置智能预警平台" in client.get(f"/providers/{org.id}").get_data(as_text=True)
    client.post(f"/offerings/{offering.id}/unpublish")
    db.session.refresh(offering)
    assert offering.status == "unpublished"
    actions = set(db.session.scalars(sa.select(AuditEvent.action)))
    assert {"offering.published", "offering.unpublished"} <= actions
    anonymous = client.application.test_client()
    assert anonymous.get(f"/offerings/{offering.id}").status_code == 404


def test_stale_edit_is_refused_with_409_and_the_typed_text_kept(client, db):
    org, user = provider_user(db)
    login(client, user)
    client.post("/offerings/new", data=offering_form())
    offering = db.session.scalar(sa.select(Offering))
    old_version = offering.version
    # A colleague saves first.
    ok = client.post(f"/offerings/{offering.id}/edit", data=offering_form(title="同事改过的标题", version=str(old_version)))
    assert ok.status_code == 302
    stale = client.post(f"/offerings/{offering.id}/edit",
                        data=offering_form(title="我的标题", description="我刚写的很长的描述", version=str(old_version)))
    html = stale.get_data(as_text=True)
    assert stale.status_code == 409
    assert "我刚写的很长的描述" in html and 'data-testid="stale-warning"' in html
    db.session.refresh(offering)
    assert offering.title == "同事改过的标题"
    # Saving again from the re-rendered form (which carries the current version) goes through.
    current = db.session.get(Offering, offering.id).version
    again = client.post(f"/offerings/{offering.id}/edit", data=offering_form(title="我的标题", version=str(current)))
    assert again.status_code == 302
    db.session.refresh(offering)
    assert offering.title == "我的标题"


def test_changing_only_terms_is_saved_and_bumps_the_version(client, db):
    _, user = provider_user(db)
    login(client, user)
    client.post("/offerings/new", data=offering_form())
    offering = db.session.scalar(sa.select(Offering))
    version = offering.version
    client.post(f"/offerings/{offering.id}/edit",
                data=offering_form(voucher_ids=[str(term("voucher", "compute").id)], version=str(version)))
    db.session.refresh(offering)
    assert [t.code for t in offering.vouchers] == ["compute"] and offering.version == version + 1


def test_case_studies_add_edit_remove(client, db):
    _, user = provider_user(db)
    login(client, user)
    client.post("/offerings/new", data=offering_form())
    offering = db.session.scalar(sa.select(Offering))
    case = {"title": "某化工厂反应釜预警", "client_name": "淄博某化工企业", "client_industry_id": str(term("industry", "C26").id),
            "problem": "超温事故隐患", "result": "提前12分钟预警，误报率低于5%", "year": "2025", "submit_token": "case-1"}
    client.post(f"/offerings/{offering.id}/cases/new", data=case)
    client.post(f"/offerings/{offering.id}/cases/new", data=case)  # double click
    cases = db.session.scalars(sa.select(CaseStudy)).all()
    assert len(cases) == 1 and cases[0].client_industry.code == "C26"
    detail = client.get(f"/offerings/{offering.id}").get_data(as_text=True)
    assert "提前12分钟预警" in detail
    missing = client.post(f"/offerings/{offering.id}/cases/new", data={**case, "result": "", "submit_token": "case-2"})
    assert missing.status_code == 200 and "超温事故隐患" in missing.get_data(as_text=True)
    client.post(f"/offerings/{offering.id}/cases/{cases[0].id}/edit", data={**case, "result": "误报率3%"})
    db.session.refresh(cases[0])
    assert cases[0].result == "误报率3%"
    client.post(f"/offerings/{offering.id}/cases/{cases[0].id}/delete")
    assert db.session.scalar(sa.select(sa.func.count(CaseStudy.id))) == 0
    assert db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "case_study.removed")) is not None


def test_access_matrix_for_offerings(client, db):
    a_org, a_user = provider_user(db, "甲服务商")
    b_org, b_user = provider_user(db, "乙服务商")
    login(client, a_user)
    client.post("/offerings/new", data=offering_form(title="甲的草稿", submit_token="a-draft"))
    client.post("/offerings/new", data=offering_form(title="甲的已发布", submit_token="a-pub"))
    draft, published = db.session.scalars(sa.select(Offering).order_by(Offering.id)).all()
    client.post(f"/offerings/{published.id}/publish")
    client.post(f"/offerings/{published.id}/cases/new", data={"title": "案例", "problem": "p", "result": "r", "submit_token": "c"})
    case = db.session.scalar(sa.select(CaseStudy))
    client.post("/logout")

    login(client, b_user)
    # The draft does not exist for B; the published offering is visible but not changeable.
    assert client.get(f"/offerings/{draft.id}").status_code == 404
    assert client.get(f"/offerings/{draft.id}/edit").status_code == 404
    assert client.post(f"/offerings/{draft.id}/publish").status_code == 404
    assert client.get(f"/offerings/{published.id}").status_code == 200
    assert client.get(f"/offerings/{published.id}/edit").status_code == 403
    assert client.post(f"/offerings/{published.id}/edit", data=offering_form(title="篡改", version="1")).status_code == 403
    assert client.post(f"/offerings/{published.id}/unpublish").status_code == 403
    assert client.post(f"/offerings/{published.id}/cases/{case.id}/delete").status_code == 403
    assert "甲的草稿" not in client.get("/offerings/mine").get_data(as_text=True)
    db.session.refresh(published)
    assert published.title == "甲的已发布" and published.status == "published"
    assert db.session.scalar(sa.select(sa.func.count(CaseStudy.id))) == 1


def test_manufacturers_and_visitors_cannot_create_offerings(client, db):
    firm = make_org("manufacturer")
    owner = make_user(firm)
    db.session.commit()
    assert client.get("/offerings/new").status_code == 302  # to the login page
    login(client, owner)
    assert client.get("/offerings/new").status_code == 403
    assert client.post("/offerings/new", data=offering_form()).status_code == 403
    assert client.get("/offerings/mine").status_code == 403


def test_only_never_published_drafts_can_be_deleted(client, db):
    _, user = provider_user(db)
    login(client, user)
    client.post("/offerings/new", data=offering_form(title="要删除的草稿", submit_token="d1"))
    client.post("/offerings/new", data=offering_form(title="发布过的方案", submit_token="d2"))
    draft, other = db.session.scalars(sa.select(Offering).order_by(Offering.id)).all()
    client.post(f"/offerings/{other.id}/publish")
    client.post(f"/offerings/{other.id}/unpublish")
    assert client.post(f"/offerings/{draft.id}/delete").status_code == 302
    client.post(f"/offerings/{other.id}/delete")
    assert [o.title for o in db.session.scalars(sa.select(Offering))] == ["发布过的方案"]
    assert db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "offering.deleted")) is not None


def test_my_offerings_filter_search_and_sort(client, db):
    org, user = provider_user(db)
    make_offering(org, title="B 能耗优化", status="published")
    make_offering(org, title="A 视觉检测", status="draft")
    make_offering(make_org("provider"), title="别家的方案")
    db.session.commit()
    login(client, user)
    html = client.get("/offerings/mine?sort=title").get_data(as_text=True)
    assert html.index("A 视觉检测") < html.index("B 能耗优化") and "别家的方案" not in html
    assert "A 视觉检测" not in client.get("/offerings/mine?status=published").get_data(as_text=True)
    assert "A 视觉检测" not in client.get("/offerings/mine?q=能耗").get_data(as_text=True)


def test_breadcrumb_is_named_in_the_users_language(client, db):
    """Regression: screen readers announced the breadcrumb as the English word “breadcrumb” on Chinese pages."""
    offering = make_offering(make_org("provider", name="示例视觉"), title="视觉检测")
    db.session.commit()
    html = client.get(f"/offerings/{offering.id}").get_data(as_text=True)
    assert 'aria-label="当前位置"' in html and 'aria-label="breadcrumb"' not in html
