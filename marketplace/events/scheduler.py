"""Automatic meeting schedule for a matchmaking event, solved with OR-Tools CP-SAT.

Plain data in, plain data out (no Flask, no ORM), so the rules are testable on their own.

The model: a boolean per (request, slot) where both participants attend that slot's session.
Each accepted request is placed at most once; nobody is in two meetings in one slot; a slot
holds at most as many meetings as there are tables; locked meetings keep their slot. The
objective maximises the number of meetings weighted by each request's weight (match score ×
mutual priority), so when not everything fits, the best pairings are kept. Tables are
interchangeable, so they are handed out after solving (locked meetings keep theirs).
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from ortools.sat.python import cp_model

WEIGHT_SCALE = 1000  # CP-SAT wants integer coefficients
BASE_WEIGHT = 1000  # every placed meeting counts; the weight only breaks ties between pairings

# Reasons a request stays unplaced (codes; the view translates them).
NO_SHARED_SLOT = "no_shared_slot"  # the two participants attend no common session
PARTICIPANT_BUSY = "participant_busy"  # every shared slot already holds a meeting of one of them
TABLES_FULL = "tables_full"  # every shared slot has all tables taken
NOT_REACHED = "not_reached"  # the solver's time limit ran out before it placed this one


@dataclass(frozen=True)
class Slot:
    id: int
    session_id: int
    order: int  # position in time; slots of one event are ordered by it


@dataclass(frozen=True)
class Request:
    id: int
    a: int  # participant (registration) ids
    b: int
    weight: float = 1.0


@dataclass(frozen=True)
class Placement:
    request_id: int
    slot_id: int
    table: int  # 1-based


@dataclass
class Schedule:
    placements: list[Placement] = field(default_factory=list)
    unplaced: dict[int, str] = field(default_factory=dict)  # request id -> reason code
    optimal: bool = True
    wall_seconds: float = 0.0
    tables: int = 0


def solve(slots: list[Slot], tables: int, sessions_of: dict[int, set[int]], requests: list[Request],
          locked: dict[int, tuple[int, int]] | None = None, time_limit: float = 20.0,
          workers: int = 2) -> Schedule:
    """Place requests into slots and tables.

    sessions_of: participant id -> the session ids they attend.
    locked: request id -> (slot id, table) that must be kept as they are.
    """
    locked = dict(locked or {})
    slot_by_id = {s.id: s for s in slots}
    model = cp_model.CpModel()
    x: dict[tuple[int, int], cp_model.IntVar] = {}
    by_slot: dict[int, list] = defaultdict(list)
    by_person_slot: dict[tuple[int, int], list] = defaultdict(list)
    feasible: dict[int, list[int]] = {}

    for request in requests:
        shared = sessions_of.get(request.a, set()) & sessions_of.get(request.b, set())
        options = [s.id for s in slots if s.session_id in shared and request.a != request.b]
        if request.id in locked:
            options = [locked[request.id][0]] if locked[request.id][0] in slot_by_id else []
        feasible[request.id] = options
        for slot_id in options:
            var = model.NewBoolVar(f"r{request.id}s{slot_id}")
            x[(request.id, slot_id)] = var
            by_slot[slot_id].append(var)
            by_person_slot[(request.a, slot_id)].append(var)
            by_person_slot[(request.b, slot_id)].append(var)
        placed_once = [x[(request.id, s)] for s in options]
        if request.id in locked and placed_once:
            model.Add(sum(placed_once) == 1)
        elif placed_once:
            model.AddAtMostOne(placed_once)

    for variables in by_slot.values():
        model.Add(sum(variables) <= tables)
    for variables in by_person_slot.values():
        if len(variables) > 1:
            model.AddAtMostOne(variables)

    weight = {r.id: BASE_WEIGHT + int(round(max(r.weight, 0.0) * WEIGHT_SCALE)) for r in requests}
    model.Maximize(sum(weight[rid] * var for (rid, _), var in x.items()))

    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = time_limit
    solver.parameters.num_workers = workers
    solver.parameters.random_seed = 7  # same input, same schedule
    status = solver.Solve(model)
    result = Schedule(optimal=status == cp_model.OPTIMAL, wall_seconds=solver.WallTime(), tables=tables)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        # Only locked meetings can make the model infeasible (two locked in one person's slot).
        raise ValueError("the locked meetings conflict with each other")

    chosen: dict[int, int] = {rid: sid for (rid, sid), var in x.items() if solver.Value(var)}
    result.placements = _hand_out_tables(chosen, locked, tables)
    _explain_unplaced(result, requests, feasible, chosen)
    return result


def _hand_out_tables(chosen: dict[int, int], locked: dict[int, tuple[int, int]], tables: int) -> list[Placement]:
    taken: dict[int, set[int]] = defaultdict(set)
    placements = []
    for rid, sid in sorted(chosen.items()):
        if rid in locked and 1 <= locked[rid][1] <= tables and locked[rid][1] not in taken[sid]:
            taken[sid].add(locked[rid][1])
            placements.append(Placement(rid, sid, locked[rid][1]))
    placed = {p.request_id for p in placements}
    for rid, sid in sorted(chosen.items()):
        if rid in placed:
            continue
        table = next(t for t in range(1, tables + 1) if t not in taken[sid])
        taken[sid].add(table)
        placements.append(Placement(rid, sid, table))
    return sorted(placements, key=lambda p: (p.slot_id, p.table))


def _explain_unplaced(result: Schedule, requests: list[Request], feasible: dict[int, list[int]],
                      chosen: dict[int, int]) -> None:
    per_slot: dict[int, int] = defaultdict(int)
    busy: set[tuple[int, int]] = set()
    by_id = {r.id: r for r in requests}
    tables = result.tables
    for rid, sid in chosen.items():
        per_slot[sid] += 1
        busy.add((by_id[rid].a, sid))
        busy.add((by_id[rid].b, sid))
    for request in requests:
        if request.id in chosen:
            continue
        options = feasible[request.id]
        if not options:
            result.unplaced[request.id] = NO_SHARED_SLOT
        elif all((request.a, s) in busy or (request.b, s) in busy for s in options):
            result.unplaced[request.id] = PARTICIPANT_BUSY
        elif all(per_slot[s] >= tables or (request.a, s) in busy or (request.b, s) in busy for s in options):
            result.unplaced[request.id] = TABLES_FULL
        else:
            result.unplaced[request.id] = NOT_REACHED
