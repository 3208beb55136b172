"""/api/v1/pools and applications: public pools, a provider's applications, the bureau's review queue and decisions."""
from __future__ import annotations

import sqlalchemy as sa
from flask import request, url_for
from flask_login import current_user
from sqlalchemy.exc import IntegrityError

from marketplace.api import http, schemas, serializers
from marketplace.api.cursors import page
from marketplace.api.demand_routes import require_login
from marketplace.api.formdata import service_error
from marketplace.api.guard import endpoint
from marketplace.api.problems import fail
from marketplace.api.spec import responses, spec
from marketplace.api.views import v1
from marketplace.applications import services as applications
from marketplace.extensions import db
from marketplace.pools import access, review
from marketplace.pools.errors import PoolError
from marketplace.pools.models import Pool, PoolApplication
from marketplace.pools.queries import application_queue, public_pools

TAG = "pools"


@v1.route("/pools")
@endpoint("pools")
@spec.validate(query=schemas.ListQuery, resp=responses(HTTP_200=schemas.PoolPage), tags=[TAG])
def pool_list():
    """Published provider pools (open, closed and archived), newest first."""
    args = request.context.query
    items, cursor = page(public_pools({}), args.cursor, args.limit, "pools")
    return {"items": [serializers.pool(p) for p in items], "next_cursor": cursor}


def visible_pool(pool_id: int) -> Pool:
    pool = db.session.get(Pool, pool_id)
    if pool is None or not (access.can_view_public(pool) or access.can_manage(current_user, pool)):
        fail(404)
    return pool


@v1.route("/pools/<int:pool_id>")
@endpoint("pools")
@spec.validate(resp=responses(HTTP_200=schemas.Pool), tags=[TAG])
def pool_detail(pool_id: int):
    """One pool: published pools for everyone, drafts for the bureau that runs them."""
    pool = visible_pool(pool_id)
    return http.with_etag(serializers.pool(pool), pool)


@v1.route("/pools/<int:pool_id>/applications")
@endpoint("pools")
@spec.validate(query=schemas.ApplicationQuery, resp=responses(HTTP_200=schemas.ApplicationPage), tags=[TAG])
def pool_applications(pool_id: int):
    """The bureau's review queue for a pool it runs (`status=pending` for what still needs a decision)."""
    require_login()
    pool = access.managed_pool_or_404(pool_id)
    args = request.context.query
    items, cursor = page(application_queue(pool, args.model_dump(exclude_none=True)), args.cursor, args.limit,
                         f"queue:{pool.id}")
    return {"items": [serializers.application(a) for a in items], "next_cursor": cursor}


@v1.route("/applications")
@endpoint("pools")
@spec.validate(query=schemas.ApplicationQuery, resp=responses(HTTP_200=schemas.ApplicationPage), tags=[TAG])
def application_list():
    """Your organisation's pool applications (providers)."""
    require_login()
    args = request.context.query
    query = sa.select(PoolApplication).where(PoolApplication.provider_org_id == current_user.org_id)
    if args.status:
        query = query.where(PoolApplication.status == args.status)
    query = query.order_by(PoolApplication.submitted_at.desc(), PoolApplication.id.desc())
    items, cursor = page(query, args.cursor, args.limit, "applications")
    return {"items": [serializers.application(a) for a in items], "next_cursor": cursor}


def visible_application(application_id: int) -> PoolApplication:
    """The applicant's own, or one in a pool the user runs; 404 for everyone else (applications are private)."""
    application = db.session.get(PoolApplication, application_id)
    if application is None or not (application.provider_org_id == current_user.org_id
                                   or access.can_manage(current_user, application.pool)):
        fail(404)
    return application


@v1.route("/applications/<int:application_id>")
@endpoint("pools")
@spec.validate(resp=responses(HTTP_200=schemas.Application), tags=[TAG])
def application_detail(application_id: int):
    """An application, seen by the applicant and by the bureau running the pool."""
    require_login()
    application = visible_application(application_id)
    return http.with_etag(serializers.application(application), application)


@v1.route("/pools/<int:pool_id>/applications", methods=["POST"])
@endpoint("pools")
@spec.validate(json=schemas.ApplicationCreate, resp=responses(HTTP_201=schemas.Application), tags=[TAG])
def application_create(pool_id: int):
    """Apply to a pool whose call is open, with some of your published offerings (attachments: on the page)."""
    org = current_user.org
    if org is None or org.kind != "provider":
        fail(403)
    pool = db.session.get(Pool, pool_id)
    if pool is None or not access.can_view_public(pool):
        fail(404)
    replayed = http.replay()
    if replayed is not None:
        return replayed
    body = request.context.json
    wanted = set(body.offering_ids)
    offerings = [o for o in applications.published_offerings(org) if o.id in wanted]
    if len(offerings) != len(wanted):
        offerings = []  # one that is not yours or not published: the service refuses with its message
    try:
        application = applications.apply(pool, org, current_user, offerings, body.statement, [])
        location = url_for("api.v1.application_detail", application_id=application.id)
        http.remember(serializers.application(application), 201, location)
        db.session.commit()
    except applications.ApplicationError as error:
        db.session.rollback()
        service_error(error)
    except IntegrityError:
        db.session.rollback()
        fail(409)  # the same application sent twice at once: the first one counts
    return http.with_etag(serializers.application(application), application, 201, {"Location": location})


@v1.route("/applications/<int:application_id>/decision", methods=["POST"])
@endpoint("pools")
@spec.validate(json=schemas.Decision, resp=responses(HTTP_200=schemas.Application), tags=[TAG])
def application_decide(application_id: int):
    """The bureau admits or rejects (with a reason) an application in a pool it runs. If-Match optional."""
    application = access.managed_application_or_404(application_id)
    http.check_if_match(application)
    body = request.context.json
    try:
        if body.decision == "admit":
            review.admit(application, current_user, application.version, body.batch)
        else:
            review.reject(application, current_user, application.version, body.reason)
    except PoolError as error:
        db.session.rollback()
        service_error(error)
    db.session.commit()
    return http.with_etag(serializers.application(application), application)
