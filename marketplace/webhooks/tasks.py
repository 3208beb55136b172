"""Webhook jobs: send one delivery (retried with backoff by the queue); find matches of a new demand or offering."""
from __future__ import annotations

from marketplace.extensions import db
from marketplace.jobs import job
from marketplace.webhooks import events  # noqa: F401  (listens for audit events)
from marketplace.webhooks import services
from marketplace.webhooks.models import WebhookDelivery

MAX_ATTEMPTS = 8


@job("webhooks.deliver", retries=MAX_ATTEMPTS - 1, retry_delay=60)
def deliver(delivery_id: int) -> None:
    """One attempt; a failure raises, and the queue retries with backoff (60 s, 2 min, 4 min, …)."""
    delivery = db.session.get(WebhookDelivery, delivery_id)
    if delivery is None or delivery.status == "delivered":
        return
    try:
        services.deliver(delivery)
    finally:
        db.session.commit()  # the attempt and the answer are logged even when it failed


@job("webhooks.emit", retries=2)
def emit(org_id: int, event: str, data: dict) -> None:
    services.emit(org_id, event, data)


@job("webhooks.match_demands", retries=2)
def match_demands(demand_ids: list[int]) -> None:
    for demand_id in demand_ids:
        events.emit_demand_matches(demand_id)


@job("webhooks.match_offerings", retries=2)
def match_offerings(offering_ids: list[int]) -> None:
    for offering_id in offering_ids:
        events.emit_offering_matches(offering_id)
