"""Daily reminder jobs (times in UTC; 01:00 UTC is 09:00 in Shandong)."""
from __future__ import annotations

from marketplace.jobs import periodic
from marketplace.reminders import services


def _in_url_context(func):
    """Reminders build links with url_for; a job has no request, so give it the public address."""
    from flask import current_app

    with current_app.test_request_context(base_url=current_app.config["PUBLIC_BASE_URL"]):
        return func()


@periodic("reminders.deadlines", minute="0", hour="1")
def deadlines() -> None:
    _in_url_context(services.remind_deadlines)


@periodic("reminders.rescue", minute="10", hour="1")
def rescue() -> None:
    _in_url_context(services.rescue_unbid_demands)


@periodic("reminders.idle_offerings", minute="20", hour="1", day_of_week="1")
def idle_offerings() -> None:
    _in_url_context(services.tell_idle_offerings)


@periodic("reminders.pool_rechecks", minute="30", hour="1")
def pool_rechecks() -> None:
    _in_url_context(services.remind_rechecks)


@periodic("reminders.notice_ends", minute="40", hour="1")
def notice_ends() -> None:
    _in_url_context(services.remind_notice_ends)
