"""/api/v1: offerings, a provider's ranked opportunities, notifications, taxonomies."""
from __future__ import annotations

import sqlalchemy as sa
from flask import request
from flask_login import current_user

from marketplace.api import http, schemas, serializers
from marketplace.api.cursors import page
from marketplace.api.demand_routes import require_login
from marketplace.api.guard import endpoint
from marketplace.api.problems import fail
from marketplace.api.spec import responses, spec
from marketplace.api.views import v1
from marketplace.extensions import db
from marketplace.matches import services as matches
from marketplace.notifications import services as notifications
from marketplace.notifications.models import Notification
from marketplace.offerings.models import Offering
from marketplace.offerings.views import can_view as can_view_offering
from marketplace.search import keyword_filter
from marketplace.taxonomy.models import TaxonomyTerm
from marketplace.taxonomy.services import terms


@v1.route("/offerings")
@endpoint("offerings")
@spec.validate(query=schemas.OfferingQuery, resp=responses(HTTP_200=schemas.OfferingPage), tags=["offerings"])
def offering_list():
    """Published offerings (and, with `mine=true`, all of your organisation's), newest first."""
    args = request.context.query
    if args.mine:
        require_login()
        query = sa.select(Offering).where(Offering.org_id == current_user.org_id)
    else:
        query = sa.select(Offering).where(Offering.status == "published")
    keyword = keyword_filter(args.q, Offering.title, Offering.summary, Offering.description)
    if keyword is not None:
        query = query.where(keyword)
    query = query.order_by(Offering.published_at.desc().nulls_last(), Offering.id.desc())
    items, cursor = page(query, args.cursor, args.limit, "offerings")
    return {"items": [serializers.offering(o) for o in items], "next_cursor": cursor}


def visible_offering(offering_id: int) -> Offering:
    offering = db.session.get(Offering, offering_id)
    if offering is None or not can_view_offering(current_user, offering):
        fail(404)
    return offering


@v1.route("/offerings/<int:offering_id>")
@endpoint("offerings")
@spec.validate(resp=responses(HTTP_200=schemas.Offering), tags=["offerings"])
def offering_detail(offering_id: int):
    """One offering with its case studies (drafts only for their provider)."""
    offering = visible_offering(offering_id)
    return http.with_etag(serializers.offering(offering), offering)


@v1.route("/offerings/<int:offering_id>/matches")
@endpoint("offerings")
@spec.validate(query=schemas.MatchQuery, resp=responses(HTTP_200=schemas.MatchList), tags=["matches"])
def offering_matches(offering_id: int):
    """Open demands you may see, ranked for your published offering, with reasons in the requested language."""
    offering = visible_offering(offering_id)
    if not (current_user.is_authenticated and current_user.org_id == offering.org_id):
        fail(403)
    ranked = matches.demands_for_offering(offering, current_user, limit=request.context.query.limit) if offering.is_published else []
    return {"items": [serializers.match(item) for item in ranked]}


@v1.route("/opportunities")
@endpoint("demands")
@spec.validate(query=schemas.MatchQuery, resp=responses(HTTP_200=schemas.MatchList), tags=["matches"])
def opportunities():
    """Open demands ranked for your provider organisation (each by its best-matching offering)."""
    require_login()
    if current_user.org is None or current_user.org.kind != "provider":
        fail(403)
    ranked = matches.demands_for_provider(current_user.org, current_user, limit=request.context.query.limit)
    return {"items": [serializers.match(item) for item in ranked]}


@v1.route("/notifications")
@endpoint("notifications")
@spec.validate(query=schemas.NotificationQuery, resp=responses(HTTP_200=schemas.NotificationPage), tags=["notifications"])
def notification_list():
    """Your notifications, newest first, with their text in the requested language."""
    require_login()
    args = request.context.query
    query = sa.select(Notification).where(Notification.user_id == current_user.id)
    if args.unread:
        query = query.where(Notification.read_at.is_(None))
    query = query.order_by(Notification.created_at.desc(), Notification.id.desc())
    items, cursor = page(query, args.cursor, args.limit, "notifications")
    return {"items": [serializers.notification(n) for n in items], "next_cursor": cursor}


@v1.route("/notifications/read", methods=["POST"])
@endpoint("notifications")
@spec.validate(json=schemas.Empty, resp=responses(HTTP_200=schemas.MarkedRead), tags=["notifications"])
def notification_read_all():
    """Mark all your notifications read; answers how many were unread."""
    marked = notifications.mark_read(current_user)
    db.session.commit()
    return {"marked": marked}


@v1.route("/taxonomies")
@endpoint("demands")
@spec.validate(resp=responses(HTTP_200=schemas.TaxonomyKinds), tags=["taxonomies"])
def taxonomy_kinds():
    """The taxonomy kinds (city, industry, chain, stage, scenario, voucher, …)."""
    kinds = db.session.scalars(sa.select(TaxonomyTerm.kind).distinct().order_by(TaxonomyTerm.kind)).all()
    return {"kinds": list(kinds)}


@v1.route("/taxonomies/<kind>")
@endpoint("demands")
@spec.validate(resp=responses(HTTP_200=schemas.TermList), tags=["taxonomies"])
def taxonomy_terms(kind: str):
    """The active terms of one kind, with codes for the filters and both labels."""
    found = terms(kind[:20])
    if not found:
        fail(404)
    return {"kind": kind, "items": serializers.terms(found)}
