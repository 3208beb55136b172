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


def funnel(event: Event) -> list[tuple[str, int]]:
    """registered → requested → accepted → held → followed by a bid → awarded, for one event."""
    count = lambda q: db.session.scalar(q) or 0  # noqa: E731
    registered = count(sa.select(sa.func.count(Registration.id)).where(
        Registration.event_id == event.id, Registration.status == "approved"))
    requested = count(sa.select(sa.func.count(MeetingRequest.id)).where(MeetingRequest.event_id == event.id))
    accepted = count(sa.select(sa.func.count(MeetingRequest.id)).where(
        MeetingRequest.event_id == event.id, MeetingRequest.status == "accepted"))
    held = count(sa.select(sa.func.count(Meeting.id)).join(MeetingRequest).where(
        MeetingRequest.event_id == event.id, Meeting.status == "held"))
    # A held meeting is followed by a bid when the provider bid on one of the firm's demands on
    # or after the day of the event (whichever side asked for the meeting).
    sender, recipient = aliased(Registration), aliased(Registration)
    sender_org, recipient_org = aliased(Organisation), aliased(Organisation)
    pairs = (sa.select(sa.case((sender_org.kind == "provider", sender.org_id), else_=recipient.org_id).label("provider"),
                       sa.case((sender_org.kind == "provider", recipient.org_id), else_=sender.org_id).label("firm"))
             .select_from(Meeting).join(MeetingRequest)
             .join(sender, MeetingRequest.from_id == sender.id).join(recipient, MeetingRequest.to_id == recipient.id)
             .join(sender_org, sender.org_id == sender_org.id).join(recipient_org, recipient.org_id == recipient_org.id)
             .where(MeetingRequest.event_id == event.id, Meeting.status == "held")).subquery()
    since = datetime.combine(event.event_date, time.min)
    bid_pairs = (sa.select(pairs.c.provider, pairs.c.firm, Bid.status).join(
        Bid, Bid.provider_org_id == pairs.c.provider).join(Demand, Bid.demand_id == Demand.id)
        .where(Demand.org_id == pairs.c.firm, Bid.created_at >= since)).subquery()
    distinct_pairs = lambda *where: sa.select(sa.func.count()).select_from(  # noqa: E731
        sa.select(bid_pairs.c.provider, bid_pairs.c.firm).where(*where).distinct().subquery())
    followed = count(distinct_pairs())
    awarded = count(distinct_pairs(bid_pairs.c.status == "awarded"))
    return [("registered", registered), ("requested", requested), ("accepted", accepted), ("held", held),
            ("bid", followed), ("awarded", awarded)]


def sessions_with_slots(event_id: int) -> list[EventSession]:
    return list(db.session.scalars(sa.select(EventSession).where(EventSession.event_id == event_id)
                                   .options(selectinload(EventSession.slots)).order_by(EventSession.starts_at)))
