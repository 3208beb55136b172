"""Read-side queries for the pool pages."""
from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import contains_eager

from marketplace.extensions import db
from marketplace.orgs.models import Organisation
from marketplace.pools.access import PUBLIC_POOL_STATUSES
from marketplace.pools.models import APPLICATION_STATUSES, Pool, PoolApplication, pool_scenario
from marketplace.search import keyword_filter
from marketplace.taxonomy.services import term_id_subquery

QUEUE_SORTS = {
    "oldest": (PoolApplication.submitted_at.asc(), PoolApplication.id.asc()),
    "newest": (PoolApplication.submitted_at.desc(), PoolApplication.id.desc()),
    "score": (PoolApplication.total_score.desc().nulls_last(), PoolApplication.id.asc()),
    "name": (Organisation.name.asc(), PoolApplication.id.asc()),
}
POOL_SORTS = {
    "newest": (Pool.created_at.desc(), Pool.id.desc()),
    "closing": (Pool.closes_on.asc().nulls_last(), Pool.id.desc()),
    "name": (Pool.name.asc(), Pool.id.asc()),
}


def managed_pools(user, args) -> sa.Select:
    query = sa.select(Pool)
    if not user.is_admin:
        query = query.where(Pool.bureau_org_id == user.org_id)
    if args.get("status") in ("draft", "open", "closed", "archived"):
        query = query.where(Pool.status == args["status"])
    keyword = keyword_filter(args.get("q"), Pool.name, Pool.description)
    if keyword is not None:
        query = query.where(keyword)
    return query.order_by(*POOL_SORTS.get(args.get("sort") or "newest", POOL_SORTS["newest"]))


def public_pools(args) -> sa.Select:
    query = sa.select(Pool).where(Pool.status.in_(PUBLIC_POOL_STATUSES))
    if args.get("status") in PUBLIC_POOL_STATUSES:
        query = query.where(Pool.status == args["status"])
    if args.get("city"):
        query = query.where(Pool.city_id == term_id_subquery("city", args["city"]))
    if args.get("scenario"):
        query = query.where(Pool.id.in_(sa.select(pool_scenario.c.pool_id).where(
            pool_scenario.c.term_id == term_id_subquery("scenario", args["scenario"]))))
    keyword = keyword_filter(args.get("q"), Pool.name, Pool.description, Pool.criteria)
    if keyword is not None:
        query = query.where(keyword)
    return query.order_by(*POOL_SORTS.get(args.get("sort") or "newest", POOL_SORTS["newest"]))


def application_queue(pool: Pool, args) -> sa.Select:
    query = sa.select(PoolApplication).join(Organisation, PoolApplication.provider_org_id == Organisation.id).where(
        PoolApplication.pool_id == pool.id)
    status = args.get("status")
    if status == "pending":
        query = query.where(PoolApplication.status.in_(("submitted", "under_review")))
    elif status == "appealed":
        query = query.where(PoolApplication.appealed_at.is_not(None), PoolApplication.appeal_outcome == "")
    elif status in APPLICATION_STATUSES:
        query = query.where(PoolApplication.status == status)
    keyword = keyword_filter(args.get("q"), Organisation.name, PoolApplication.statement)
    if keyword is not None:
        query = query.where(keyword)
    try:
        min_score = float(args.get("min_score") or "")
    except ValueError:
        min_score = None
    if min_score is not None:
        query = query.where(PoolApplication.total_score >= min_score)
    if args.get("scored") == "no":
        query = query.where(PoolApplication.total_score.is_(None))
    return query.order_by(*QUEUE_SORTS.get(args.get("sort") or "oldest", QUEUE_SORTS["oldest"]))


def status_counts(pool: Pool) -> dict[str, int]:
    rows = db.session.execute(sa.select(PoolApplication.status, sa.func.count()).where(
        PoolApplication.pool_id == pool.id).group_by(PoolApplication.status))
    counts = {status: n for status, n in rows}
    counts["pending"] = counts.get("submitted", 0) + counts.get("under_review", 0)
    counts["appealed"] = db.session.scalar(sa.select(sa.func.count()).where(
        PoolApplication.pool_id == pool.id, PoolApplication.appealed_at.is_not(None), PoolApplication.appeal_outcome == "")) or 0
    return counts


def members(pool: Pool, statuses=("admitted", "suspended")) -> list[PoolApplication]:
    return list(db.session.scalars(
        sa.select(PoolApplication).join(Organisation, PoolApplication.provider_org_id == Organisation.id)
        .where(PoolApplication.pool_id == pool.id, PoolApplication.status.in_(statuses))
        .order_by(PoolApplication.batch.asc().nulls_last(), PoolApplication.total_score.desc().nulls_last(), Organisation.name)
        .options(contains_eager(PoolApplication.provider))
    ))


def application_history(application: PoolApplication) -> list:
    from marketplace.audit.models import AuditEvent

    return list(db.session.scalars(
        sa.select(AuditEvent).where(AuditEvent.object_type == "pool_application", AuditEvent.object_id == application.id)
        .order_by(AuditEvent.created_at.desc(), AuditEvent.id.desc()).limit(50)
    ))


def notices(pool: Pool) -> list:
    """Every notice of the pool, newest first, with its entries and their providers (no query per row)."""
    from sqlalchemy.orm import selectinload

    from marketplace.pools.models import NoticeEntry, PoolNotice

    return list(db.session.scalars(
        sa.select(PoolNotice).where(PoolNotice.pool_id == pool.id)
        .order_by(PoolNotice.published_at.desc(), PoolNotice.id.desc())
        .options(selectinload(PoolNotice.entries).joinedload(NoticeEntry.application).joinedload(PoolApplication.provider))
    ))


def objections(pool: Pool, args) -> sa.Select:
    from sqlalchemy.orm import joinedload

    from marketplace.pools.models import Objection, PoolNotice

    query = (sa.select(Objection).join(PoolNotice).where(PoolNotice.pool_id == pool.id)
             .options(joinedload(Objection.org), joinedload(Objection.notice),
                      joinedload(Objection.application).joinedload(PoolApplication.provider)))
    if args.get("status") in ("open", "sustained", "dismissed"):
        query = query.where(Objection.status == args["status"])
    return query.order_by((Objection.status == "open").desc(), Objection.lodged_at.desc(), Objection.id.desc())
