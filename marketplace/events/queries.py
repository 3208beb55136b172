"""Read-side queries of the events area: lists, a participant's page, and the outcome funnel.
Each is a fixed number of SQL statements, whatever the number of participants."""
from __future__ import annotations

from datetime import datetime, time

import sqlalchemy as sa
from sqlalchemy.orm import aliased, selectinload

from marketplace.bids.models import Bid
from marketplace.demands.models import Demand
from marketplace.events.models import (Event, EventSession, EventSlot, Meeting, MeetingRequest, Registration,
                                       Suggestion)
from marketplace.extensions import db
from marketplace.orgs.models import Organisation


def public_events(upcoming: bool, today) -> sa.Select:
    query = sa.select(Event).where(Event.status == "published").options(selectinload(Event.city))
    if upcoming:
        return query.where(Event.event_date >= today).order_by(Event.event_date, Event.id)
    return query.where(Event.event_date < today).order_by(Event.event_date.desc(), Event.id.desc())


def bureau_events(org_id: int) -> sa.Select:
    return sa.select(Event).where(Event.bureau_org_id == org_id).order_by(Event.event_date.desc(), Event.id.desc())


def participants(event_id: int, status: str | None = "approved") -> list[Registration]:
    query = (sa.select(Registration).join(Organisation, Registration.org_id == Organisation.id)
             .where(Registration.event_id == event_id)
             .options(selectinload(Registration.org).selectinload(Organisation.city),
                      selectinload(Registration.demands), selectinload(Registration.offerings),
                      selectinload(Registration.sessions))
             .order_by(Organisation.kind, Organisation.name))
    if status:
        query = query.where(Registration.status == status)
    return list(db.session.scalars(query))


def registration_of(event_id: int, org_id: int | None) -> Registration | None:
    if org_id is None:
        return None
    return db.session.scalar(sa.select(Registration).where(Registration.event_id == event_id,
                                                           Registration.org_id == org_id))


def suggestions_for(registration: Registration) -> list[Suggestion]:
    return list(db.session.scalars(
        sa.select(Suggestion).where(Suggestion.registration_id == registration.id)
        .options(selectinload(Suggestion.other).selectinload(Registration.org),
                 selectinload(Suggestion.demand), selectinload(Suggestion.offering))
        .order_by(Suggestion.score.desc())))


def requests_of(registration: Registration) -> list[MeetingRequest]:
    return list(db.session.scalars(
        sa.select(MeetingRequest)
        .where(sa.or_(MeetingRequest.from_id == registration.id, MeetingRequest.to_id == registration.id))
        .options(selectinload(MeetingRequest.sender).selectinload(Registration.org),
                 selectinload(MeetingRequest.recipient).selectinload(Registration.org),
                 selectinload(MeetingRequest.meeting).selectinload(Meeting.slot),
                 selectinload(MeetingRequest.meeting).selectinload(Meeting.feedback))
        .order_by(MeetingRequest.created_at.desc())))


def meetings_of_event(event_id: int) -> list[Meeting]:
    return list(db.session.scalars(
        sa.select(Meeting).join(MeetingRequest).join(EventSlot, Meeting.slot_id == EventSlot.id)
        .where(MeetingRequest.event_id == event_id)
        .options(selectinload(Meeting.slot),
                 selectinload(Meeting.request).selectinload(MeetingRequest.sender).selectinload(Registration.org),
                 selectinload(Meeting.request).selectinload(MeetingRequest.recipient).selectinload(Registration.org))
        .order_by(EventSlot.starts_at, Meeting.table_no)))


def agenda(registration: Registration) -> list[Meeting]:
    return [m for m in meetings_of_event(registration.event_id)
            if registration.id in (m.request.from_id, m.request.to_id)]


STAGES = ("registered", "requested", "accepted", "held", "bid", "awarded")


def funnel(event: Event) -> list[tuple[str, int]]:
    """registered → requested → accepted → held → followed by a bid → awarded, for one event."""
    counts = funnels([event])[event.id]
    return [(stage, counts[stage]) for stage in STAGES]


def funnels(events: list[Event]) -> dict[int, dict[str, int]]:
    """The funnel of several events in six grouped queries, whatever their number."""
    ids = [e.id for e in events]
    out = {event_id: dict.fromkeys(STAGES, 0) for event_id in ids}
    if not ids:
        return out

    def grouped(stage: str, query) -> None:
        for event_id, n in db.session.execute(query):
            out[event_id][stage] = n

    grouped("registered", sa.select(Registration.event_id, sa.func.count(Registration.id)).where(
        Registration.event_id.in_(ids), Registration.status == "approved").group_by(Registration.event_id))
    grouped("requested", sa.select(MeetingRequest.event_id, sa.func.count(MeetingRequest.id)).where(
        MeetingRequest.event_id.in_(ids)).group_by(MeetingRequest.event_id))
    grouped("accepted", sa.select(MeetingRequest.event_id, sa.func.count(MeetingRequest.id)).where(
        MeetingRequest.event_id.in_(ids), MeetingRequest.status == "accepted").group_by(MeetingRequest.event_id))
    grouped("held", sa.select(MeetingRequest.event_id, sa.func.count(Meeting.id)).join(Meeting.request).where(
        MeetingRequest.event_id.in_(ids), Meeting.status == "held").group_by(MeetingRequest.event_id))
    # A held meeting is followed by a bid when the provider bid on one of the firm's demands on
    # or after the day of the event (whichever side asked for the meeting).
    sender, recipient = aliased(Registration), aliased(Registration)
    sender_org = aliased(Organisation)
    pairs = (sa.select(MeetingRequest.event_id.label("event_id"), Event.event_date.label("event_date"),
                       sa.case((sender_org.kind == "provider", sender.org_id), else_=recipient.org_id).label("provider"),
                       sa.case((sender_org.kind == "provider", recipient.org_id), else_=sender.org_id).label("firm"))
             .select_from(Meeting).join(MeetingRequest, Meeting.request_id == MeetingRequest.id)
             .join(Event, MeetingRequest.event_id == Event.id)
             .join(sender, MeetingRequest.from_id == sender.id).join(recipient, MeetingRequest.to_id == recipient.id)
             .join(sender_org, sender.org_id == sender_org.id)
             .where(MeetingRequest.event_id.in_(ids), Meeting.status == "held")).subquery()
    bids = (sa.select(pairs.c.event_id, pairs.c.provider, pairs.c.firm, Bid.status, Bid.created_at, pairs.c.event_date)
            .join(Bid, Bid.provider_org_id == pairs.c.provider).join(Demand, Bid.demand_id == Demand.id)
            .where(Demand.org_id == pairs.c.firm)).subquery()
    for stage, where in (("bid", ()), ("awarded", (bids.c.status == "awarded",))):
        distinct = sa.select(bids.c.event_id, bids.c.provider, bids.c.firm, bids.c.created_at, bids.c.event_date) \
            .where(*where).subquery()
        rows = db.session.execute(sa.select(distinct.c.event_id, distinct.c.provider, distinct.c.firm,
                                            distinct.c.created_at, distinct.c.event_date))
        seen: set[tuple] = set()
        for event_id, provider, firm, created_at, event_date in rows:
            if created_at >= datetime.combine(event_date, time.min) and (event_id, provider, firm) not in seen:
                seen.add((event_id, provider, firm))
                out[event_id][stage] += 1
    return out


def sessions_with_slots(event_id: int) -> list[EventSession]:
    return list(db.session.scalars(sa.select(EventSession).where(EventSession.event_id == event_id)
                                   .options(selectinload(EventSession.slots)).order_by(EventSession.starts_at)))
