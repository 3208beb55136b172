"""Jobs that keep stored vectors and matches current.

A commit touching a demand or offering enqueues `matches.refresh_items` (see services.py); the
job encodes what changed in its own short transaction (never inside the request's write), brings
this process's index up to date and replaces the items' stored matches both ways.
`matches.refresh_all` recomputes everything (a new model or matcher version); the periodic
`matches.check_version` starts it when stored rows were made by another version.
"""
from __future__ import annotations

import sqlalchemy as sa
from flask import current_app

from marketplace.db import read_phase
from marketplace.demands.models import Demand
from marketplace.extensions import db
from marketplace.jobs import enqueue, job, periodic
from marketplace.matches import store
from marketplace.matches.documents import documents, load_demands, load_offerings
from marketplace.matches.engine import get_engine
from marketplace.offerings.models import Offering


def _on() -> bool:
    return bool(current_app.config.get("MATCHING_ENABLED"))


@job("matches.refresh_items", retries=3, retry_delay=10)
def refresh_items(demand_ids: list[int] | None = None, offering_ids: list[int] | None = None) -> None:
    if not _on():
        return
    engine = get_engine()
    demand_ids, offering_ids = sorted(set(demand_ids or ())), sorted(set(offering_ids or ()))
    with read_phase():
        objects = (load_demands(Demand.id.in_(demand_ids) & (Demand.status == "open")) if demand_ids else []) + \
                  (load_offerings(Offering.id.in_(offering_ids) & (Offering.status == "published")) if offering_ids else [])
        docs = documents(objects)  # built before the commit expires the rows
        db.session.commit()
    if docs:
        engine.store_vectors(docs=docs)  # encodes holding no lock, then a short write
    store.refresh_items(engine, demand_ids, offering_ids)


@job("matches.refresh_provider", retries=3, retry_delay=10)
def refresh_provider(org_ids: list[int]) -> None:
    """A provider's pool membership or track record changed: its offerings' scores too."""
    if not _on():
        return
    ids = list(db.session.scalars(sa.select(Offering.id).where(Offering.org_id.in_(org_ids))))
    if ids:
        refresh_items(offering_ids=ids)


@job("matches.refresh_all", retries=1, retry_delay=60)
def refresh_all() -> None:
    """Encode what is stale, rebuild and save the index (workers switch to it), recompute every match."""
    if not _on():
        return
    engine = get_engine()
    with read_phase():
        objects = load_demands(Demand.status == "open") + load_offerings(Offering.status == "published")
        docs = documents(objects)
        db.session.commit()
    engine.store_vectors(docs=docs)
    with read_phase():
        engine.rebuild(save=True, docs=docs)
        db.session.commit()
    store.refresh_all(engine)


@periodic("matches.analyze", minute="30", hour="*")
def analyze() -> None:
    """Refresh the planner's statistics (SQLite has none until ANALYZE; without them it picked an
    offering-first plan for match counts, 1.3 s instead of 0.5 ms at 10k demands)."""
    store.analyze()


@periodic("matches.check_version", minute="*/10")
def check_version() -> None:
    if _on() and store.outdated(get_engine()):
        enqueue("matches.refresh_all")
