"""Pool rules and writes: create and edit a pool, open and close the call, the public notice.

Reviewing applications and running members is in `review.py`; `appeal` is re-exported here
for the provider's side. Services flush and never commit.
"""
from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from marketplace.audit.services import record
from marketplace.extensions import db
from marketplace.pools.errors import PoolError
from marketplace.pools.models import ApplicationScore, Pool, PoolApplication, RubricItem
from marketplace.taxonomy.services import by_ids

MEMBER_STATUSES = ("admitted", "suspended")  # they hold a place within the quota
PENDING_STATUSES = ("submitted", "under_review")


def check_version(obj, submitted, what=None) -> None:
    """Refuse (409) a form made from an older version of `obj` than the one stored."""
    if str(submitted or "") != str(obj.version):
        raise PoolError(what or _l("Someone changed this in another tab or by a colleague while you were working. "
                                   "Your input is kept below; check the current state before sending it again."),
                        status=409)


def _apply_fields(pool: Pool, data: dict) -> None:
    pool.name = data["name"].strip()
    pool.city_id = data.get("city_id") or None
    pool.description = data.get("description") or ""
    pool.criteria = data.get("criteria") or ""
    pool.opens_on = data.get("opens_on")
    pool.closes_on = data.get("closes_on")
    pool.quota = data.get("quota")
    pool.recheck_months = data.get("recheck_months")
    pool.score_rule = data.get("score_rule") or "mean"
    pool.industries = by_ids(data.get("industry_ids") or [])
    pool.scenarios = by_ids(data.get("scenario_ids") or [])
    if pool.quota is not None and pool.id is not None and pool.quota < member_count(pool):
        raise PoolError(_l("The pool already has %(n)d members; the quota cannot be lower.", n=member_count(pool)), field="quota")


def _set_rubric(pool: Pool, rows: list[tuple[str, int]]) -> None:
    current = [(item.name, item.max_points) for item in pool.rubric_items]
    if current == rows:
        return
    if pool.id is not None and has_scores(pool):
        raise PoolError(_l("The rubric cannot be changed once applications have been scored."), field="rubric")
    pool.rubric_items = [RubricItem(name=name[:200], max_points=points, sort_order=n) for n, (name, points) in enumerate(rows, 1)]


def create_pool(bureau_org, user, data: dict, rubric: list[tuple[str, int]]) -> Pool:
    pool = Pool(bureau_org_id=bureau_org.id, status="draft")
    _apply_fields(pool, data)
    _set_rubric(pool, rubric)
    db.session.add(pool)
    db.session.flush()
    record("pool.created", pool, actor=user, name=pool.name)
    return pool


def update_pool(pool: Pool, user, data: dict, rubric: list[tuple[str, int]]) -> Pool:
    check_version(pool, data.get("version"))
    if pool.status == "archived":
        raise PoolError(_l("An archived pool cannot be edited."), status=403)
    rule = pool.score_rule
    _apply_fields(pool, data)
    _set_rubric(pool, rubric)
    if pool.score_rule != rule:
        from marketplace.pools.scoring import compute_total

        for application in pool.applications:
            if application.status in PENDING_STATUSES:
                application.total_score = compute_total(application)
    db.session.flush()
    record("pool.updated", pool, actor=user, name=pool.name)
    return pool


def has_scores(pool: Pool) -> bool:
    return db.session.scalar(
        sa.select(ApplicationScore.id).join(PoolApplication).where(PoolApplication.pool_id == pool.id).limit(1)
    ) is not None


def member_count(pool: Pool) -> int:
    return db.session.scalar(
        sa.select(sa.func.count(PoolApplication.id)).where(PoolApplication.pool_id == pool.id,
                                                           PoolApplication.status.in_(MEMBER_STATUSES))
    ) or 0


def places_left(pool: Pool) -> int | None:
    """Places left within the quota; None when the pool has no quota."""
    return None if pool.quota is None else max(0, pool.quota - member_count(pool))


def window_open(pool: Pool, today: date | None = None) -> bool:
    today = today or date.today()
    return (pool.opens_on is None or pool.opens_on <= today) and (pool.closes_on is None or today <= pool.closes_on)


def accepting_applications(pool: Pool, today: date | None = None) -> bool:
    """Providers may apply while the call is open and today is inside the application window."""
    return pool.status == "open" and window_open(pool, today)


# ----------------------------------------------------------------------------- the call

def open_call(pool: Pool, user, version) -> None:
    check_version(pool, version)
    if pool.status not in ("draft", "closed"):
        raise PoolError(_l("Only a draft or closed pool can open its call."), status=409)
    if not pool.rubric_items:
        raise PoolError(_l("Add at least one scoring rubric item before opening the call."))
    if pool.closes_on is not None and pool.closes_on < date.today():
        raise PoolError(_l("The application window has already ended. Move the closing date first."))
    previous, pool.status = pool.status, "open"
    db.session.flush()
    record("pool.opened", pool, actor=user, previous=previous)


def close_call(pool: Pool, user, version) -> None:
    check_version(pool, version)
    if pool.status != "open":
        raise PoolError(_l("Only an open call can be closed."), status=409)
    pool.status = "closed"
    db.session.flush()
    record("pool.closed", pool, actor=user)


def archive_pool(pool: Pool, user, version) -> None:
    check_version(pool, version)
    if pool.status != "closed":
        raise PoolError(_l("Close the call before archiving the pool."), status=409)
    pool.status = "archived"
    db.session.flush()
    record("pool.archived", pool, actor=user)


def notice_state(pool: Pool, today: date | None = None) -> str:
    """"" (no notice), "upcoming", "running" or "ended"."""
    if not pool.notice_starts_on:
        return ""
    today = today or date.today()
    if today < pool.notice_starts_on:
        return "upcoming"
    if pool.notice_ends_on and today > pool.notice_ends_on:
        return "ended"
    return "running"


def default_notice(pool: Pool) -> str:
    from flask_babel import gettext as _

    return _("After review, the providers listed below are proposed as members of “%(pool)s”. During the notice period "
             "any organisation may lodge an objection on this page, with its reasons and evidence; %(bureau)s will answer "
             "it.", pool=pool.name, bureau=pool.bureau.name)


def appeal(application: PoolApplication, user, text: str) -> None:
    """A rejected provider appeals the decision, once (see review.appeal). Raises PoolError."""
    from marketplace.pools import review

    review.appeal(application, user, text)
