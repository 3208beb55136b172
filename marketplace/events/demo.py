"""Demo events from seeds/demo/events.json: a past event with held meetings and outcomes and an
upcoming one open for booking. Meetings are placed by the real scheduler, so the demo shows
what the solver does. Idempotent: an event is found by its bureau and title."""
from __future__ import annotations

import json
import secrets
from collections import Counter
from datetime import date, datetime, time
from pathlib import Path

import sqlalchemy as sa

from marketplace.events import services
from marketplace.jobs import enqueue
from marketplace.events.models import Event, Meeting, MeetingFeedback, MeetingRequest, Registration
from marketplace.taxonomy.models import TaxonomyTerm


def load_events(session, folder: Path, orgs: dict, demands: dict, offerings: dict, lists: dict) -> Counter:
    """orgs, demands, offerings and lists: the demo rows by their seed keys (from the main loader)."""
    path = Path(folder) / "events.json"
    created: Counter = Counter()
    if not path.exists():
        return created
    terms = {(t.kind, t.code): t for t in session.scalars(sa.select(TaxonomyTerm))}

    for entry in json.loads(path.read_text(encoding="utf-8")):
        bureau = orgs[entry["bureau"]]
        if session.scalar(sa.select(Event.id).where(Event.bureau_org_id == bureau.id, Event.title == entry["title"])):
            continue
        data = {
            "title": entry["title"], "description": entry["description"], "city_id": terms[("city", entry["city"])].id,
            "venue": entry["venue"], "online": entry["online"], "event_date": date.fromisoformat(entry["event_date"]),
            "registration_closes_on": _day(entry["registration_closes_on"]), "booking_opens_on": _day(entry["booking_opens_on"]),
            "booking_closes_on": _day(entry["booking_closes_on"]), "needs_approval": entry["needs_approval"],
            "tables": entry["tables"], "scheduling": entry["scheduling"],
            "demand_list_id": lists[entry["demand_list"]].id if entry.get("demand_list") and lists.get(entry["demand_list"]) else None,
        }
        sessions = [{"name": s["name"], "starts_at": time.fromisoformat(s["start"]), "ends_at": time.fromisoformat(s["end"]),
                     "slot_minutes": s["minutes"]} for s in entry["sessions"]]
        event = services.create_event(bureau, None, data, sessions)
        event.chains = [terms[("chain", c)] for c in entry["chains"]]
        event.scenarios = [terms[("scenario", c)] for c in entry["scenarios"]]
        event.status, event.is_demo = entry["status"], True
        created["events"] += 1
        by_name = {s.name: s for s in event.sessions}
        regs: dict[str, Registration] = {}
        for r in entry["registrations"]:
            registration = Registration(
                event=event, org_id=orgs[r["org"]].id, status="approved", is_demo=True, note=r.get("note", ""),
                checkin_token=secrets.token_urlsafe(32), sessions=[by_name[n] for n in r["sessions"]],
                demands=[demands[k] for k in r.get("demands", []) if demands.get(k) is not None and demands[k].status == "open"],
                offerings=[offerings[k] for k in r.get("offerings", []) if offerings.get(k) is not None])
            if r.get("checked_in"):
                registration.checked_in_at = datetime.combine(event.event_date, time(0, 30))  # 08:30 at the venue
            session.add(registration)
            regs[r["org"]] = registration
            created["event registrations"] += 1
        session.flush()
        outcome: dict[int, tuple] = {}
        for sender, recipient, status, rating, follow_up in entry["meetings"]:
            meeting_request = MeetingRequest(event_id=event.id, from_id=regs[sender].id, to_id=regs[recipient].id,
                                             status="accepted", score=0.5, note="")
            session.add(meeting_request)
            session.flush()
            outcome[meeting_request.id] = (status, rating, follow_up, regs[recipient].id)
        for sender, recipient, status in entry["requests"]:
            session.add(MeetingRequest(event_id=event.id, from_id=regs[sender].id, to_id=regs[recipient].id, status=status))
        session.flush()
        services.run_schedule(event, time_limit=10)
        for meeting in session.scalars(sa.select(Meeting).join(MeetingRequest).where(MeetingRequest.event_id == event.id)):
            status, rating, follow_up, rater = outcome.get(meeting.request_id, ("scheduled", None, None, None))
            meeting.status = status
            created["event meetings"] += 1
            if rating:
                session.add(MeetingFeedback(meeting_id=meeting.id, registration_id=rater, rating=rating,
                                            follow_up=bool(follow_up)))
        if entry.get("schedule_published_on"):
            event.schedule_published_at = datetime.combine(date.fromisoformat(entry["schedule_published_on"]), time(9))
        session.flush()
        enqueue("events.suggest", event_id=event.id)  # the matcher's suggestions, once the demo is committed
    return created


def _day(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None
