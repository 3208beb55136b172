"""Provider profile: editing it, and the public provider page with offerings, cases, pools and reviews."""
import re

import sqlalchemy as sa

from marketplace.audit.models import AuditEvent
from marketplace.bids.models import Review
from marketplace.offerings.models import CaseStudy
from marketplace.orgs.services import fingerprint
from tests.conftest import login, make_application, make_bid, make_demand, make_offering, make_org, make_pool, make_user, term


def profile_form(org=None, **changes):
    """The profile form as the browser sends it; `org` supplies the fingerprint of the profile it was loaded from."""
    data = {
        "intro": "我们是一家专注工业AI的公司，团队50人。",
        "capabilities": "机器视觉、时序预测、行业大模型",
        "service_city_ids": [str(term("city", "zibo").id), str(term("city", "weifang").id)],
        "certifications": "ISO 9001；高新技术企业",
        "contact_name": "李工",
        "contact_phone": "+86 531-1234 5678",
        "contact_email": "sales@example.com",
        "website": "https://ai.example.com",
        "fingerprint": fingerprint(org) if org is not None else "",
    }
    data.update(changes)
    return data


def test_provider_edits_profile_and_the_public_page_shows_it(client, db):
    org = make_org("provider", name="济南示例智能")
    user = make_user(org)
    db.session.commit()
    login(client, user)
    assert client.get("/profile").status_code == 200
    response = client.post("/profile", data=profile_form(org))
    assert response.status_code == 302
    db.session.refresh(org)
    assert org.intro.startswith("我们是一家") and {t.code for t in org.service_cities} == {"zibo", "weifang"}
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "org.profile_updated"))
    assert "service_cities" in event.detail["fields"]
    page = client.get(f"/providers/{org.id}").get_data(as_text=True)
    assert "ISO 9001" in page and "淄博市" in page and "李工" in page and 'data-testid="edit-profile"' in page
    # Visitors see the profile but not the contact details.
    anonymous = client.application.test_client().get(f"/providers/{org.id}").get_data(as_text=True)
    assert "ISO 9001" in anonymous and "李工" not in anonymous and "edit-profile" not in anonymous


def test_stale_profile_edit_is_refused_and_the_text_kept(client, db):
    org = make_org("provider")
    user = make_user(org)
    db.session.commit()
    login(client, user)
    html = client.get("/profile").get_data(as_text=True)
    seen = re.search(r'name="fingerprint" type="hidden" value="([^"]+)"', html).group(1)
    assert client.post("/profile", data=profile_form(intro="同事先保存的介绍", fingerprint=seen)).status_code == 302
    stale = client.post("/profile", data=profile_form(intro="我写了很久的介绍", fingerprint=seen))
    assert stale.status_code == 409 and "我写了很久的介绍" in stale.get_data(as_text=True)
    db.session.refresh(org)
    assert org.intro == "同事先保存的介绍"


def test_profile_errors_are_shown_beside_fields_and_text_is_kept(client, db):
    org = make_org("provider")
    user = make_user(org)
    db.session.commit()
    login(client, user)
    response = client.post("/profile", data=profile_form(org, contact_email="not-an-email", website="javascript:alert(1)",
                                                         contact_phone="call me", intro="保留这段介绍"))
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "保留这段介绍" in html and html.count("invalid-feedback") == 3
    db.session.refresh(org)
    assert org.intro == "" and org.website == ""


def test_profile_is_only_ever_the_users_own(client, db):
    a = make_org("provider", name="甲")
    b = make_org("provider", name="乙")
    bureau = make_org("bureau", name="淄博市工信局", city="zibo")
    b_user, officer = make_user(b), make_user(bureau)
    db.session.commit()
    assert client.get("/profile").status_code == 302  # login first
    login(client, b_user)
    client.post("/profile", data=profile_form(b, intro="乙的介绍"))
    db.session.refresh(a)
    db.session.refresh(b)
    assert a.intro == "" and b.intro == "乙的介绍"
    client.post("/logout")
    login(client, officer)
    assert client.get("/profile").status_code == 403


def test_public_provider_page_lists_offerings_cases_pools_and_reviews(client, db):
    provider = make_org("provider", name="示例视觉科技")
    firm = make_org("manufacturer", name="潍坊示例铸造")
    bureau = make_org("bureau", name="淄博市工信局", city="zibo")
    offering = make_offering(provider, title="表面缺陷检测系统", vouchers=[term("voucher", "scenario")])
    make_offering(provider, title="未发布的草稿", status="draft")
    db.session.add(CaseStudy(offering_id=offering.id, title="铸件砂眼检测", problem="漏检多", result="漏检率降到0.5%"))
    pool = make_pool(bureau)
    make_application(pool, provider, status="admitted", batch="首批")
    demand = make_demand(firm, status="closed")
    bid = make_bid(demand, provider, offering, status="awarded")
    db.session.add(Review(bid_id=bid.id, demand_id=demand.id, provider_org_id=provider.id, reviewer_org_id=firm.id,
                          rating=5, comment="交付及时，效果明显"))
    db.session.commit()
    html = client.get(f"/providers/{provider.id}").get_data(as_text=True)
    assert "表面缺陷检测系统" in html and "未发布的草稿" not in html
    assert "漏检率降到0.5%" in html and "场景券" in html
    assert "淄博化工行业AI服务商资源池" in html
    assert "交付及时，效果明显" in html
    assert client.get("/providers/999999").status_code == 404
    assert client.get(f"/providers/{firm.id}").status_code == 404


def test_provider_list_cards_show_scenarios_and_pools(client, db):
    provider = make_org("provider", name="示例视觉科技")
    make_offering(provider, scenarios=["online_inspection", "fault_diagnosis"])
    make_offering(provider, title="草稿", status="draft", scenarios=["energy_optimization"])
    pool = make_pool(make_org("bureau", city="zibo"))
    make_application(pool, provider, status="admitted")
    db.session.commit()
    html = client.get("/providers/").get_data(as_text=True).split('data-testid="provider-results"')[1]
    assert "1 个已发布的解决方案" in html and "设备故障诊断" in html and "能耗监测与优化" not in html
    assert 'data-testid="pool-badge"' in html


def test_provider_list_can_be_sorted_from_the_page(client, db):
    """The list supported ?sort= but offered no control for it: users could not reach the newest providers."""
    make_org("provider", name="甲视觉")
    make_org("provider", name="乙能源")
    db.session.commit()
    html = client.get("/providers/").get_data(as_text=True)
    assert 'name="sort"' in html and "企业名称" in html and ">最新<" in html
    newest = client.get("/providers/?sort=newest").get_data(as_text=True)
    assert newest.index("乙能源") < newest.index("甲视觉")
    assert '<option value="newest" selected>' in newest
