"""Saved-search alerts: once a day (00:30 UTC, 08:30 in Shandong); weekly ones every seventh day."""
from __future__ import annotations

from marketplace.alerts import services
from marketplace.jobs import periodic


@periodic("alerts.send", minute="30", hour="0")
def send_alerts() -> None:
    from flask import current_app

    with current_app.test_request_context(base_url=current_app.config["PUBLIC_BASE_URL"]):
        services.send_alerts()
