"""Computing and storing matches (run by the jobs in tasks.py, never by a page).

A stored pair's score is the demand's ranking score for that offering, the number the "why this
match" page shows. A demand keeps its top TOP_K offerings; an offering that changes is also
scored, from each demand's side, against the demands it ranks highest, so it reaches the lists
of the demands it suits (and a provider's opportunities) without re-ranking the whole market.
"""
from __future__ import annotations

from collections.abc import Iterable

import sqlalchemy as sa

from marketplace.db import read_phase, utc_now
from marketplace.demands.models import Demand
from marketplace.extensions import db
from marketplace.matches.engine import MatchEngine
from marketplace.matches.models import Match, MatchState
from marketplace.matching import ranker
from marketplace.matching.ranker import Matcher, MatchDocument
from marketplace.offerings.models import Offering

TOP_K = 50          # offerings stored per demand (counts and coverage read at most these)
CANDIDATES = 50     # demands an edited offering is scored against


def matcher_version() -> str:
    return getattr(ranker, "MATCHER_VERSION", "1")


def _row(engine: MatchEngine, demand_id: int, offering: MatchDocument, match, now) -> dict:
    return {"demand_id": demand_id, "offering_id": offering.id, "provider_org_id": offering.owner_id,
            "score": float(match.score), "signals": {k: round(float(v), 4) for k, v in match.signals.items()},
            "reasons": [{"code": r.code, "zh": r.zh, "en": r.en} for r in match.reasons],
            "model_name": engine.encoder.name, "matcher_version": matcher_version(), "computed_at": now}


def _docs(matcher: Matcher, kind: str, ids: Iterable[int]) -> dict[int, MatchDocument]:
    docs = matcher.collections[kind].docs
    return {i: docs[i] for i in ids if i in docs}


def _insert(rows: list[dict]) -> None:
    for start in range(0, len(rows), 500):
        db.session.execute(sa.insert(Match), rows[start:start + 500])


def mark_computed(engine: MatchEngine, kind: str, ids: Iterable[int]) -> None:
    ids = list(ids)
    if not ids:
        return
    now = utc_now()
    for start in range(0, len(ids), 900):
        chunk = ids[start:start + 900]
        db.session.execute(sa.delete(MatchState).where(MatchState.object_type == kind, MatchState.object_id.in_(chunk)))
        db.session.execute(sa.insert(MatchState), [
            {"object_type": kind, "object_id": i, "model_name": engine.encoder.name,
             "matcher_version": matcher_version(), "computed_at": now} for i in chunk])


def demand_rows(engine: MatchEngine, matcher: Matcher, demand_ids: list[int]) -> list[dict]:
    """The top TOP_K offerings of each demand, as rows (reads and ranks; writes nothing)."""
    offerings = matcher.collections["offering"].docs
    docs = _docs(matcher, "demand", demand_ids)
    vectors = engine.stored_vectors(list(docs.values()))
    now = utc_now()
    rows = []
    for demand_id, doc in docs.items():
        for match in matcher.rank(doc, vectors.get(("demand", demand_id)), k=TOP_K):
            rows.append(_row(engine, demand_id, offerings[match.id], match, now))
    return rows


def replace_demand_rows(engine: MatchEngine, demand_ids: list[int], rows: list[dict]) -> int:
    """Write the rows demand_rows() computed, replacing these demands' stored matches (a demand
    no longer open keeps none)."""
    for start in range(0, len(demand_ids), 900):
        db.session.execute(sa.delete(Match).where(Match.demand_id.in_(demand_ids[start:start + 900])))
    _insert(rows)
    mark_computed(engine, "demand", demand_ids)
    return len(rows)


def offering_rows(engine: MatchEngine, matcher: Matcher, offering_ids: list[int]) -> dict[int, list[dict]]:
    """Each offering scored against the demands it suits best and those already listing it, as
    rows per offering; an offering no longer indexed gets none (reads and ranks; writes nothing)."""
    offerings = _docs(matcher, "offering", offering_ids)
    vectors = engine.stored_vectors(list(offerings.values()))
    now = utc_now()
    out: dict[int, list[dict]] = {i: [] for i in offering_ids}
    for offering_id, doc in offerings.items():
        candidates = {m.id for m in matcher.rank(doc, vectors.get(("offering", offering_id)), k=CANDIDATES, with_reasons=False)}
        candidates |= set(db.session.scalars(sa.select(Match.demand_id).where(Match.offering_id == offering_id)))
        demands = _docs(matcher, "demand", candidates)
        demand_vectors = engine.stored_vectors(list(demands.values()))
        for demand_id, demand in demands.items():
            match = matcher.explain(demand, offering_id, demand_vectors.get(("demand", demand_id)))
            if match is not None:
                out[offering_id].append(_row(engine, demand_id, doc, match, now))
    return out


def replace_offering_rows(engine: MatchEngine, rows: dict[int, list[dict]]) -> int:
    """Write what offering_rows() computed, replacing these offerings' stored matches."""
    offering_ids = sorted(rows)
    written = 0
    for offering_id in offering_ids:
        db.session.execute(sa.delete(Match).where(Match.offering_id == offering_id))
        _insert(rows[offering_id])
        written += len(rows[offering_id])
    db.session.execute(sa.delete(Match).where(Match.offering_id.in_(offering_ids), Match.demand_id.not_in(
        sa.select(Demand.id).where(Demand.status == "open"))))
    mark_computed(engine, "offering", offering_ids)
    return written


def refresh_items(engine: MatchEngine, demand_ids: list[int], offering_ids: list[int]) -> int:
    """Recompute and store these items' matches. On SQLite the ranking runs in a read transaction
    that holds no write lock, and only the writes that follow take it (briefly). Commits."""
    with read_phase():
        matcher = engine.refresh()
        by_demand = demand_rows(engine, matcher, demand_ids) if demand_ids else []
        by_offering = offering_rows(engine, matcher, offering_ids) if offering_ids else {}
        db.session.commit()
    written = replace_demand_rows(engine, demand_ids, by_demand) if demand_ids else 0
    written += replace_offering_rows(engine, by_offering) if offering_ids else 0
    db.session.commit()
    return written


def refresh_all(engine: MatchEngine, batch: int = 500, progress=None) -> int:
    """Every open demand's matches, in batches that each commit, so pages keep serving the
    previous rows of the demands not yet done; rows of other matcher versions go at the end."""
    with read_phase():
        matcher = engine.matcher or engine.ready()
        db.session.commit()
    demand_ids = sorted(matcher.collections["demand"].docs)
    written = 0
    for start in range(0, len(demand_ids), batch):
        chunk = demand_ids[start:start + batch]
        with read_phase():
            rows = demand_rows(engine, matcher, chunk)
            db.session.commit()
        written += replace_demand_rows(engine, chunk, rows)
        db.session.commit()
        if progress:
            progress(min(start + batch, len(demand_ids)), len(demand_ids))
    db.session.execute(sa.delete(Match).where(sa.or_(Match.matcher_version != matcher_version(),
                                                     Match.model_name != engine.encoder.name)))
    db.session.execute(sa.delete(Match).where(Match.demand_id.not_in(sa.select(Demand.id).where(Demand.status == "open"))))
    db.session.execute(sa.delete(Match).where(Match.offering_id.not_in(
        sa.select(Offering.id).where(Offering.status == "published"))))
    mark_computed(engine, "offering", sorted(matcher.collections["offering"].docs))
    db.session.commit()
    analyze()
    return written


def analyze() -> None:
    """Planner statistics for the match tables (PostgreSQL's autovacuum does this too; SQLite does not)."""
    db.session.commit()
    db.session.execute(sa.text("ANALYZE"))
    db.session.commit()


def outdated(engine: MatchEngine) -> bool:
    """Stored matches were computed by another model or matcher version."""
    return db.session.scalar(sa.select(sa.func.count()).select_from(MatchState).where(sa.or_(
        MatchState.matcher_version != matcher_version(), MatchState.model_name != engine.encoder.name))) > 0


