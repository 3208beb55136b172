"""Event rules and writes: create an event and its sessions, register, request and answer
meetings, schedule (by hand or with the solver), check in, and give feedback.

Services flush and never commit; a refused action raises EventError with a translated
message (and, for a form, the field it belongs to).
"""
from __future__ import annotations

import secrets
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from marketplace.audit.services import record
from marketplace.db import utc_now
from marketplace.events import scheduler
from marketplace.events.models import (Event, EventSession, EventSlot, Meeting, MeetingFeedback, MeetingRequest,
                                       Registration, Suggestion)
from marketplace.extensions import db
from marketplace.jobs import enqueue
from marketplace.taxonomy.services import by_ids

LIVE_REQUEST = ("requested", "accepted")


class EventError(ValueError):
    def __init__(self, message, field: str | None = None, status: int = 400):
        super().__init__(str(message))
        self.message, self.field, self.status = message, field, status


def check_version(obj, submitted) -> None:
    if str(submitted or "") != str(obj.version):
        raise EventError(_l("Someone changed this in another tab while you were working. "
                            "Reload the page to see the current state."), status=409)


def today() -> date:
    return utc_now().date()  # dates are compared in UTC days, like the rest of the product


# ------------------------------------------------------------------ events and sessions
def _apply_fields(event: Event, data: dict) -> None:
    event.title = data["title"].strip()
    event.description = data.get("description") or ""
    event.city_id = data.get("city_id") or None
    event.venue = (data.get("venue") or "").strip()
    event.online = bool(data.get("online"))
    event.event_date = data["event_date"]
    event.registration_closes_on = data.get("registration_closes_on")
    event.booking_opens_on = data.get("booking_opens_on")
    event.booking_closes_on = data.get("booking_closes_on")
    event.needs_approval = bool(data.get("needs_approval"))
    event.tables = data["tables"]
    event.scheduling = data.get("scheduling") or "auto"
    event.demand_list_id = data.get("demand_list_id") or None
    event.chains = by_ids(data.get("chain_ids") or [])
    event.industries = by_ids(data.get("industry_ids") or [])
    event.scenarios = by_ids(data.get("scenario_ids") or [])
    if event.booking_opens_on and event.booking_closes_on and event.booking_opens_on > event.booking_closes_on:
        raise EventError(_l("Booking cannot close before it opens."), field="booking_closes_on")
    if event.booking_closes_on and event.booking_closes_on > event.event_date:
        raise EventError(_l("Booking must close on or before the day of the event."), field="booking_closes_on")
    if event.registration_closes_on and event.registration_closes_on > event.event_date:
        raise EventError(_l("Registration must close on or before the day of the event."), field="registration_closes_on")


def _set_sessions(event: Event, rows: list[dict]) -> None:
    """Replace the sessions (name, start, end, slot length) unless meetings already use them."""
    wanted = [(r["name"], r["starts_at"], r["ends_at"], r["slot_minutes"]) for r in rows]
    current = [(s.name, s.starts_at.time(), s.ends_at.time(), s.slot_minutes) for s in event.sessions]
    if wanted == current:
        return
    if event.id is not None and db.session.scalar(
            sa.select(sa.func.count(Meeting.id)).join(EventSlot).join(EventSession)
            .where(EventSession.event_id == event.id)):
        raise EventError(_l("The sessions cannot be changed once meetings are scheduled in them."), field="sessions")
    if not wanted:
        raise EventError(_l("Add at least one session with its times."), field="sessions")
    sessions = []
    for name, start, end, minutes in wanted:
        starts = datetime.combine(event.event_date, start)
        ends = datetime.combine(event.event_date, end)
        if ends <= starts:
            raise EventError(_l("A session must end after it starts."), field="sessions")
        if minutes < 5 or minutes > 240:
            raise EventError(_l("Meetings last between 5 and 240 minutes."), field="sessions")
        session = EventSession(name=name.strip()[:100], starts_at=starts, ends_at=ends, slot_minutes=minutes)
        cursor = starts
        while cursor + timedelta(minutes=minutes) <= ends:
            session.slots.append(EventSlot(starts_at=cursor, ends_at=cursor + timedelta(minutes=minutes)))
            cursor += timedelta(minutes=minutes)
        if not session.slots:
            raise EventError(_l("A session is shorter than one meeting."), field="sessions")
        sessions.append(session)
    event.sessions = sessions


def create_event(bureau_org, user, data: dict, sessions: list[dict]) -> Event:
    event = Event(bureau_org_id=bureau_org.id, status="draft")
    _apply_fields(event, data)
    _set_sessions(event, sessions)
    db.session.add(event)
    db.session.flush()
    record("event.create", event, title=event.title)
    return event


def update_event(event: Event, data: dict, sessions: list[dict]) -> Event:
    _apply_fields(event, data)
    _set_sessions(event, sessions)
    db.session.flush()
    record("event.update", event)
    return event


def publish_event(event: Event) -> None:
    if event.status != "draft":
        raise EventError(_l("Only a draft event can be published."), status=409)
    event.status = "published"
    db.session.flush()
    record("event.publish", event)


def cancel_event(event: Event, reason: str) -> None:
    if event.status == "cancelled":
        raise EventError(_l("This event is already cancelled."), status=409)
    if not reason.strip():
        raise EventError(_l("Say why the event is cancelled; participants are told."), field="reason")
    event.status = "cancelled"
    db.session.flush()
    record("event.cancel", event, reason=reason)
    _notify_participants(event, "event.cancelled", title=event.title, reason=reason)


def is_over(event: Event) -> bool:
    return event.event_date < today()


def registration_open(event: Event) -> bool:
    closes = event.registration_closes_on or event.event_date
    return event.status == "published" and today() <= closes


def booking_open(event: Event) -> bool:
    if event.status != "published" or is_over(event):
        return False
    opens = event.booking_opens_on or date.min
    closes = event.booking_closes_on or event.event_date
    return opens <= today() <= closes


# ------------------------------------------------------------------ registration
def register(event: Event, org, user, demands: list, offerings: list, sessions: list, note: str) -> Registration:
    if not registration_open(event):
        raise EventError(_l("Registration for this event is closed."), status=409)
    if org.kind not in ("manufacturer", "provider"):
        raise EventError(_l("Only manufacturers and providers register for events."), status=403)
    if db.session.scalar(sa.select(Registration.id).where(Registration.event_id == event.id,
                                                          Registration.org_id == org.id)):
        raise EventError(_l("Your organisation is already registered for this event."), status=409)
    if not sessions:
        raise EventError(_l("Choose at least one session you will attend."), field="session_ids")
    if any(s.event_id != event.id for s in sessions):
        raise EventError(_l("Choose sessions of this event."), field="session_ids")
    if any(d.org_id != org.id or d.status != "open" for d in demands):
        raise EventError(_l("Choose open demands of your own organisation."), field="demand_ids")
    if any(o.org_id != org.id or o.status != "published" for o in offerings):
        raise EventError(_l("Choose published offerings of your own organisation."), field="offering_ids")
    registration = Registration(
        event=event, org_id=org.id, registered_by_id=user.id, note=note.strip(), sessions=list(sessions),
        demands=list(demands) if org.kind == "manufacturer" else [],
        offerings=list(offerings) if org.kind == "provider" else [],
        status="pending" if event.needs_approval else "approved", checkin_token=secrets.token_urlsafe(32))
    db.session.add(registration)
    db.session.flush()
    record("event.register", registration, event_id=event.id, org_id=org.id)
    if registration.status == "approved":
        enqueue("events.suggest", event_id=event.id)
    else:
        _notify_bureau(event, "event.registration", firm=org.name, title=event.title)
    return registration


def decide_registration(registration: Registration, approve: bool, reason: str = "") -> None:
    if registration.status != "pending":
        raise EventError(_l("This registration was already decided."), status=409)
    if not approve and not reason.strip():
        raise EventError(_l("Give the reason for refusing; the organisation is told."), field="reason")
    registration.status = "approved" if approve else "rejected"
    registration.decision_reason = reason.strip()
    db.session.flush()
    record("event.registration." + registration.status, registration, reason=reason)
    from marketplace.notifications.services import notify_org

    notify_org(registration.org, f"event.registration_{registration.status}", link=f"/events/{registration.event_id}",
               title=registration.event.title, reason=reason)
    if approve:
        enqueue("events.suggest", event_id=registration.event_id)


def approved(event_id: int) -> sa.Select:
    return sa.select(Registration).where(Registration.event_id == event_id, Registration.status == "approved")


# ------------------------------------------------------------------ meeting requests
def _live_between(a: Registration, b: Registration) -> MeetingRequest | None:
    return db.session.scalar(sa.select(MeetingRequest).where(
        MeetingRequest.status.in_(LIVE_REQUEST),
        sa.or_(sa.and_(MeetingRequest.from_id == a.id, MeetingRequest.to_id == b.id),
               sa.and_(MeetingRequest.from_id == b.id, MeetingRequest.to_id == a.id))))


def send_request(sender: Registration, recipient_id: int, note: str) -> MeetingRequest:
    event = sender.event
    if sender.status != "approved":
        raise EventError(_l("Your registration has not been approved yet."), status=403)
    if not booking_open(event):
        raise EventError(_l("Meeting requests can only be sent while booking is open."), status=409)
    if recipient_id == sender.id:
        raise EventError(_l("You cannot request a meeting with yourself."))
    recipient = db.session.get(Registration, recipient_id)
    if recipient is None or recipient.event_id != event.id or recipient.status != "approved":
        raise EventError(_l("That organisation is not a participant of this event."), status=404)
    if recipient.org_id == sender.org_id:
        raise EventError(_l("You cannot request a meeting with yourself."))
    if not {s.id for s in sender.sessions} & {s.id for s in recipient.sessions}:
        raise EventError(_l("You and %(org)s attend no session in common.", org=recipient.org.name))
    if _live_between(sender, recipient):
        raise EventError(_l("There is already a meeting request between you and %(org)s.", org=recipient.org.name),
                         status=409)
    suggestion = db.session.scalar(sa.select(Suggestion).where(Suggestion.registration_id == sender.id,
                                                               Suggestion.other_id == recipient.id))
    meeting_request = MeetingRequest(event_id=event.id, from_id=sender.id, to_id=recipient.id, note=note.strip()[:1000],
                                     score=suggestion.score if suggestion else 0.0,
                                     from_suggestion=suggestion is not None)
    db.session.add(meeting_request)
    db.session.flush()
    record("event.request", meeting_request, to_org=recipient.org_id)
    from marketplace.notifications.services import notify_org

    notify_org(recipient.org, "event.meeting_requested", link=f"/events/{event.id}/me",
               firm=sender.org.name, title=event.title)
    return meeting_request


def free_slots(meeting_request: MeetingRequest) -> list[EventSlot]:
    """Slots in a session both sides attend where neither is busy and a table is free."""
    a, b = meeting_request.sender, meeting_request.recipient
    shared = {s.id for s in a.sessions} & {s.id for s in b.sessions}
    busy = set(db.session.scalars(
        sa.select(Meeting.slot_id).join(MeetingRequest)
        .where(sa.or_(MeetingRequest.from_id.in_([a.id, b.id]), MeetingRequest.to_id.in_([a.id, b.id])))))
    used = dict(db.session.execute(
        sa.select(Meeting.slot_id, sa.func.count(Meeting.id)).join(EventSlot).join(EventSession)
        .where(EventSession.event_id == meeting_request.event_id).group_by(Meeting.slot_id)).all())
    tables = meeting_request.event.tables
    return [slot for session in meeting_request.event.sessions if session.id in shared for slot in session.slots
            if slot.id not in busy and used.get(slot.id, 0) < tables]


def answer_request(meeting_request: MeetingRequest, accept: bool, version, slot_id: int | None = None) -> None:
    check_version(meeting_request, version)
    if meeting_request.status != "requested":
        raise EventError(_l("This request was already answered."), status=409)
    event = meeting_request.event
    if accept and event.scheduling == "pick":
        slot = next((s for s in free_slots(meeting_request) if s.id == slot_id), None)
        if slot is None:
            raise EventError(_l("That time slot has just been taken or does not suit both of you; choose another."),
                             field="slot_id", status=409)
        _place(meeting_request, slot, locked=False)
    meeting_request.status = "accepted" if accept else "declined"
    meeting_request.decided_at = utc_now()
    db.session.flush()
    record("event.request." + meeting_request.status, meeting_request)
    from marketplace.notifications.services import notify_org

    notify_org(meeting_request.sender.org, f"event.meeting_{meeting_request.status}", link=f"/events/{event.id}/me",
               firm=meeting_request.recipient.org.name)


def _place(meeting_request: MeetingRequest, slot: EventSlot, locked: bool, table: int | None = None) -> Meeting:
    taken = set(db.session.scalars(sa.select(Meeting.table_no).where(Meeting.slot_id == slot.id)))
    table = table or next((t for t in range(1, meeting_request.event.tables + 1) if t not in taken), None)
    if table is None or table in taken:
        raise EventError(_l("Every table is taken in that slot."), status=409)
    meeting = Meeting(request=meeting_request, slot_id=slot.id, table_no=table, locked=locked)
    db.session.add(meeting)
    db.session.flush()
    return meeting


def cancel_request(meeting_request: MeetingRequest) -> None:
    if meeting_request.status not in LIVE_REQUEST:
        raise EventError(_l("This request is no longer live."), status=409)
    meeting_request.status = "cancelled"
    if meeting_request.meeting is not None:
        db.session.delete(meeting_request.meeting)
    db.session.flush()
    record("event.request.cancelled", meeting_request)


# ------------------------------------------------------------------ scheduling
def run_schedule(event: Event, time_limit: float = 20.0) -> scheduler.Schedule:
    """Place every accepted request; locked meetings stay, the others are placed anew."""
    return apply_schedule(event, plan_schedule(event, time_limit))


def plan_schedule(event: Event, time_limit: float = 20.0) -> scheduler.Schedule:
    """The solver's placement of the event's accepted requests (reads only; writes nothing)."""
    requests = db.session.scalars(sa.select(MeetingRequest).where(
        MeetingRequest.event_id == event.id, MeetingRequest.status == "accepted")).all()
    regs = {r.id: r for r in db.session.scalars(sa.select(Registration).where(Registration.event_id == event.id))}
    slots = [scheduler.Slot(slot.id, session.id, n) for n, (session, slot) in
             enumerate(((s, slot) for s in event.sessions for slot in s.slots), 1)]
    sessions_of = {rid: {s.id for s in reg.sessions} for rid, reg in regs.items()}
    locked = {r.id: (r.meeting.slot_id, r.meeting.table_no) for r in requests if r.meeting and r.meeting.locked}
    plain = [scheduler.Request(r.id, r.from_id, r.to_id, weight=max(r.score, 0.0) * _priority(r)) for r in requests]
    return scheduler.solve(slots, event.tables, sessions_of, plain, locked=locked, time_limit=time_limit)


def apply_schedule(event: Event, result: scheduler.Schedule) -> scheduler.Schedule:
    """Store a planned schedule as the event's draft: unlocked meetings are replaced."""
    requests = db.session.scalars(sa.select(MeetingRequest).where(
        MeetingRequest.event_id == event.id, MeetingRequest.status == "accepted")).all()
    by_id = {r.id: r for r in requests}
    for r in requests:
        if r.meeting is not None and not r.meeting.locked:
            db.session.delete(r.meeting)
    db.session.flush()
    for meeting_request in requests:
        meeting_request.unplaced_reason = result.unplaced.get(meeting_request.id, "")
    for placement in result.placements:
        meeting_request = by_id.get(placement.request_id)
        if meeting_request is None or (meeting_request.meeting is not None and meeting_request.meeting.locked):
            continue  # withdrawn or locked since the plan was made
        db.session.add(Meeting(request=meeting_request, slot_id=placement.slot_id, table_no=placement.table))
    event.schedule_published_at = None  # a new schedule is a draft until the organiser publishes it
    db.session.flush()
    record("event.schedule.run", event, placed=len(result.placements), unplaced=len(result.unplaced))
    return result


def _priority(meeting_request: MeetingRequest) -> float:
    """Mutual interest counts double: both sides asked, or one asked from the matcher's suggestion."""
    mutual = db.session.scalar(sa.select(MeetingRequest.id).where(
        MeetingRequest.from_id == meeting_request.to_id, MeetingRequest.to_id == meeting_request.from_id))
    return 2.0 if mutual else (1.5 if meeting_request.from_suggestion else 1.0)


def move_meeting(meeting: Meeting, slot_id: int, table: int, version) -> None:
    check_version(meeting, version)
    meeting_request = meeting.request
    slot = db.session.get(EventSlot, slot_id)
    if slot is None or slot.session.event_id != meeting_request.event_id:
        raise EventError(_l("Choose a slot of this event."), field="slot_id")
    if not 1 <= table <= meeting_request.event.tables:
        raise EventError(_l("Choose a table between 1 and %(n)d.", n=meeting_request.event.tables), field="table_no")
    a, b = meeting_request.sender, meeting_request.recipient
    if slot.session_id not in {s.id for s in a.sessions} or slot.session_id not in {s.id for s in b.sessions}:
        raise EventError(_l("Both participants must attend the session of that slot."), field="slot_id")
    clash = db.session.scalar(sa.select(Meeting.id).join(MeetingRequest).where(
        Meeting.slot_id == slot.id, Meeting.id != meeting.id,
        sa.or_(MeetingRequest.from_id.in_([a.id, b.id]), MeetingRequest.to_id.in_([a.id, b.id]))))
    if clash:
        raise EventError(_l("One of the two already has a meeting in that slot."), field="slot_id", status=409)
    occupied = db.session.scalar(sa.select(Meeting.id).where(Meeting.slot_id == slot.id, Meeting.table_no == table,
                                                             Meeting.id != meeting.id))
    if occupied:
        raise EventError(_l("Table %(n)d is taken in that slot.", n=table), field="table_no", status=409)
    meeting.slot_id, meeting.table_no, meeting.locked = slot.id, table, True
    db.session.flush()
    record("event.meeting.move", meeting, slot_id=slot.id, table=table)


def set_locked(meeting: Meeting, locked: bool) -> None:
    meeting.locked = locked
    db.session.flush()


def publish_schedule(event: Event) -> int:
    count = db.session.scalar(sa.select(sa.func.count(Meeting.id)).join(MeetingRequest)
                              .where(MeetingRequest.event_id == event.id))
    if not count:
        raise EventError(_l("There are no scheduled meetings to publish."), status=409)
    event.schedule_published_at = utc_now()
    db.session.flush()
    record("event.schedule.publish", event, meetings=count)
    _notify_participants(event, "event.schedule_published", title=event.title)
    return count


# ------------------------------------------------------------------ on the day and after
def check_in(registration: Registration) -> bool:
    """Mark the participant present; False when they already were (a second scan changes nothing)."""
    if registration.status != "approved":
        raise EventError(_l("This organisation is not an approved participant."), status=409)
    if registration.checked_in_at is not None:
        return False
    registration.checked_in_at = utc_now()
    db.session.flush()
    record("event.checkin", registration)
    return True


def mark_meeting(meeting: Meeting, status: str) -> None:
    if status not in ("held", "no_show", "scheduled"):
        raise EventError(_l("Unknown meeting state."))
    meeting.status = status
    db.session.flush()
    record("event.meeting." + status, meeting)


def leave_feedback(meeting: Meeting, registration: Registration, rating: int, follow_up: bool, comment: str) -> MeetingFeedback:
    if registration.id not in (meeting.request.from_id, meeting.request.to_id):
        raise EventError(_l("Only the two participants can rate this meeting."), status=403)
    if meeting.status == "no_show":
        raise EventError(_l("This meeting was marked as not held."), status=409)
    if meeting.slot.starts_at > _venue_now():
        raise EventError(_l("You can rate a meeting once it has taken place."), status=409)
    feedback = db.session.scalar(sa.select(MeetingFeedback).where(MeetingFeedback.meeting_id == meeting.id,
                                                                  MeetingFeedback.registration_id == registration.id))
    if feedback is None:
        feedback = MeetingFeedback(meeting_id=meeting.id, registration_id=registration.id, rating=rating)
        db.session.add(feedback)
    feedback.rating, feedback.follow_up, feedback.comment = rating, follow_up, comment.strip()[:2000]
    if meeting.status == "scheduled":
        meeting.status = "held"  # feedback from a participant is proof it took place
    db.session.flush()
    return feedback


def _venue_now() -> datetime:
    return utc_now() + timedelta(hours=8)  # slots are kept in venue time (Asia/Shanghai, no DST)


# ------------------------------------------------------------------ notifications
def _notify_participants(event: Event, kind: str, **params) -> None:
    from marketplace.notifications.services import notify_org

    for registration in db.session.scalars(approved(event.id)):
        notify_org(registration.org, kind, link=f"/events/{event.id}", **params)


def _notify_bureau(event: Event, kind: str, **params) -> None:
    from marketplace.notifications.services import notify_org

    notify_org(event.bureau, kind, link=f"/events/{event.id}/registrations", **params)
