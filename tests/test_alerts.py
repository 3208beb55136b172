"""Saved searches with alerts: new matching demands (or providers) are emailed at the chosen frequency."""
from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from marketplace.alerts.models import SavedSearch
from marketplace.db import utc_now
from marketplace.jobs import REGISTRY
from tests.conftest import base_config, login, make_demand, make_offering, make_org, make_pool, make_user
from tests.mail_helpers import links_in, mail_config, smtp_inbox, text_of  # noqa: F401


@pytest.fixture
def app_config(tmp_path, smtp_inbox):
    return base_config(tmp_path, **mail_config(smtp_inbox))


def run_alerts(db):
    REGISTRY["alerts.send"].func()
    db.session.commit()


def test_provider_saves_a_search_and_gets_new_matching_demands_once(app, client, db, smtp_inbox):
    provider = make_user(make_org("provider"), email="p@example.com", locale="en")
    firm = make_org()
    make_demand(firm, title="旧的检测需求")
    db.session.commit()
    login(client, provider)
    assert 'data-testid="save-search"' in client.get("/demands/?q=检测").get_data(as_text=True)
    response = client.post("/saved-searches/", data={"target": "demands", "q": "检测", "name": "视觉检测", "frequency": "daily", "page": "3"})
    assert response.status_code == 302
    search = db.session.scalar(sa.select(SavedSearch))
    assert search.params == {"q": "检测"}

    make_demand(firm, title="新的检测需求")
    make_demand(firm, title="智能排产", description="排产", scenarios=["smart_scheduling"])  # not tagged 在线智能检测
    bureau = make_org("bureau", name="淄博工信局", city="zibo")
    make_demand(firm, title="池内检测需求", visibility="pool", pool_id=make_pool(bureau).id)  # not visible to the provider
    db.session.commit()
    run_alerts(db)
    mail = smtp_inbox.last_to("p@example.com")
    body = text_of(mail)
    assert "视觉检测" in mail["Subject"] and "新的检测需求" in body
    assert "旧的检测需求" not in body and "智能排产" not in body and "池内检测需求" not in body
    run_alerts(db)
    assert len(smtp_inbox.to("p@example.com")) == 1  # nothing new, nothing sent

    # The unsubscribe link switches this alert off.
    link = [u for u in links_in(body) if "/mail/unsubscribe/" in u][0].replace("http://marketplace.test", "")
    app.test_client().post(link)
    db.session.refresh(search)
    assert search.frequency == "off"


def test_weekly_alert_waits_a_week_and_firm_follows_new_providers(app, client, db, smtp_inbox):
    owner = make_user(make_org(), email="firm@example.com", locale="en")
    db.session.commit()
    login(client, owner)
    client.post("/saved-searches/", data={"target": "providers", "scenario": "online_inspection", "frequency": "weekly"})
    search = db.session.scalar(sa.select(SavedSearch))
    vision = make_org("provider", name="新视觉公司")
    make_offering(vision)
    db.session.commit()
    run_alerts(db)
    assert smtp_inbox.to("firm@example.com") == []  # saved just now: the week is not over
    search.checked_at = utc_now() - timedelta(days=8)
    db.session.commit()
    from marketplace.offerings.models import Offering

    for offering in db.session.scalars(sa.select(Offering)):
        offering.created_at = utc_now() - timedelta(days=3)
    db.session.commit()
    run_alerts(db)
    assert "新视觉公司" in text_of(smtp_inbox.last_to("firm@example.com"))


def test_saved_searches_are_private(app, client, db, smtp_inbox):
    mine, other = make_user(make_org("provider")), make_user(make_org("provider"))
    db.session.commit()
    login(client, mine)
    client.post("/saved-searches/", data={"target": "demands", "q": "排产", "name": "我的搜索", "frequency": "daily"})
    search = db.session.scalar(sa.select(SavedSearch))
    c = app.test_client()
    login(c, other)
    assert "我的搜索" not in c.get("/saved-searches/").get_data(as_text=True)
    assert c.post(f"/saved-searches/{search.id}/delete").status_code == 404
    assert c.post(f"/saved-searches/{search.id}/frequency", data={"frequency": "off"}).status_code == 404
    assert db.session.get(SavedSearch, search.id).frequency == "daily"
