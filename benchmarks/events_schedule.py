"""Time and quality of the automatic event scheduler at a realistic size.

    python benchmarks/events_schedule.py --participants 300 --requests 1500

Random but seeded instance: two sessions (morning and afternoon) of 20-minute slots, each
participant attends one or both sessions, requests weighted by a random match score. The
baseline in the same run is a greedy schedule (best weight first, earliest free slot), so
the CP-SAT figure is read as a ratio to it: meetings placed and weight kept.
"""
from __future__ import annotations

import argparse
import random
import sys
import time
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from marketplace.events.scheduler import Request, Slot, solve  # noqa: E402


def instance(participants: int, requests: int, slots_per_session: int, seed: int):
    rng = random.Random(seed)
    slots = [Slot(id=i + 1, session_id=1 if i < slots_per_session else 2, order=i + 1)
             for i in range(2 * slots_per_session)]
    sessions_of = {p: rng.choice([{1}, {2}, {1, 2}, {1, 2}]) for p in range(1, participants + 1)}
    pairs: set[tuple[int, int]] = set()
    while len(pairs) < requests:
        a, b = rng.sample(range(1, participants + 1), 2)
        pairs.add((min(a, b), max(a, b)))
    reqs = [Request(id=i, a=a, b=b, weight=rng.random()) for i, (a, b) in enumerate(sorted(pairs), 1)]
    return slots, sessions_of, reqs


def greedy(slots, tables, sessions_of, requests):
    used = defaultdict(int)
    busy = set()
    placed = []
    for r in sorted(requests, key=lambda r: -r.weight):
        for s in slots:
            if (s.session_id in sessions_of[r.a] and s.session_id in sessions_of[r.b]
                    and used[s.id] < tables and (r.a, s.id) not in busy and (r.b, s.id) not in busy):
                used[s.id] += 1
                busy.update({(r.a, s.id), (r.b, s.id)})
                placed.append(r)
                break
    return placed


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--participants", type=int, default=300)
    parser.add_argument("--requests", type=int, default=1500)
    parser.add_argument("--slots-per-session", type=int, default=9)
    parser.add_argument("--tables", type=int, default=40)
    parser.add_argument("--time-limit", type=float, default=30.0)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    slots, sessions_of, reqs = instance(args.participants, args.requests, args.slots_per_session, args.seed)

    start = time.perf_counter()
    base = greedy(slots, args.tables, sessions_of, reqs)
    greedy_s = time.perf_counter() - start
    start = time.perf_counter()
    result = solve(slots, args.tables, sessions_of, reqs, time_limit=args.time_limit)
    solve_s = time.perf_counter() - start

    weight = {r.id: r.weight for r in reqs}
    cp_weight = sum(weight[p.request_id] for p in result.placements)
    greedy_weight = sum(r.weight for r in base)
    print(f"instance: {args.participants} participants, {len(reqs)} accepted requests, "
          f"{len(slots)} slots x {args.tables} tables, seed {args.seed}")
    print(f"greedy  : {len(base)} meetings, weight {greedy_weight:.1f}, {greedy_s * 1000:.0f} ms")
    print(f"CP-SAT  : {len(result.placements)} meetings, weight {cp_weight:.1f}, {solve_s:.2f} s wall "
          f"({'optimal' if result.optimal else 'time limit reached, best found'})")
    print(f"ratio   : meetings x{len(result.placements) / max(len(base), 1):.3f}, "
          f"weight x{cp_weight / max(greedy_weight, 1e-9):.3f}")
    reasons = defaultdict(int)
    for code in result.unplaced.values():
        reasons[code] += 1
    print("unplaced:", dict(reasons) or "none")


if __name__ == "__main__":
    main()
