"""Pools, public side: the list of pools and a pool's page with its members and notice."""
from __future__ import annotations

from flask import abort, current_app, redirect, render_template, request, url_for
from flask_login import current_user

from marketplace.extensions import db
from marketplace.pagination import paginate
from marketplace.pools import access, notices, queries, services
from marketplace.pools.models import Pool
from marketplace.pools.views import bp
from marketplace.taxonomy.services import code_choices

APPLY_ENDPOINTS = ("applications.apply", "applications.new")


def apply_url(pool: Pool) -> str | None:
    """The provider's application form for this pool, when the provider's pages offer one."""
    if not (current_user.is_authenticated and current_user.org and current_user.org.kind == "provider"):
        return None
    if not services.accepting_applications(pool):
        return None
    for endpoint in APPLY_ENDPOINTS:
        if endpoint in current_app.view_functions:
            return url_for(endpoint, pool_id=pool.id)
    return None


@bp.route("/")
def public_index():
    page = paginate(queries.public_pools(request.args))
    filters = {kind: code_choices(kind) for kind in ("city", "scenario")}
    return render_template("pools/public_index.html", page=page, filters=filters, sorts=list(queries.POOL_SORTS),
                           accepting=services.accepting_applications,
                           members={pool.id: services.member_count(pool) for pool in page.items})


@bp.route("/open")
def browse():
    """Open calls (the providers' menu entry): the provider's own call list when it exists."""
    if "applications.calls" in current_app.view_functions:
        return redirect(url_for("applications.calls"))
    return redirect(url_for("pools.public_index", status="open"))


@bp.route("/<int:pool_id>")
def public_detail(pool_id: int):
    pool = db.session.get(Pool, pool_id)
    if pool is None:
        abort(404)
    if not access.can_view_public(pool):
        if not access.can_manage(current_user, pool):
            abort(404)
    notice = notices.latest(pool)
    return render_template(
        "pools/public_detail.html", pool=pool, members=queries.members(pool, ("admitted",)), notice=notice,
        notice_state=notices.state(notice) if notice else "", may_object=notice is not None and notices.may_object(current_user, notice),
        accepting=services.accepting_applications(pool),
        left=services.places_left(pool), apply_url=apply_url(pool), can_manage=access.can_manage(current_user, pool),
    )
