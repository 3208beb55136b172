"""Matchmaking events: the organiser creates and runs an event, firms and providers register,
request meetings, get scheduled, download agendas, check in and say what came of it."""
from __future__ import annotations

from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from marketplace.events import services
from marketplace.events.models import Event, EventSlot, Meeting, MeetingRequest, Registration
from tests.conftest import login, make_bid, make_demand, make_offering, make_org, make_user, term
from tests.events_builders import make_event, make_registration, people


@pytest.fixture
def cast(db):
    bureau, officer, firm, firm_user, provider, provider_user = people()
    demand = make_demand(firm, title="曲轴表面裂纹检测")
    offering = make_offering(provider, title="工业视觉缺陷检测")
    db.session.commit()
    return dict(bureau=bureau, officer=officer, firm=firm, firm_user=firm_user, provider=provider,
                provider_user=provider_user, demand=demand, offering=offering)


def event_form(**overrides):
    data = {"title": "潍坊动力装备产业链AI供需对接会", "city_id": term("city", "weifang").id, "venue": "潍坊市民中心",
            "event_date": (date.today() + timedelta(days=14)).isoformat(), "tables": "4", "scheduling": "auto",
            "demand_list_id": "0", "create_token": "token-1",
            "sessions-0-name": "上午", "sessions-0-starts_at": "09:00", "sessions-0-ends_at": "12:00",
            "sessions-0-slot_minutes": "20",
            "sessions-1-name": "下午", "sessions-1-starts_at": "14:00", "sessions-1-ends_at": "16:00",
            "sessions-1-slot_minutes": "30"}
    data.update(overrides)
    return data


def test_bureau_creates_a_draft_event_cut_into_slots_and_publishes_it(client, cast, db):
    login(client, cast["officer"])
    response = client.post("/events/new", data=event_form())
    assert response.status_code == 302
    event = db.session.scalar(sa.select(Event))
    assert [len(s.slots) for s in event.sessions] == [9, 4]
    assert event.status == "draft"
    client.post("/logout")
    assert client.get(f"/events/{event.id}").status_code == 404  # a draft is not public
    assert "潍坊动力装备产业链" not in client.get("/events/").get_data(as_text=True)

    login(client, cast["officer"])
    assert client.post(f"/events/{event.id}/publish").status_code == 302
    client.post("/logout")
    page = client.get("/events/").get_data(as_text=True)
    assert "潍坊动力装备产业链AI供需对接会" in page
    detail = client.get(f"/events/{event.id}").get_data(as_text=True)
    assert "09:00–12:00" in detail and "上午" in detail


def test_a_repeated_create_makes_one_event(client, cast, db):
    login(client, cast["officer"])
    client.post("/events/new", data=event_form())
    second = client.post("/events/new", data=event_form())
    assert second.status_code == 302
    assert db.session.scalar(sa.select(sa.func.count(Event.id))) == 1


def test_bad_event_input_keeps_what_was_typed(client, cast):
    login(client, cast["officer"])
    response = client.post("/events/new", data=event_form(**{"sessions-0-ends_at": "08:00",
                                                             "booking_closes_on": "2099-01-01"}))
    page = response.get_data(as_text=True)
    assert response.status_code in (400, 422)
    assert "潍坊动力装备产业链AI供需对接会" in page


def test_only_bureaus_create_events(client, cast):
    login(client, cast["firm_user"])
    assert client.get("/events/new").status_code == 403
    assert client.get("/events/manage").status_code == 403


def test_firm_registers_with_its_demand_and_sessions(client, cast, db):
    event = make_event(cast["bureau"])
    db.session.commit()
    login(client, cast["firm_user"])
    assert "曲轴表面裂纹检测" in client.get(f"/events/{event.id}/register").get_data(as_text=True)
    response = client.post(f"/events/{event.id}/register", data={
        "session_ids": [event.sessions[0].id], "demand_ids": [cast["demand"].id], "note": "想找视觉检测"})
    assert response.status_code == 302
    registration = db.session.scalar(sa.select(Registration))
    assert registration.status == "approved"
    assert [d.id for d in registration.demands] == [cast["demand"].id]
    assert "曲轴表面裂纹检测" in client.get(f"/events/{event.id}").get_data(as_text=True)
    # Registering twice changes nothing.
    again = client.post(f"/events/{event.id}/register", data={"session_ids": [event.sessions[0].id]})
    assert again.status_code == 302
    assert db.session.scalar(sa.select(sa.func.count(Registration.id))) == 1


def test_registration_refuses_someone_elses_demand(client, cast, db):
    event = make_event(cast["bureau"])
    other = make_org("manufacturer")
    foreign = make_demand(other, title="别家的需求")
    db.session.commit()
    login(client, cast["firm_user"])
    response = client.post(f"/events/{event.id}/register", data={
        "session_ids": [event.sessions[0].id], "demand_ids": [foreign.id]})
    assert response.status_code in (400, 422)
    assert db.session.scalar(sa.select(sa.func.count(Registration.id))) == 0


def test_closed_registration_and_bureaus_are_refused(client, cast, db):
    event = make_event(cast["bureau"], registration_closes_on=date.today() - timedelta(days=1),
                       event_date=date.today() + timedelta(days=3))
    db.session.commit()
    login(client, cast["firm_user"])
    response = client.post(f"/events/{event.id}/register", data={"session_ids": [event.sessions[0].id]})
    assert response.status_code == 302
    assert db.session.scalar(sa.select(sa.func.count(Registration.id))) == 0
    client.post("/logout")
    login(client, cast["officer"])
    assert client.get(f"/events/{event.id}/register").status_code == 403


def test_approval_needed_and_refusal_needs_a_reason(client, cast, db):
    event = make_event(cast["bureau"], needs_approval=True)
    db.session.commit()
    login(client, cast["firm_user"])
    client.post(f"/events/{event.id}/register", data={"session_ids": [event.sessions[0].id]})
    registration = db.session.scalar(sa.select(Registration))
    assert registration.status == "pending"
    page = client.get(f"/events/{event.id}/me").get_data(as_text=True)
    assert "not approved" in page or "尚未批准" in page
    client.post("/logout")
    login(client, cast["officer"])
    client.post(f"/events/registrations/{registration.id}/decide", data={"reject": "1", "reason": ""})
    db.session.refresh(registration)
    assert registration.status == "pending"
    client.post(f"/events/registrations/{registration.id}/decide", data={"approve": "1"})
    db.session.refresh(registration)
    assert registration.status == "approved"


def _pair(cast, db, **event_fields):
    event = make_event(cast["bureau"], **event_fields)
    firm_reg = make_registration(event, cast["firm"], demands=[cast["demand"]])
    provider_reg = make_registration(event, cast["provider"], offerings=[cast["offering"]])
    db.session.commit()
    return event, firm_reg, provider_reg


def test_request_accept_and_rules(client, cast, db):
    event, firm_reg, provider_reg = _pair(cast, db)
    login(client, cast["provider_user"])
    client.post(f"/events/{event.id}/requests", data={"to_id": firm_reg.id, "note": "聊聊裂纹检测"})
    meeting_request = db.session.scalar(sa.select(MeetingRequest))
    assert meeting_request.status == "requested"
    # Again, to oneself, to a non-participant: each refused with a message, nothing added.
    for target in (firm_reg.id, provider_reg.id, 99999):
        page = client.post(f"/events/{event.id}/requests", data={"to_id": target}, follow_redirects=True)
        assert page.status_code == 200
        assert page.get_data(as_text=True).count("alert-danger") >= 1
    assert db.session.scalar(sa.select(sa.func.count(MeetingRequest.id))) == 1
    client.post("/logout")

    login(client, cast["firm_user"])
    page = client.get(f"/events/{event.id}/me").get_data(as_text=True)
    assert "聊聊裂纹检测" in page and "济南示例视觉" in page
    client.post(f"/events/requests/{meeting_request.id}/answer",
                data={f"a{meeting_request.id}-version": meeting_request.version, f"a{meeting_request.id}-accept": "1"})
    db.session.refresh(meeting_request)
    assert meeting_request.status == "accepted"


def test_requests_outside_the_booking_window_are_refused(client, cast, db):
    event, firm_reg, _ = _pair(cast, db, booking_opens_on=date.today() + timedelta(days=2))
    login(client, cast["provider_user"])
    page = client.post(f"/events/{event.id}/requests", data={"to_id": firm_reg.id}, follow_redirects=True)
    assert "alert-danger" in page.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count(MeetingRequest.id))) == 0


def test_picking_a_slot_that_was_just_taken_says_so(client, cast, db):
    event, firm_reg, provider_reg = _pair(cast, db, scheduling="pick", tables=1)
    other = make_org("provider", name="另一家服务商")
    other_reg = make_registration(event, other)
    first = services.send_request(provider_reg, firm_reg.id, "")
    second = services.send_request(other_reg, firm_reg.id, "")
    slot = event.sessions[0].slots[0]
    db.session.commit()
    login(client, cast["firm_user"])
    client.post(f"/events/requests/{first.id}/answer", data={
        f"a{first.id}-version": first.version, f"a{first.id}-accept": "1", f"a{first.id}-slot_id": slot.id})
    assert db.session.scalar(sa.select(Meeting.slot_id)) == slot.id
    page = client.post(f"/events/requests/{second.id}/answer", data={
        f"a{second.id}-version": second.version, f"a{second.id}-accept": "1", f"a{second.id}-slot_id": slot.id},
        follow_redirects=True).get_data(as_text=True)
    assert "alert-danger" in page
    db.session.refresh(second)
    assert second.status == "requested"


def test_auto_schedule_agenda_checkin_feedback_and_funnel(client, cast, db):
    event, firm_reg, provider_reg = _pair(cast, db)
    meeting_request = services.send_request(provider_reg, firm_reg.id, "")
    meeting_request.status = "accepted"
    # A pair with no session in common cannot be placed, and the page says why.
    late = make_org("provider", name="只来下午的服务商")
    late_reg = make_registration(event, late, sessions=[event.sessions[1]])
    early_firm = make_org("manufacturer", name="只来上午的工厂")
    early_reg = make_registration(event, early_firm, sessions=[event.sessions[0]])
    db.session.add(MeetingRequest(event_id=event.id, from_id=late_reg.id, to_id=early_reg.id, status="accepted"))
    db.session.commit()

    login(client, cast["officer"])
    client.post(f"/events/{event.id}/schedule/run")
    meeting = db.session.scalar(sa.select(Meeting))
    assert meeting is not None and db.session.scalar(sa.select(sa.func.count(Meeting.id))) == 1
    page = client.get(f"/events/{event.id}/schedule").get_data(as_text=True)
    assert "只来下午的服务商" in page and ("no session in common" in page or "没有共同" in page)
    client.post(f"/events/{event.id}/schedule/publish")
    client.post("/logout")

    login(client, cast["firm_user"])
    assert "济南示例视觉" in client.get(f"/events/{event.id}/me").get_data(as_text=True)
    ics = client.get(f"/events/{event.id}/agenda.ics").get_data(as_text=True)
    assert ics.startswith("BEGIN:VCALENDAR") and ics.count("BEGIN:VEVENT") == 1 and "济南示例视觉" in ics
    pdf = client.get(f"/events/{event.id}/agenda.pdf")
    assert pdf.status_code in (200, 503)
    if pdf.status_code == 200:
        assert pdf.data.startswith(b"%PDF")
    client.post("/logout")

    login(client, cast["officer"])
    client.post(f"/events/{event.id}/checkin", data={"code": f"https://x/events/checkin/{firm_reg.checkin_token}"})
    db.session.refresh(firm_reg)
    assert firm_reg.checked_in_at is not None
    again = client.post(f"/events/{event.id}/checkin", data={"code": firm_reg.checkin_token}, follow_redirects=True)
    assert "already" in again.get_data(as_text=True) or "已签到" in again.get_data(as_text=True)
    client.post("/logout")

    # After the day: feedback, then a bid between the two, then the award.
    db.session.get(Event, event.id).event_date = date.today() - timedelta(days=1)
    slot = db.session.get(EventSlot, meeting.slot_id)
    slot.starts_at -= timedelta(days=20)
    slot.ends_at -= timedelta(days=20)
    db.session.commit()
    login(client, cast["firm_user"])
    client.post(f"/events/meetings/{meeting.id}/feedback", data={"rating": "5", "follow_up": "y"})
    db.session.refresh(meeting)
    assert meeting.status == "held"
    make_bid(cast["demand"], cast["provider"], cast["offering"], status="awarded")
    db.session.commit()
    client.post("/logout")
    funnel = client.get(f"/events/{event.id}").get_data(as_text=True)
    import re

    cells = re.findall(r'<th scope="row" class="fw-normal">[^<]+</th><td class="text-end">(\d+)</td>', funnel)
    assert cells == ["4", "2", "2", "1", "1", "1"]


def test_a_stale_move_is_refused_with_409(client, cast, db):
    event, firm_reg, provider_reg = _pair(cast, db)
    meeting_request = services.send_request(provider_reg, firm_reg.id, "")
    meeting_request.status = "accepted"
    services.run_schedule(event, time_limit=5)
    db.session.commit()
    meeting = db.session.scalar(sa.select(Meeting))
    target = event.sessions[0].slots[1]
    login(client, cast["officer"])
    stale = client.post(f"/events/meetings/{meeting.id}/move", data={
        f"m{meeting.id}-slot_id": target.id, f"m{meeting.id}-table_no": "2", f"m{meeting.id}-version": meeting.version - 1})
    assert stale.status_code == 409
    fresh = client.post(f"/events/meetings/{meeting.id}/move", data={
        f"m{meeting.id}-slot_id": target.id, f"m{meeting.id}-table_no": "2", f"m{meeting.id}-version": meeting.version})
    assert fresh.status_code == 302
    db.session.refresh(meeting)
    assert (meeting.slot_id, meeting.table_no, meeting.locked) == (target.id, 2, True)


def test_access_matrix(client, cast, db):
    event, firm_reg, provider_reg = _pair(cast, db)
    meeting_request = services.send_request(provider_reg, firm_reg.id, "")
    outsider_org = make_org("manufacturer", name="局外工厂")
    outsider = make_user(outsider_org)
    other_bureau = make_org("bureau", name="淄博市工业和信息化局", city="zibo")
    other_officer = make_user(other_bureau)
    db.session.commit()

    login(client, outsider)
    assert client.get(f"/events/{event.id}/me").status_code == 404
    assert client.post(f"/events/requests/{meeting_request.id}/answer", data={}).status_code == 404
    assert client.get(f"/events/{event.id}/agenda.ics").status_code == 404
    assert client.get(f"/events/{event.id}/schedule").status_code == 403
    client.post("/logout")

    login(client, cast["provider_user"])  # the sender cannot answer its own request
    assert client.post(f"/events/requests/{meeting_request.id}/answer", data={}).status_code == 403
    assert client.get(f"/events/{event.id}/registrations").status_code == 403
    assert client.get(f"/events/checkin/{firm_reg.checkin_token}").status_code == 403
    client.post("/logout")

    login(client, other_officer)
    for path in (f"/events/{event.id}/edit", f"/events/{event.id}/schedule", f"/events/{event.id}/registrations"):
        assert client.get(path).status_code == 403
    assert client.post(f"/events/{event.id}/schedule/run").status_code == 403


def test_participants_who_booked_nothing_are_reminded_once_every_two_days(cast, db):
    from marketplace.events.tasks import remind_participants_who_booked_nothing
    from marketplace.notifications.models import Notification

    event, firm_reg, provider_reg = _pair(cast, db)
    idle = make_registration(event, make_org("provider", name="还没约的服务商"))
    make_user(idle.org)
    services.send_request(provider_reg, firm_reg.id, "")
    db.session.commit()
    assert remind_participants_who_booked_nothing() == 1
    db.session.commit()
    assert remind_participants_who_booked_nothing() == 0  # the same day: nothing twice
    reminders = db.session.scalars(sa.select(Notification).where(Notification.kind == "event.book_reminder")).all()
    assert len(reminders) == 1 and reminders[0].user_id == idle.org.users[0].id
    idle.booking_reminded_at -= timedelta(days=2)
    db.session.commit()
    assert remind_participants_who_booked_nothing() == 1
