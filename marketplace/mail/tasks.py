"""Mail jobs: send one message, retry the failed ones when due, the daily digest."""
from __future__ import annotations

from marketplace.extensions import db
from marketplace.jobs import job, periodic
from marketplace.mail import notices, services


# The queue does not retry this job: a failed delivery is recorded in the mail log with the time
# of its next try, and mail.retry sends it again then (so a failure is logged, never lost).
@job("mail.send", retries=0)
def send_mail(message_id: int) -> None:
    services.attempt(message_id)


@periodic("mail.retry", minute="*/5")
def retry_failed_mail() -> None:
    for message_id in services.due_for_retry():
        services.attempt(message_id)
        db.session.commit()


# 00:00 UTC is 08:00 in Shandong: the digest arrives at the start of the working day.
@periodic("mail.digest", minute="0", hour="0")
def send_daily_digests() -> None:
    notices.send_digests()
