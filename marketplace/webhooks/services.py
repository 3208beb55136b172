"""Register endpoints, queue deliveries, sign and send them. Flush, never commit (except the delivery job)."""
from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import time
import urllib.error
import urllib.request
from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l

from marketplace.audit.services import record
from marketplace.db import utc_now
from marketplace.extensions import db
from marketplace.jobs import enqueue
from marketplace.webhooks.models import EVENTS, WebhookDelivery, WebhookEndpoint

SIGNATURE_HEADER = "X-Marketplace-Signature"
TIMEOUT_SECONDS = 10
LOCAL_HOSTS = ("127.0.0.1", "localhost", "::1")


class WebhookError(Exception):
    def __init__(self, message, field: str | None = None):
        super().__init__(str(message))
        self.message = message
        self.field = field


def check_url(url: str) -> None:
    """HTTPS only; plain http to this machine only where the configuration allows it (tests, development)."""
    parts = urlsplit(url)
    local = parts.hostname in LOCAL_HOSTS
    if parts.scheme == "http" and local and current_app.config.get("WEBHOOKS_ALLOW_LOCAL_HTTP"):
        return
    if parts.scheme != "https" or not parts.hostname:
        raise WebhookError(_l("The address must start with https://."), "url")
    if local and not current_app.config.get("WEBHOOKS_ALLOW_LOCAL_HTTP"):
        raise WebhookError(_l("Deliveries to this server itself are not allowed."), "url")


def register(org, user, url: str, events: list[str], min_score: float = 0.5) -> WebhookEndpoint:
    url = (url or "").strip()
    check_url(url)
    events = [e for e in EVENTS if e in set(events)]
    if not events:
        raise WebhookError(_l("Choose at least one event."), "events")
    if not 0 <= min_score <= 1:
        raise WebhookError(_l("The minimum score is between 0 and 1."), "min_score")
    endpoint = WebhookEndpoint(org_id=org.id, url=url, secret="whsec_" + secrets.token_urlsafe(32), events=events,
                               min_score=min_score, created_by_id=user.id)
    db.session.add(endpoint)
    db.session.flush()
    record("webhook.create", endpoint, actor=user, url=url, events=events)
    return endpoint


def remove(endpoint: WebhookEndpoint, user) -> None:
    record("webhook.delete", endpoint, actor=user, url=endpoint.url)
    db.session.delete(endpoint)
    db.session.flush()


def subscribers(org_id: int, event: str) -> list[WebhookEndpoint]:
    rows = db.session.scalars(sa.select(WebhookEndpoint).where(WebhookEndpoint.org_id == org_id,
                                                               WebhookEndpoint.active.is_(True)))
    return [e for e in rows if event in (e.events or ())]


def emit(org_id: int, event: str, data: dict, score: float | None = None) -> list[WebhookDelivery]:
    """Queue one delivery per endpoint of the organisation that listens to `event` (sent after commit)."""
    made = []
    for endpoint in subscribers(org_id, event):
        if score is not None and score < endpoint.min_score:
            continue
        delivery = WebhookDelivery(endpoint=endpoint, event=event, payload={"event": event, "data": data})
        db.session.add(delivery)
        made.append(delivery)
    if made:
        db.session.flush()
        for delivery in made:
            enqueue("webhooks.deliver", delivery_id=delivery.id)
    return made


def signature(secret: str, timestamp: int, body: bytes) -> str:
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def verify(secret: str, header: str, body: bytes, tolerance: int = 300, now: int | None = None) -> bool:
    """What a receiver does: recompute the HMAC over "<t>.<body>" and refuse old timestamps (replays)."""
    try:
        fields = dict(part.split("=", 1) for part in header.split(","))
        timestamp = int(fields["t"])
    except (ValueError, KeyError):
        return False
    if abs((now or int(time.time())) - timestamp) > tolerance:
        return False
    return hmac.compare_digest(signature(secret, timestamp, body), f"t={timestamp},v1={fields.get('v1', '')}")


class DeliveryFailed(Exception):
    """Raised by the job so the queue retries it with its backoff."""


def deliver(delivery: WebhookDelivery) -> None:
    """One attempt: POST the signed payload and log the answer. Raises DeliveryFailed on a non-2xx or no answer."""
    endpoint = delivery.endpoint
    body = json.dumps({**delivery.payload, "delivery_id": delivery.id, "created_at": delivery.created_at.isoformat() + "Z"},
                      ensure_ascii=False).encode("utf-8")
    timestamp = int(time.time())
    request = urllib.request.Request(endpoint.url, data=body, method="POST", headers={
        "Content-Type": "application/json", "User-Agent": "marketplace-webhooks/1",
        "X-Marketplace-Event": delivery.event, "X-Marketplace-Delivery": str(delivery.id),
        SIGNATURE_HEADER: signature(endpoint.secret, timestamp, body)})
    delivery.attempts += 1
    delivery.last_attempt_at = utc_now()
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:  # noqa: S310 (https checked at registration)
            delivery.response_status = response.status
            delivery.response_body = response.read(2000).decode("utf-8", "replace")
    except urllib.error.HTTPError as error:
        delivery.response_status = error.code
        delivery.response_body = error.read(2000).decode("utf-8", "replace")
    except (urllib.error.URLError, OSError, ValueError) as error:
        delivery.response_status = None
        delivery.error = str(error)[:500]
    if delivery.response_status is not None and 200 <= delivery.response_status < 300:
        delivery.status = "delivered"
        delivery.delivered_at = utc_now()
        delivery.error = ""
        return
    delivery.status = "failed"
    raise DeliveryFailed(f"delivery {delivery.id}: {delivery.response_status or delivery.error}")
