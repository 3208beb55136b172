"""Builders for event tests: an event with two sessions, and registrations."""
from __future__ import annotations

import secrets
from datetime import date, time, timedelta

from marketplace.events import services
from marketplace.extensions import db
from tests.conftest import make_org, make_user, term


def make_event(bureau, status: str = "published", scheduling: str = "auto", tables: int = 3, **fields):
    data = {"title": fields.pop("title", "潍坊动力装备AI供需对接会"), "city_id": term("city", "weifang").id,
            "venue": "潍坊市民中心", "event_date": fields.pop("event_date", date.today() + timedelta(days=10)),
            "tables": tables, "scheduling": scheduling, "needs_approval": fields.pop("needs_approval", False), **fields}
    sessions = [{"name": "上午", "starts_at": time(9), "ends_at": time(10), "slot_minutes": 20},
                {"name": "下午", "starts_at": time(14), "ends_at": time(15), "slot_minutes": 30}]
    event = services.create_event(bureau, None, data, sessions)
    event.status = status
    db.session.flush()
    return event


def make_registration(event, org, sessions=None, demands=(), offerings=(), status="approved"):
    from marketplace.events.models import Registration

    registration = Registration(event=event, org_id=org.id, status=status, checkin_token=secrets.token_urlsafe(32),
                                sessions=list(sessions if sessions is not None else event.sessions),
                                demands=list(demands), offerings=list(offerings))
    db.session.add(registration)
    db.session.flush()
    return registration


def people():
    bureau = make_org("bureau", name="潍坊市工业和信息化局", city="weifang")
    officer = make_user(bureau)
    firm = make_org("manufacturer", name="潍坊示例动力")
    firm_user = make_user(firm)
    provider = make_org("provider", name="济南示例视觉", city="jinan")
    provider_user = make_user(provider)
    return bureau, officer, firm, firm_user, provider, provider_user
