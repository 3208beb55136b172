"""Scenarios inferred from a demand's plain words become data once the firm confirms them (issue 14 item 7)."""
from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from tests.conftest import base_config, login, make_org, make_user, term

PLAIN_WORDS = {"title": "铸件外观问题", "description": "我们厂的铸件表面有砂眼和气孔，现在靠工人用眼睛看，经常漏掉，想找人帮忙自动挑出来。"}


@pytest.fixture
def firm(db):
    org = make_org("manufacturer", name="潍坊铸造", city="weifang", industry_id=term("industry", "C33").id)
    user = make_user(org)
    db.session.commit()
    return user


def new_demand_form(**overrides) -> dict:
    data = {**PLAIN_WORDS, "industry_id": term("industry", "C33").id, "city_id": term("city", "weifang").id,
            "chain_id": 0, "stage_id": 0, "budget_min": "10", "budget_max": "30",
            "deadline": (date.today() + timedelta(days=30)).isoformat(), "visibility": "public", "pool_id": 0,
            "list_id": 0, "nonce": "n-1", "publish": "1"}
    data.update(overrides)
    return data


def demands(db):
    from marketplace.demands.models import Demand

    return db.session.scalars(sa.select(Demand).order_by(Demand.id)).all()


def selected_values(html: str, name: str) -> list[str]:
    select = re.search(rf'<select[^>]*name="{name}"[^>]*>(.*?)</select>', html, re.S).group(1)
    return [v for option in re.findall(r"<option[^>]*>", select) if " selected" in option
            for v in re.findall(r'value="([^"]*)"', option)]


def test_the_endpoint_suggests_terms_for_plain_words_in_the_users_language(client, db, firm):
    login(client, firm)
    answer = client.post("/demands/suggest-terms", data=PLAIN_WORDS).get_json()
    assert answer["scenario"][0] == {"id": term("scenario", "online_inspection").id, "code": "online_inspection",
                                     "label": "在线智能检测"}
    assert set(answer) == {"scenario", "industry", "stage"}
    client.post("/language", data={"locale": "en", "next": "/"})
    english = client.post("/demands/suggest-terms", data=PLAIN_WORDS).get_json()
    assert english["scenario"][0]["label"] == "Online intelligent inspection"
    assert client.post("/demands/suggest-terms", data={"title": "", "description": ""}).get_json()["scenario"] == []


def test_the_endpoint_is_for_logged_in_firms_only(client, db, firm):
    assert "/login" in client.post("/demands/suggest-terms", data=PLAIN_WORDS).headers["Location"]
    provider = make_user(make_org("provider", name="服务商"))
    db.session.commit()
    login(client, provider)
    assert client.post("/demands/suggest-terms", data=PLAIN_WORDS).status_code == 403


@pytest.fixture
def app_config(request, tmp_path):
    return base_config(tmp_path, WTF_CSRF_ENABLED=getattr(request, "param", False))


@pytest.mark.parametrize("app_config", [True], indirect=True)
def test_the_endpoint_refuses_a_post_without_the_csrf_token(client, db, firm):
    from tests.conftest import TEST_PASSWORD, csrf_token_from

    token = csrf_token_from(client.get("/login").get_data(as_text=True))
    client.post("/login", data={"email": firm.email, "password": TEST_PASSWORD, "csrf_token": token})
    assert client.post("/demands/suggest-terms", data=PLAIN_WORDS).status_code == 400
    page = client.get("/demands/new").get_data(as_text=True)
    answer = client.post("/demands/suggest-terms", data={**PLAIN_WORDS, "csrf_token": csrf_token_from(page)})
    assert answer.status_code == 200 and answer.get_json()["scenario"][0]["code"] == "online_inspection"


def test_the_form_loads_its_script_from_a_file_and_says_where_to_ask(client, db, firm):
    login(client, firm)
    html = client.get("/demands/new").get_data(as_text=True)
    assert 'data-suggest-url="/demands/suggest-terms"' in html and "/static/js/demand-suggest.js" in html
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html)  # no inline script (CSP)
    assert client.get("/static/js/demand-suggest.js").status_code == 200


def test_a_save_without_scenarios_shows_the_suggestions_chosen_and_stores_them_once_confirmed(app, client, db, firm):
    login(client, firm)
    first = client.post("/demands/new", data=new_demand_form())
    assert first.status_code == 200 and demands(db) == []  # nothing stored silently
    html = first.get_data(as_text=True)
    assert 'data-testid="suggested-terms"' in html and "在线智能检测" in html
    inspection = str(term("scenario", "online_inspection").id)
    assert selected_values(html, "scenario_ids") == [inspection]
    assert re.search(r'name="terms_reviewed" type="hidden" value="1"', html)
    assert PLAIN_WORDS["description"] in html  # what was typed is kept

    second = client.post("/demands/new", data=new_demand_form(scenario_ids=[inspection], terms_reviewed="1"))
    assert second.status_code == 302
    [demand] = demands(db)
    assert [t.code for t in demand.scenarios] == ["online_inspection"] and demand.status == "open"
    # the confirmed term is data: the browse filter and the bureau dashboard count the demand
    browse = client.get("/demands/?scenario=online_inspection").get_data(as_text=True)
    assert PLAIN_WORDS["title"] in browse
    officer = make_user(make_org("bureau", name="潍坊市工信局", city="weifang", credit_code=None))
    db.session.commit()
    bureau = app.test_client()
    login(bureau, officer)
    dashboard = bureau.get("/dashboard/?scenario=online_inspection").get_data(as_text=True)
    assert re.search(r'data-stage="demands">1<', dashboard)


def test_the_firm_may_decline_the_suggestions(client, db, firm):
    login(client, firm)
    assert client.post("/demands/new", data=new_demand_form(terms_reviewed="1")).status_code == 302
    [demand] = demands(db)
    assert demand.scenarios == []


def test_text_with_nothing_to_suggest_is_saved_at_once(client, db, firm):
    login(client, firm)
    response = client.post("/demands/new", data=new_demand_form(title="员工食堂", description="新建员工食堂，想换桌椅。"))
    assert response.status_code == 302 and len(demands(db)) == 1


def test_editing_a_demand_without_scenarios_suggests_them(client, db, firm):
    from tests.conftest import make_demand

    demand = make_demand(firm.org, title=PLAIN_WORDS["title"], description=PLAIN_WORDS["description"], scenarios=[],
                         industry="C33")
    db.session.commit()
    login(client, firm)
    data = new_demand_form(version=str(demand.version))
    data.pop("publish")
    data["submit"] = "1"
    response = client.post(f"/demands/{demand.id}/edit", data=data)
    assert response.status_code == 200 and 'data-testid="suggested-terms"' in response.get_data(as_text=True)
    db.session.expire_all()
    assert demand.scenarios == []
    data.update(scenario_ids=[term("scenario", "online_inspection").id], terms_reviewed="1")
    assert client.post(f"/demands/{demand.id}/edit", data=data).status_code == 302
    db.session.expire_all()
    assert [t.code for t in demand.scenarios] == ["online_inspection"]


@pytest.mark.browser
def test_chips_suggested_while_typing_choose_the_term_in_the_form(live_server, browser_page):
    """The real page: CSP, CSRF and the debounced request; a click on a chip selects the scenario."""
    from marketplace.extensions import db
    from tests.browser import fill_login, shot
    from tests.conftest import TEST_PASSWORD

    with live_server.app.app_context():
        org = make_org("manufacturer", name="潍坊铸造", city="weifang", industry_id=term("industry", "C33").id)
        make_user(org, email="firm@weifang.example")
        inspection = term("scenario", "online_inspection").id
        db.session.commit()
    page = browser_page
    fill_login(page, live_server.url, "firm@weifang.example", TEST_PASSWORD)
    page.goto(live_server.url + "/demands/new")
    page.fill("#title", PLAIN_WORDS["title"])
    page.fill("#description", PLAIN_WORDS["description"])
    chip = page.locator(f'#term-suggestions button[data-kind="scenario"][data-term-id="{inspection}"]')
    chip.wait_for()
    assert "在线智能检测" in chip.inner_text() and chip.get_attribute("aria-pressed") == "false"
    chip.click()
    assert page.eval_on_selector("#scenario_ids", "s => Array.from(s.selectedOptions).map(o => o.value)") == [str(inspection)]
    assert page.locator(f'#term-suggestions button[data-term-id="{inspection}"]').get_attribute("aria-pressed") == "true"
    shot(page, "demand-suggest-01-chips")
    page.click("[data-testid=save-publish]")
    page.wait_for_load_state("networkidle")
    assert "需求已发布" in page.content()  # a scenario was chosen: saved at once


def test_existing_demands_get_inferred_scenarios_marked_until_the_firm_confirms_them(client, runner, db, firm):
    from marketplace.demands.models import demand_scenario
    from tests.conftest import make_demand

    plain = make_demand(firm.org, title=PLAIN_WORDS["title"], description=PLAIN_WORDS["description"], scenarios=[],
                        industry="C33")
    tagged = make_demand(firm.org, title="已有场景的需求", scenarios=["energy_optimization"])
    db.session.commit()

    dry = runner.invoke(args=["demands", "infer-scenarios"])
    assert dry.exit_code == 0 and "1 demands without scenarios; 1 inferred scenarios found" in dry.output
    assert db.session.scalar(sa.select(sa.func.count()).select_from(demand_scenario)) == 1

    applied = runner.invoke(args=["demands", "infer-scenarios", "--apply"])
    assert applied.exit_code == 0 and "1 inferred scenarios stored" in applied.output, applied.output
    links = db.session.execute(sa.select(demand_scenario.c.demand_id, demand_scenario.c.inferred)
                               .order_by(demand_scenario.c.demand_id)).all()
    assert links == [(plain.id, True), (tagged.id, False)]
    assert "0 demands without scenarios" in runner.invoke(args=["demands", "infer-scenarios", "--apply"]).output  # once only

    # the filter finds it now; its page says the scenario was inferred, not chosen
    assert PLAIN_WORDS["title"] in client.get("/demands/?scenario=online_inspection").get_data(as_text=True)
    page = client.get(f"/demands/{plain.id}").get_data(as_text=True)
    assert 'data-testid="inferred-scenario"' in page and "在线智能检测 · 推断" in page

    # saving the demand's form (which shows the scenario chosen) confirms it
    login(client, firm)
    form = client.get(f"/demands/{plain.id}/edit").get_data(as_text=True)
    assert selected_values(form, "scenario_ids") == [str(term("scenario", "online_inspection").id)]
    data = new_demand_form(version=str(plain.version), scenario_ids=[term("scenario", "online_inspection").id], submit="1")
    data.pop("publish")
    assert client.post(f"/demands/{plain.id}/edit", data=data).status_code == 302
    assert db.session.scalar(sa.select(demand_scenario.c.inferred).where(demand_scenario.c.demand_id == plain.id)) is False
    assert 'data-testid="inferred-scenario"' not in client.get(f"/demands/{plain.id}").get_data(as_text=True)
