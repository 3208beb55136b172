"""Ranked matches for the views, read from the stored `match` table with SQL, and the hooks
that enqueue their recomputation after a commit.

No function here ranks or encodes, except explain() (the live "why this match" page) when the
stored pair is missing or older than either item. With MATCHING_ENABLED off they return nothing.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from flask import current_app, has_app_context, has_request_context
from sqlalchemy import event
from sqlalchemy.orm import Session, selectinload

from marketplace.bids.models import Bid, Review
from marketplace.demands import access
from marketplace.demands.models import Demand
from marketplace.extensions import db
from marketplace.i18n import is_english
from marketplace.matches.documents import demand_document, indexable
from marketplace.matches.engine import get_engine
from marketplace.matches.models import Match, MatchState
from marketplace.matching.ranker import STRONG_MATCH_PROBABILITY, Reason
from marketplace.offerings.models import CaseStudy, Offering
from marketplace.pools.models import PoolApplication

DEFAULT_THRESHOLD = STRONG_MATCH_PROBABILITY


@dataclass
class RankedItem:
    obj: Any  # an Offering or a Demand
    score: float
    reasons: list[Reason]
    signals: dict[str, float] = field(default_factory=dict)
    via: Any = None  # for a provider's opportunities: the offering that matched best

    @property
    def percent(self) -> int:
        return round(self.score * 100)

    @property
    def strong(self) -> bool:
        """A good fit (the score is the calibrated probability that the pair is relevant)."""
        return self.score >= STRONG_MATCH_PROBABILITY

    def reason_texts(self) -> list[str]:
        english = is_english()
        return [r.en if english else r.zh for r in self.reasons]


def enabled() -> bool:
    return bool(current_app.config.get("MATCHING_ENABLED"))


def threshold() -> float:
    return float(current_app.config.get("MATCHING_COUNT_THRESHOLD", DEFAULT_THRESHOLD))


def _reasons(row: Match) -> list[Reason]:
    return [Reason(r.get("code", ""), r.get("zh", ""), r.get("en", "")) for r in row.reasons or ()]


def _item(row: Match, obj, via=None) -> RankedItem:
    return RankedItem(obj, row.score, _reasons(row), dict(row.signals or {}), via)


# ------------------------------------------------------------------ reading stored matches

def offerings_for_demand(demand: Demand, viewer=None, limit: int = 10) -> list[RankedItem]:
    """The demand's best published offerings, best first (one query, providers loaded with them)."""
    if not enabled():
        return []
    query = (sa.select(Match, Offering).join(Offering, Offering.id == Match.offering_id)
             .where(Match.demand_id == demand.id, Offering.status == "published")
             .order_by(Match.score.desc(), Match.offering_id).limit(limit)
             .options(selectinload(Offering.org)))
    if demand.visibility == "pool":
        # A pool-only demand is for the pool's admitted members: only their offerings show.
        from marketplace.pools.models import PoolApplication

        members = sa.select(PoolApplication.provider_org_id).where(
            PoolApplication.pool_id == demand.pool_id, PoolApplication.status == "admitted")
        query = query.where(Offering.org_id.in_(members))
    return [_item(match, offering) for match, offering in db.session.execute(query)]


def demands_for_offering(offering: Offering, viewer=None, limit: int = 10) -> list[RankedItem]:
    """Open demands the viewer may see that this offering suits, best first."""
    if not enabled():
        return []
    rows = db.session.execute(
        sa.select(Match, Demand).join(Demand, Demand.id == Match.demand_id)
        .where(Match.offering_id == offering.id, Demand.status == "open", access.visible_filter(viewer))
        .order_by(Match.score.desc(), Match.demand_id).limit(limit)
        .options(selectinload(Demand.org), selectinload(Demand.city)))
    return [_item(match, demand) for match, demand in rows]


def best_for_provider(org_id: int) -> sa.Subquery:
    """Per demand, the provider's published offering that scores best for it: columns demand_id,
    offering_id, score. Join it to a demand query to filter or sort by match."""
    ranked = (sa.select(Match.id.label("match_id"), Match.demand_id, Match.offering_id, Match.score,
                        sa.func.row_number().over(partition_by=Match.demand_id,
                                                  order_by=(Match.score.desc(), Match.offering_id)).label("place"))
              .join(Offering, Offering.id == Match.offering_id)
              .where(Match.provider_org_id == org_id, Offering.status == "published")).subquery()
    return sa.select(ranked.c.match_id, ranked.c.demand_id, ranked.c.offering_id, ranked.c.score) \
        .where(ranked.c.place == 1).subquery("best_match")


def matched_for_provider(org_id: int) -> sa.Select:
    """Ids of demands at least one of the provider's published offerings is stored as matching."""
    return (sa.select(Match.demand_id).join(Offering, Offering.id == Match.offering_id)
            .where(Match.provider_org_id == org_id, Offering.status == "published"))


def provider_items(org_id: int, demands: list[Demand]) -> dict[int, RankedItem]:
    """For each of these demands, the provider's best offering with its stored score and reasons."""
    if not enabled() or not demands:
        return {}
    by_id = {d.id: d for d in demands}
    best = best_for_provider(org_id)
    rows = db.session.execute(
        sa.select(Match, Offering).join(best, best.c.match_id == Match.id).join(Offering, Offering.id == Match.offering_id)
        .where(best.c.demand_id.in_(list(by_id))))
    return {match.demand_id: _item(match, by_id[match.demand_id], via=offering) for match, offering in rows}


def demands_for_provider(org, viewer=None, allowed_ids: set[int] | None = None, limit: int = 200) -> list[RankedItem]:
    """Open demands ranked for a provider: each demand scored by its best-matching offering."""
    if not enabled():
        return []
    best = best_for_provider(org.id)
    query = (sa.select(Demand).join(best, best.c.demand_id == Demand.id)
             .where(Demand.status == "open", access.visible_filter(viewer))
             .order_by(best.c.score.desc(), Demand.id).limit(limit))
    if allowed_ids is not None:
        query = query.where(Demand.id.in_(list(allowed_ids)))
    demands = list(db.session.scalars(query))
    items = provider_items(org.id, demands)
    return [items[d.id] for d in demands if d.id in items]


def match_counts(demand_ids, cut: float | None = None) -> dict[int, int]:
    """How many published offerings match each demand at or above the threshold (one query)."""
    ids = list(demand_ids)
    if not enabled() or not ids:
        return {}
    cut = threshold() if cut is None else cut
    rows = db.session.execute(
        sa.select(Match.demand_id, sa.func.count()).join(Offering, Offering.id == Match.offering_id)
        .where(Match.demand_id.in_(ids), Match.score >= cut, Offering.status == "published").group_by(Match.demand_id))
    counts = dict.fromkeys(ids, 0)
    counts.update({demand_id: n for demand_id, n in rows})
    return counts


def count_matches(demand: Demand, threshold: float | None = None, limit: int = 100) -> int:
    return match_counts([demand.id], threshold).get(demand.id, 0)


def matched_demands(cut: float | None = None) -> sa.Select:
    """Ids of demands with at least one published offering at or above the threshold."""
    cut = threshold() if cut is None else cut
    return (sa.select(Match.demand_id).join(Offering, Offering.id == Match.offering_id)
            .where(Match.score >= cut, Offering.status == "published"))


def pending(kind: str, objects) -> set[int]:
    """Ids of matchable items whose matches are not computed yet (the page says "matching…")."""
    objects = [o for o in objects if indexable(o)]
    if not enabled() or not objects:
        return set()
    states = dict(db.session.execute(sa.select(MatchState.object_id, MatchState.computed_at).where(
        MatchState.object_type == kind, MatchState.object_id.in_([o.id for o in objects]))).all())
    return {o.id for o in objects if o.id not in states or (o.updated_at and states[o.id] < o.updated_at)}


def explain(demand: Demand, offering: Offering) -> RankedItem | None:
    """The full breakdown for one pair: the stored one when it is current (so it equals what the
    lists show), else computed live."""
    if not enabled():
        return None
    if not (indexable(offering) and indexable(demand)):
        return None
    stored = db.session.scalar(sa.select(Match).where(Match.demand_id == demand.id, Match.offering_id == offering.id))
    if stored is not None and stored.computed_at >= max(demand.updated_at, offering.updated_at):
        return _item(stored, offering)
    engine = get_engine()
    if not engine.loaded and has_request_context():  # still loading at worker start: never build the
        from marketplace.matches.engine import warm_start  # index inside a request (a job loads it, below)

        warm_start(current_app._get_current_object())
        return _item(stored, offering) if stored is not None else None
    matcher = engine.refresh()
    doc = demand_document(demand)
    match = matcher.explain(doc, offering.id, engine.query_vector(doc))
    return RankedItem(offering, match.score, match.reasons, match.signals) if match is not None else None


# ------------------------------------------------------------------ recomputing after commits

_PENDING = "match_pending"


@event.listens_for(Session, "after_flush")
def _collect(session: Session, flush_context) -> None:
    pending_: set = session.info.setdefault(_PENDING, set())
    for obj in list(session.new) + list(session.dirty):
        if isinstance(obj, Demand):
            pending_.add(("demand", obj.id))
        elif isinstance(obj, Offering):
            pending_.add(("offering", obj.id))
        elif isinstance(obj, CaseStudy) and obj.offering_id:
            pending_.add(("offering", obj.offering_id))
        elif isinstance(obj, (PoolApplication, Review, Bid)):
            # The provider's pool membership or track record changed: its offerings' metadata too.
            org_id = getattr(obj, "provider_org_id", None)
            if org_id:
                pending_.add(("provider", org_id))


@event.listens_for(Session, "before_commit")
def _enqueue_refresh(session: Session) -> None:
    """Nothing is encoded here (that would hold the write lock): jobs do it after the commit."""
    if not _matching_on():
        session.info.pop(_PENDING, None)
        return
    session.flush()
    pending_ = session.info.pop(_PENDING, None)
    if not pending_ or session is not db.session():
        return
    from marketplace.db import utc_now
    from marketplace.jobs import enqueue

    demands = sorted(i for kind, i in pending_ if kind == "demand")
    offerings = sorted(i for kind, i in pending_ if kind == "offering")
    providers = sorted(i for kind, i in pending_ if kind == "provider")
    if providers:
        # Touch the offerings so every worker re-reads their pool/track-record metadata.
        session.execute(sa.update(Offering).where(Offering.org_id.in_(providers)).values(updated_at=utc_now())
                        .execution_options(synchronize_session=False))
        enqueue("matches.refresh_provider", org_ids=providers)
    if demands or offerings:
        enqueue("matches.refresh_items", demand_ids=demands, offering_ids=offerings)


@event.listens_for(Session, "after_soft_rollback")
def _forget(session: Session, previous_transaction) -> None:
    session.info.pop(_PENDING, None)


def _matching_on() -> bool:
    try:
        return has_app_context() and enabled()
    except RuntimeError:  # outside an app context (e.g. a bare script)
        return False


