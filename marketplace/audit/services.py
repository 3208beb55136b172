"""Recording audit events. Call from services; the request commits."""
from __future__ import annotations

from typing import Any, Optional

from flask import g, has_request_context, request
from flask_login import current_user

from marketplace.audit.models import AuditEvent
from marketplace.extensions import db


def record(action: str, obj: Any = None, *, object_type: Optional[str] = None, object_id: Optional[int] = None,
           actor=None, **detail) -> AuditEvent:
    """Add an audit event for `action` on `obj` (or object_type/object_id) by `actor` (default: current user)."""
    if actor is None and has_request_context() and current_user and current_user.is_authenticated:
        actor = current_user
    if obj is not None:
        object_type = object_type or obj.__tablename__
        object_id = object_id if object_id is not None else obj.id
    event = AuditEvent(
        actor_user_id=getattr(actor, "id", None),
        actor_org_id=getattr(actor, "org_id", None),
        action=action,
        object_type=object_type or "",
        object_id=object_id,
        detail={k: _plain(v) for k, v in detail.items()},
    )
    if has_request_context() and g.get("api_token") is not None:  # a write through the JSON API
        event.detail = {**event.detail, "api_token_id": g.api_token.id}
    if has_request_context():
        event.ip_address = (request.remote_addr or "")[:45]
        event.user_agent = (request.user_agent.string or "")[:300]
    db.session.add(event)
    return event


def _plain(value: Any) -> Any:
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return str(value)
