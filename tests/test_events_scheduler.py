"""The automatic scheduler keeps its promises on random events: nobody is double-booked,
no slot holds more meetings than tables, every meeting lies in a session both sides attend,
locked meetings stay put, and whatever is left out says why."""
from __future__ import annotations

from collections import Counter

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from marketplace.events import scheduler
from marketplace.events.scheduler import Request, Slot, solve


@st.composite
def events(draw):
    n_sessions = draw(st.integers(1, 3))
    slots, order = [], 0
    for session in range(1, n_sessions + 1):
        for _ in range(draw(st.integers(1, 4))):
            order += 1
            slots.append(Slot(id=order, session_id=session, order=order))
    tables = draw(st.integers(1, 3))
    people = draw(st.integers(2, 9))
    sessions_of = {p: set(draw(st.lists(st.integers(1, n_sessions), min_size=0, max_size=n_sessions)))
                   for p in range(1, people + 1)}
    pairs = draw(st.lists(st.tuples(st.integers(1, people), st.integers(1, people))
                          .filter(lambda ab: ab[0] != ab[1]), max_size=20, unique=True))
    requests = [Request(id=i, a=a, b=b, weight=draw(st.floats(0, 1))) for i, (a, b) in enumerate(pairs, 1)]
    return slots, tables, sessions_of, requests


def check_constraints(slots, tables, sessions_of, requests, result):
    by_id = {r.id: r for r in requests}
    slot_by_id = {s.id: s for s in slots}
    per_slot = Counter(p.slot_id for p in result.placements)
    assert all(count <= tables for count in per_slot.values())
    seats = Counter()
    for p in result.placements:
        r = by_id[p.request_id]
        session = slot_by_id[p.slot_id].session_id
        assert session in sessions_of[r.a] and session in sessions_of[r.b]
        assert 1 <= p.table <= tables
        seats[(r.a, p.slot_id)] += 1
        seats[(r.b, p.slot_id)] += 1
    assert all(n == 1 for n in seats.values()), "someone is in two meetings at once"
    assert len({(p.slot_id, p.table) for p in result.placements}) == len(result.placements)
    placed = {p.request_id for p in result.placements}
    assert len(placed) == len(result.placements), "a request placed twice"
    assert placed | set(result.unplaced) == set(by_id)
    assert not placed & set(result.unplaced)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(events())
def test_random_events_keep_every_constraint(event):
    slots, tables, sessions_of, requests = event
    result = solve(slots, tables, sessions_of, requests, time_limit=5)
    check_constraints(slots, tables, sessions_of, requests, result)
    assert result.optimal
    assert scheduler.NOT_REACHED not in result.unplaced.values()


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(events(), st.data())
def test_locked_meetings_keep_their_slot_and_table(event, data):
    slots, tables, sessions_of, requests = event
    first = solve(slots, tables, sessions_of, requests, time_limit=5)
    if not first.placements:
        return
    keep = data.draw(st.sampled_from(first.placements))
    # The organiser moved it to the last table and locked it there.
    locked = {keep.request_id: (keep.slot_id, tables)}
    others = [p for p in first.placements if p.slot_id == keep.slot_id and p.table == tables and p is not keep]
    assert len(others) <= 1
    second = solve(slots, tables, sessions_of, requests, locked=locked, time_limit=5)
    check_constraints(slots, tables, sessions_of, requests, second)
    assert next(p for p in second.placements if p.request_id == keep.request_id) == \
        scheduler.Placement(keep.request_id, keep.slot_id, tables)


def test_unplaced_requests_say_why():
    slots = [Slot(1, 1, 1), Slot(2, 2, 2)]
    sessions_of = {1: {1}, 2: {2}, 3: {1}, 4: {1}, 5: {1}}
    requests = [
        Request(1, 1, 2),  # never in the same session
        Request(2, 1, 3, weight=0.9),  # 1 and 3 meet in slot 1 ...
        Request(3, 1, 4, weight=0.1),  # ... so 1 has no time left for 4
        Request(4, 4, 5, weight=0.5),  # one table only: slot 1 is full
    ]
    result = solve(slots, 1, sessions_of, requests)
    assert [p.request_id for p in result.placements] == [2]
    assert result.unplaced == {1: scheduler.NO_SHARED_SLOT, 3: scheduler.PARTICIPANT_BUSY,
                               4: scheduler.TABLES_FULL}


def test_the_better_pairing_wins_when_not_everything_fits():
    slots = [Slot(1, 1, 1)]
    sessions_of = {1: {1}, 2: {1}, 3: {1}}
    requests = [Request(1, 1, 2, weight=0.2), Request(2, 1, 3, weight=0.95)]
    result = solve(slots, 5, sessions_of, requests)
    assert [p.request_id for p in result.placements] == [2]
