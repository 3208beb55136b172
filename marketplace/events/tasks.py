"""Background work of the events area: the matcher's suggested meetings, computed once per
change of the participant list and stored, so the pages only read them."""
from __future__ import annotations

import json
from datetime import timedelta
from typing import NamedTuple

import sqlalchemy as sa

from marketplace.bids.models import Bid
from marketplace.db import read_phase, utc_now
from marketplace.events.models import Registration, Suggestion
from marketplace.extensions import db
from marketplace.jobs import job, periodic

SUGGESTIONS_PER_PARTICIPANT = 10
LIVE_BID_STATUSES = ("submitted", "shortlisted", "awarded")
REMIND_EVERY = timedelta(days=2)  # as b2match does: a nudge every two days while booking is open


@job("events.suggest", retries=2, retry_delay=30)
def suggest_meetings(event_id: int) -> int:
    """Score every manufacturer × provider pair of approved participants by the best
    demand–offering match they brought, and keep each participant's best counterparts.
    Scoring reads only (no SQLite write lock while the matcher explains pairs); then a short write."""
    with read_phase():
        scored = _score_pairs(event_id)
        db.session.commit()
    db.session.execute(sa.delete(Suggestion).where(Suggestion.event_id == event_id))
    now = utc_now()
    kept = 0
    for side in (0, 1):  # firms' suggestions, then providers'
        by_owner: dict[int, list[ScoredPair]] = {}
        for pair in scored:
            by_owner.setdefault(pair.firm_id if side == 0 else pair.provider_id, []).append(pair)
        for pairs in by_owner.values():
            pairs.sort(key=lambda pair: -pair.score)
            for pair in pairs[:SUGGESTIONS_PER_PARTICIPANT]:
                owner, other = (pair.firm_id, pair.provider_id) if side == 0 else (pair.provider_id, pair.firm_id)
                db.session.add(Suggestion(
                    event_id=event_id, registration_id=owner, other_id=other, score=pair.score,
                    demand_id=pair.demand_id, offering_id=pair.offering_id, computed_at=now,
                    reasons_zh=json.dumps(pair.reasons_zh, ensure_ascii=False),
                    reasons_en=json.dumps(pair.reasons_en, ensure_ascii=False)))
                kept += 1
    db.session.flush()
    return kept


class ScoredPair(NamedTuple):
    firm_id: int          # registrations
    provider_id: int
    score: float
    demand_id: int
    offering_id: int
    reasons_zh: list[str]
    reasons_en: list[str]


def _score_pairs(event_id: int) -> list[ScoredPair]:
    from marketplace.matches import services as matches

    registrations = db.session.scalars(sa.select(Registration).where(
        Registration.event_id == event_id, Registration.status == "approved")).all()
    firms = [r for r in registrations if r.org.kind == "manufacturer" and r.demands]
    providers = [r for r in registrations if r.org.kind == "provider" and r.offerings]
    talking = _pairs_with_live_bids(firms, providers)
    scored: list[ScoredPair] = []
    for firm in firms:
        for provider in providers:
            if (firm.org_id, provider.org_id) in talking:
                continue  # they already deal through a live bid: no need to introduce them
            best = None
            for demand in firm.demands:
                for offering in provider.offerings:
                    item = matches.explain(demand, offering)
                    if item is not None and (best is None or item.score > best[0].score):
                        best = (item, demand, offering)
            if best is not None:
                item, demand, offering = best
                scored.append(ScoredPair(firm.id, provider.id, float(item.score), demand.id, offering.id,
                                         [r.zh for r in item.reasons][:4], [r.en for r in item.reasons][:4]))
    return scored


def _pairs_with_live_bids(firms, providers) -> set[tuple[int, int]]:
    demand_owner = {d.id: f.org_id for f in firms for d in f.demands}
    if not demand_owner or not providers:
        return set()
    rows = db.session.execute(sa.select(Bid.demand_id, Bid.provider_org_id).where(
        Bid.demand_id.in_(list(demand_owner)), Bid.provider_org_id.in_([p.org_id for p in providers]),
        Bid.status.in_(LIVE_BID_STATUSES)))
    return {(demand_owner[demand_id], provider_org_id) for demand_id, provider_org_id in rows}


@periodic("events.remind_booking", minute="0", hour="1")  # 09:00 in Shandong
def remind_participants_who_booked_nothing() -> int:
    """Every two days while booking is open, nudge approved participants with no meeting request
    sent or received. The reminder time is stored, so a re-run the same day sends nothing."""
    from marketplace.events import services
    from marketplace.events.models import Event, MeetingRequest
    from marketplace.notifications.services import notify_org

    now = utc_now()
    sent = 0
    events = db.session.scalars(sa.select(Event).where(Event.status == "published",
                                                       Event.event_date >= services.today())).all()
    for event in events:
        if not services.booking_open(event):
            continue
        involved = sa.select(MeetingRequest.from_id).where(MeetingRequest.event_id == event.id).union(
            sa.select(MeetingRequest.to_id).where(MeetingRequest.event_id == event.id))
        idle = db.session.scalars(sa.select(Registration).where(
            Registration.event_id == event.id, Registration.status == "approved", Registration.id.not_in(involved),
            sa.or_(Registration.booking_reminded_at.is_(None), Registration.booking_reminded_at <= now - REMIND_EVERY)))
        for registration in idle:
            notify_org(registration.org, "event.book_reminder", link=f"/events/{event.id}/me", title=event.title)
            registration.booking_reminded_at = now
            sent += 1
    db.session.flush()
    return sent


@job("events.schedule", retries=1, retry_delay=10)
def schedule_event(event_id: int) -> int:
    """Run the solver for an event (tens of seconds at a few hundred participants: never in a
    request). It plans in a read transaction (no SQLite write lock while it solves), then stores."""
    from marketplace.events import services
    from marketplace.events.models import Event

    with read_phase():
        event = db.session.get(Event, event_id)
        if event is None:
            return 0
        plan = services.plan_schedule(event)
        db.session.commit()
    event = db.session.get(Event, event_id)
    if event is None:
        return 0
    result = services.apply_schedule(event, plan)
    event.scheduled_at = utc_now()
    db.session.flush()
    return len(result.placements)
