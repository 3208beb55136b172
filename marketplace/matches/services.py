"""Ranked matches for the views, and the hooks that keep stored vectors current.

Every function returns plain RankedItems; with MATCHING_ENABLED off they return nothing.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from flask import current_app, g, has_app_context
from sqlalchemy import event
from sqlalchemy.orm import Session

from marketplace.bids.models import Bid, Review
from marketplace.demands import access
from marketplace.demands.models import Demand
from marketplace.extensions import db
from marketplace.i18n import is_english
from marketplace.matches.documents import ProviderFacts, demand_document, indexable, offering_document
from marketplace.matches.engine import get_engine
from marketplace.matching.ranker import Match, Reason
from marketplace.offerings.models import CaseStudy, Offering
from marketplace.pools.models import PoolApplication

DEFAULT_THRESHOLD = 0.3


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

    def reason_texts(self) -> list[str]:
        english = is_english()
        return [r.en if english else r.zh for r in self.reasons]


def enabled() -> bool:
    return bool(current_app.config.get("MATCHING_ENABLED"))


_FRESH = "_match_index_fresh"


def _current():
    """The engine and its matcher, brought up to date once per app context (a request), and again
    only after this context commits: pages that rank many demands do not re-read changes each time."""
    engine = get_engine()
    if g.get(_FRESH):
        return engine, engine.ready()
    matcher = engine.refresh()
    setattr(g, _FRESH, True)
    return engine, matcher


def _items(matches: list[Match], model) -> list[RankedItem]:
    if not matches:
        return []
    rows = {r.id: r for r in db.session.scalars(sa.select(model).where(model.id.in_([m.id for m in matches])))}
    return [RankedItem(rows[m.id], m.score, m.reasons, m.signals) for m in matches if m.id in rows]


def offerings_for_demand(demand: Demand, viewer=None, limit: int = 10) -> list[RankedItem]:
    if not enabled():
        return []
    engine, matcher = _current()
    doc = demand_document(demand)
    return _items(matcher.rank(doc, engine.query_vector(doc), k=limit, allowed=_offerings_allowed_for(demand)), Offering)


def _offerings_allowed_for(demand: Demand) -> set[int] | None:
    """A pool-only demand is for the pool's admitted members: only their offerings rank (None: all do)."""
    if demand.visibility != "pool":
        return None
    from marketplace.pools.models import PoolApplication

    members = sa.select(PoolApplication.provider_org_id).where(
        PoolApplication.pool_id == demand.pool_id, PoolApplication.status == "admitted")
    return set(db.session.scalars(sa.select(Offering.id).where(Offering.org_id.in_(members))))


def visible_open_demand_ids(viewer) -> set[int]:
    return set(db.session.scalars(sa.select(Demand.id).where(Demand.status == "open", access.visible_filter(viewer))))


def demands_for_offering(offering: Offering, viewer=None, limit: int = 10) -> list[RankedItem]:
    if not enabled():
        return []
    engine, matcher = _current()
    doc = offering_document(offering)
    allowed = visible_open_demand_ids(viewer)
    return _items(matcher.rank(doc, engine.query_vector(doc), k=limit, allowed=allowed), Demand)


def demands_for_provider(org, viewer=None, allowed_ids: set[int] | None = None, limit: int = 200) -> list[RankedItem]:
    """Open demands ranked for a provider: each demand scored by its best-matching offering."""
    if not enabled():
        return []
    engine, matcher = _current()
    allowed = visible_open_demand_ids(viewer)
    if allowed_ids is not None:
        allowed &= set(allowed_ids)
    if not allowed:
        return []
    offerings = db.session.scalars(sa.select(Offering).where(Offering.org_id == org.id, Offering.status == "published")).all()
    facts = ProviderFacts([org.id])  # shared by all of the provider's offerings
    best: dict[int, tuple[Match, Offering]] = {}
    for offering in offerings:
        doc = offering_document(offering, facts)
        for match in matcher.rank(doc, engine.query_vector(doc), k=limit, allowed=allowed):
            if match.id not in best or match.score > best[match.id][0].score:
                best[match.id] = (match, offering)
    ordered = sorted(best.values(), key=lambda pair: -pair[0].score)[:limit]
    items = _items([m for m, _ in ordered], Demand)
    via = {m.id: o for m, o in ordered}
    for item in items:
        item.via = via.get(item.obj.id)
    return items


def explain(demand: Demand, offering: Offering) -> RankedItem | None:
    """The full breakdown for one demand–offering pair."""
    if not enabled():
        return None
    engine, matcher = _current()
    doc = demand_document(demand)
    if indexable(offering):
        match = matcher.explain(doc, offering.id, engine.query_vector(doc))
    else:
        match = None
    if match is None:
        return None
    return RankedItem(offering, match.score, match.reasons, match.signals)


def count_matches(demand: Demand, threshold: float | None = None, limit: int = 100) -> int:
    """How many offerings match the demand at or above the threshold score."""
    if not enabled():
        return 0
    threshold = current_app.config.get("MATCHING_COUNT_THRESHOLD", DEFAULT_THRESHOLD) if threshold is None else threshold
    return sum(1 for item in offerings_for_demand(demand, limit=limit) if item.score >= threshold)


# ------------------------------------------------------------------ keeping vectors current

_PENDING = "match_pending"


@event.listens_for(Session, "after_flush")
def _collect(session: Session, flush_context) -> None:
    pending: set = session.info.setdefault(_PENDING, set())
    for obj in list(session.new) + list(session.dirty):
        if isinstance(obj, (Demand, Offering)):
            pending.add(obj)
        elif isinstance(obj, CaseStudy) and obj.offering is not None:
            pending.add(obj.offering)
        elif isinstance(obj, (PoolApplication, Review, Bid)):
            # The provider's pool membership or track record changed: its offerings' metadata too.
            org_id = getattr(obj, "provider_org_id", None)
            if org_id:
                pending.add(("provider", org_id))


@event.listens_for(Session, "before_commit")
def _store_vectors(session: Session) -> None:
    pending = session.info.pop(_PENDING, None)
    if not pending or not _matching_on():
        return
    session.flush()
    objects = [o for o in pending if not isinstance(o, tuple) and o in session and indexable(o)]
    if objects:
        get_engine().store_vectors(objects)
    providers = [org_id for kind, org_id in (o for o in pending if isinstance(o, tuple))]
    if providers:
        # Touch the offerings so every worker re-reads their pool/track-record metadata.
        from marketplace.db import utc_now

        session.execute(sa.update(Offering).where(Offering.org_id.in_(providers)).values(updated_at=utc_now())
                        .execution_options(synchronize_session=False))


@event.listens_for(Session, "after_commit")
def _stale_after_commit(session: Session) -> None:
    if has_app_context():
        g.pop(_FRESH, None)


@event.listens_for(Session, "after_soft_rollback")
def _forget(session: Session, previous_transaction) -> None:
    session.info.pop(_PENDING, None)


def _matching_on() -> bool:
    try:
        return enabled()
    except RuntimeError:  # outside an app context (e.g. a bare script)
        return False
