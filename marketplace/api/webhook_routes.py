"""/api/v1/webhooks: an organisation's endpoints (owners register and remove them) and their delivery log."""
from __future__ import annotations

from datetime import datetime
from typing import Literal, Optional

import sqlalchemy as sa
from flask import request, url_for
from flask_login import current_user
from pydantic import BaseModel, Field

from marketplace.api import schemas
from marketplace.api.cursors import page
from marketplace.api.demand_routes import require_login
from marketplace.api.formdata import service_error
from marketplace.api.guard import endpoint
from marketplace.api.problems import fail
from marketplace.api.serializers import when
from marketplace.api.spec import responses, spec
from marketplace.api.views import v1
from marketplace.extensions import db
from marketplace.webhooks import services
from marketplace.webhooks.models import EVENTS, WebhookDelivery, WebhookEndpoint

TAG = "webhooks"
Event = Literal[EVENTS]  # type: ignore[valid-type]


class WebhookCreate(schemas.Strict):
    url: str = Field(max_length=500, description="https:// address that receives POSTed JSON.")
    events: list[Event] = Field(min_length=1, max_length=len(EVENTS))
    min_score: float = Field(0.5, ge=0, le=1, description="For *.matched events: the lowest match score sent.")


class Webhook(BaseModel):
    id: int
    url: str
    events: list[str]
    min_score: float
    active: bool
    created_at: datetime
    secret: Optional[str] = Field(None, description="Only in the answer to the create: keep it to verify signatures.")


class WebhookList(BaseModel):
    items: list[Webhook]


class Delivery(BaseModel):
    id: int
    event: str
    status: str
    attempts: int
    response_status: Optional[int]
    response_body: str
    error: str
    created_at: datetime
    delivered_at: Optional[datetime]


class DeliveryPage(BaseModel):
    items: list[Delivery]
    next_cursor: Optional[str]


def _webhook(e: WebhookEndpoint, secret: bool = False) -> dict:
    return {"id": e.id, "url": e.url, "events": e.events, "min_score": e.min_score, "active": e.active,
            "created_at": when(e.created_at), "secret": e.secret if secret else None}


def _own(webhook_id: int) -> WebhookEndpoint:
    require_login()
    found = db.session.get(WebhookEndpoint, webhook_id)
    if found is None or found.org_id != current_user.org_id:
        fail(404)
    return found


def _require_owner() -> None:
    if current_user.org is None or not current_user.is_owner:
        fail(403)


@v1.route("/webhooks")
@endpoint("webhooks")
@spec.validate(resp=responses(HTTP_200=WebhookList), tags=[TAG])
def webhook_list():
    """Your organisation's webhook endpoints."""
    require_login()
    rows = db.session.scalars(sa.select(WebhookEndpoint).where(WebhookEndpoint.org_id == current_user.org_id)
                              .order_by(WebhookEndpoint.id))
    return {"items": [_webhook(e) for e in rows]}


@v1.route("/webhooks", methods=["POST"])
@endpoint("webhooks")
@spec.validate(json=WebhookCreate, resp=responses(HTTP_201=Webhook), tags=[TAG])
def webhook_create():
    """Register an endpoint (organisation owners). Deliveries are POSTs signed with
    `X-Marketplace-Signature: t=<unix time>,v1=<hex HMAC-SHA256 of "<t>.<body>" with the secret>`."""
    _require_owner()
    body = request.context.json
    try:
        created = services.register(current_user.org, current_user, body.url, list(body.events), body.min_score)
    except services.WebhookError as error:
        service_error(error)
    db.session.commit()
    return _webhook(created, secret=True), 201, {"Location": url_for("api.v1.webhook_deliveries", webhook_id=created.id)}


@v1.route("/webhooks/<int:webhook_id>", methods=["DELETE"])
@endpoint("webhooks")
@spec.validate(resp=responses(HTTP_200=WebhookList), tags=[TAG])
def webhook_delete(webhook_id: int):
    """Remove an endpoint (organisation owners); its delivery log goes with it."""
    found = _own(webhook_id)
    _require_owner()
    services.remove(found, current_user)
    db.session.commit()
    rows = db.session.scalars(sa.select(WebhookEndpoint).where(WebhookEndpoint.org_id == current_user.org_id)
                              .order_by(WebhookEndpoint.id))
    return {"items": [_webhook(e) for e in rows]}


@v1.route("/webhooks/<int:webhook_id>/deliveries")
@endpoint("webhooks")
@spec.validate(query=schemas.ListQuery, resp=responses(HTTP_200=DeliveryPage), tags=[TAG])
def webhook_deliveries(webhook_id: int):
    """The delivery log of one endpoint, newest first, with each answer's status and body."""
    found = _own(webhook_id)
    args = request.context.query
    query = sa.select(WebhookDelivery).where(WebhookDelivery.endpoint_id == found.id).order_by(WebhookDelivery.id.desc())
    items, cursor = page(query, args.cursor, args.limit, f"deliveries:{found.id}")
    return {"items": [{"id": d.id, "event": d.event, "status": d.status, "attempts": d.attempts,
                       "response_status": d.response_status, "response_body": d.response_body, "error": d.error,
                       "created_at": when(d.created_at), "delivered_at": when(d.delivered_at)} for d in items],
            "next_cursor": cursor}
