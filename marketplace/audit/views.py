"""The audit log: read-only, filtered and paged. There are no routes that change or delete events."""
from __future__ import annotations

from datetime import date, timedelta

import sqlalchemy as sa
from flask import Blueprint, abort, render_template, request, url_for
from flask_login import current_user, login_required

from marketplace.audit.access import can_read_log, visible_events
from marketplace.audit.labels import action_label, detail_label, object_label
from marketplace.audit.models import AuditEvent
from marketplace.auth.models import User
from marketplace.extensions import db
from marketplace.pagination import paginate
from marketplace.search import escape_like

bp = Blueprint("audit", __name__, url_prefix="/audit")

OBJECT_LINKS = {
    "pool": ("pools.overview", "pool_id"),
    "pool_application": ("pools.review", "application_id"),
    "demand": ("demands.detail", "demand_id"),
    "demand_list": ("bureau_lists.detail", "list_id"),
}


def object_url(event: AuditEvent) -> str | None:
    endpoint = OBJECT_LINKS.get(event.object_type)
    if endpoint is None or event.object_id is None:
        return None
    return url_for(endpoint[0], **{endpoint[1]: event.object_id})


def _day(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


def filtered(args, visible) -> sa.Select:
    query = sa.select(AuditEvent).where(visible)
    actor = (args.get("actor") or "").strip()[:100]
    if actor.isdigit():
        query = query.where(AuditEvent.actor_user_id == int(actor))
    elif actor:
        pattern = f"%{escape_like(actor)}%"
        query = query.where(AuditEvent.actor_user_id.in_(sa.select(User.id).where(
            sa.or_(User.name.ilike(pattern, escape="\\"), User.email.ilike(pattern, escape="\\")))))
    if args.get("object_type"):
        query = query.where(AuditEvent.object_type == args["object_type"][:40])
    object_id = args.get("object_id", "")
    if object_id.isdigit():
        query = query.where(AuditEvent.object_id == int(object_id))
    action = (args.get("action") or "").strip()[:60]
    if action:
        # "application." selects every action of that kind; a full name selects one.
        query = query.where(AuditEvent.action.startswith(action, autoescape=True))
    if _day(args.get("from")):
        query = query.where(AuditEvent.created_at >= _day(args["from"]))
    if _day(args.get("to")):
        query = query.where(AuditEvent.created_at < _day(args["to"]) + timedelta(days=1))
    return query.order_by(AuditEvent.created_at.desc(), AuditEvent.id.desc())


@bp.route("/")
@login_required
def log():
    if not can_read_log(current_user):
        abort(403)
    visible = visible_events(current_user)
    page = paginate(filtered(request.args, visible))
    types = db.session.scalars(sa.select(AuditEvent.object_type).where(visible).distinct().order_by(AuditEvent.object_type)).all()
    actions = db.session.scalars(sa.select(AuditEvent.action).where(visible).distinct().order_by(AuditEvent.action)).all()
    actor_ids = {e.actor_user_id for e in page.items if e.actor_user_id}
    actors = {u.id: u for u in db.session.scalars(sa.select(User).where(User.id.in_(actor_ids)))} if actor_ids else {}
    return render_template("audit/log.html", page=page, types=[t for t in types if t], actions=actions, actors=actors,
                           object_url=object_url, action_label=action_label, object_label=object_label,
                           detail_label=detail_label)
