"""Creates happen once: parallel double-clicks, replays and back-and-resubmit make one object
(issue 9 item 6). The races run on PostgreSQL, each submit on its own thread and connection."""
import threading
from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from tests.conftest import login, make_org, make_user, term

PARALLEL = 5


def token_from(html: str) -> str:
    return html.split('name="nonce" type="hidden" value="')[1].split('"')[0]


def parallel_posts(app, client, url: str, data: dict, n: int = PARALLEL) -> list[int]:
    """Send the same form n times at once, each from its own test client carrying the same session cookie."""
    cookie = client.get_cookie("session")
    barrier = threading.Barrier(n)
    statuses: list[int] = []

    def send():
        other = app.test_client()
        other.set_cookie("session", cookie.value)
        barrier.wait()
        statuses.append(other.post(url, data=data).status_code)

    threads = [threading.Thread(target=send) for _ in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return statuses


def count(model, *where) -> int:
    from marketplace.extensions import db

    db.session.expire_all()
    return db.session.scalar(sa.select(sa.func.count()).select_from(model).where(*where))


@pytest.fixture
def people(pg_app):
    from marketplace.extensions import db

    firm = make_user(make_org("manufacturer", name="潍坊动力配件厂"))
    officer = make_user(make_org("bureau", name="潍坊市工业和信息化局", city="weifang"))
    db.session.commit()
    return {"firm": firm, "officer": officer}


def demand_data(nonce):
    return {"title": "曲轴磨削质量在线检测", "description": "曲轴磨削后人工抽检，希望在线全检尺寸与表面缺陷。",
            "industry_id": term("industry", "C34").id, "city_id": term("city", "weifang").id, "chain_id": 0,
            "stage_id": 0, "scenario_ids": [term("scenario", "online_inspection").id], "budget_min": "20",
            "budget_max": "60", "deadline": (date.today() + timedelta(days=30)).isoformat(), "visibility": "public",
            "pool_id": 0, "list_id": 0, "nonce": nonce}


def _demands():
    from marketplace.demands.models import Demand
    return Demand


def _lists():
    from marketplace.demands.models import DemandList
    return DemandList


def _pools():
    from marketplace.pools.models import Pool
    return Pool


CASES = {
    "demand": ("firm", "/demands/new", demand_data, _demands),
    "demand list": ("firm", "/demands/lists/new", lambda nonce: {
        "title": "铸造车间改造需求清单", "description": "", "chain_id": 0, "city_id": term("city", "weifang").id,
        "nonce": nonce}, _lists),
    "pool": ("officer", "/pools/new", lambda nonce: {
        "name": "潍坊动力装备AI服务商资源池", "city_id": str(term("city", "weifang").id), "description": "", "criteria": "",
        "opens_on": "", "closes_on": "", "quota": "", "recheck_months": "", "rubric-0-name": "技术能力",
        "rubric-0-max_points": "100", "nonce": nonce}, _pools),
    "chain list": ("officer", "/chain-lists/new", lambda nonce: {
        "title": "潍坊市动力装备产业链AI需求清单", "chain_id": term("chain", "power_equipment").id,
        "city_id": term("city", "weifang").id, "description": "", "nonce": nonce}, _lists),
}


@pytest.mark.postgres
@pytest.mark.parametrize("case", list(CASES))
def test_five_parallel_submits_and_a_replay_make_one_object(pg_app, people, case):
    role, url, data_for, model = CASES[case]
    client = pg_app.test_client()
    login(client, people[role])
    data = data_for(token_from(client.get(url).get_data(as_text=True)))
    statuses = parallel_posts(pg_app, client, url, data)
    assert sorted(statuses) == [302] * PARALLEL
    assert count(model()) == 1
    again = client.post(url, data=data)  # back to the form in the browser, and submit again
    assert again.status_code == 302 and count(model()) == 1
    fresh = data_for(token_from(client.get(url).get_data(as_text=True)))
    assert client.post(url, data=fresh).status_code == 302 and count(model()) == 2  # a new form is a new object


@pytest.mark.postgres
def test_five_parallel_submits_of_a_chain_list_demand_add_one_demand(pg_app, people):
    from marketplace.demands.models import Demand

    client = pg_app.test_client()
    login(client, people["officer"])
    list_url = client.post("/chain-lists/new", data=CASES["chain list"][2](token_from(
        client.get("/chain-lists/new").get_data(as_text=True)))).headers["Location"]
    url = list_url.rstrip("/") + "/demands/new"
    data = {"firm_id": people["firm"].org_id, "title": "曲轴表面划痕检测", "description": "曲轴表面划痕检测，人工目检效率低。",
            "industry_id": term("industry", "C34").id, "scenario_ids": [term("scenario", "online_inspection").id],
            "budget_min": "20", "budget_max": "40", "nonce": token_from(client.get(url).get_data(as_text=True))}
    assert sorted(parallel_posts(pg_app, client, url, data)) == [302] * PARALLEL
    assert count(Demand) == 1


def test_another_users_token_is_refused(client, db):
    firm, other = make_user(make_org("manufacturer")), make_user(make_org("manufacturer"))
    db.session.commit()
    login(client, firm)
    data = demand_data(token_from(client.get("/demands/new").get_data(as_text=True)))
    assert client.post("/demands/new", data=data).status_code == 302
    client.post("/logout")
    login(client, other)
    assert client.post("/demands/new", data=data).status_code == 409
    assert count(_demands()) == 1


def test_a_refused_form_keeps_its_token_usable(client, db):
    """A form sent back with an error (here: budget order) must save once corrected, not say "already saved"."""
    firm = make_user(make_org("manufacturer"))
    db.session.commit()
    login(client, firm)
    data = demand_data(token_from(client.get("/demands/new").get_data(as_text=True)))
    bad = client.post("/demands/new", data=dict(data, budget_min="90"))
    assert bad.status_code in (200, 400) and count(_demands()) == 0
    assert client.post("/demands/new", data=data).status_code == 302 and count(_demands()) == 1
