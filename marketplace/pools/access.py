"""Who may see and run a pool. Every pool view fetches its objects through these helpers."""
from __future__ import annotations

from flask import abort
from flask_login import current_user

from marketplace.extensions import db
from marketplace.pools.models import Pool, PoolApplication

PUBLIC_POOL_STATUSES = ("open", "closed", "archived")


def is_bureau(user) -> bool:
    return bool(user and user.is_authenticated and user.org is not None and user.org.kind == "bureau")


def can_run_pools(user) -> bool:
    """Bureau officers (and the platform admin) have the pool management pages."""
    return bool(user and user.is_authenticated and (user.is_admin or is_bureau(user)))


def can_manage(user, pool: Pool) -> bool:
    if not (user and user.is_authenticated):
        return False
    return bool(user.is_admin or (is_bureau(user) and user.org_id == pool.bureau_org_id))


def can_view_public(pool: Pool) -> bool:
    return pool.status in PUBLIC_POOL_STATUSES


def require_pool_officer() -> None:
    if not current_user.is_authenticated:
        abort(404)  # views are @login_required; this is only a safety net
    if not can_run_pools(current_user):
        abort(403)


def managed_pool_or_404(pool_id: int) -> Pool:
    """The pool, if the current user runs it. Others: 404 for drafts (they do not exist to them),
    403 for a published pool (they can see it publicly but not run it)."""
    require_pool_officer()
    pool = db.session.get(Pool, pool_id)
    if pool is None:
        abort(404)
    if not can_manage(current_user, pool):
        abort(403 if can_view_public(pool) else 404)
    return pool


def managed_application_or_404(application_id: int) -> PoolApplication:
    """An application, if the current user runs its pool. Applications are private: others get 404."""
    require_pool_officer()
    application = db.session.get(PoolApplication, application_id)
    if application is None or not can_manage(current_user, application.pool):
        abort(404)
    return application
