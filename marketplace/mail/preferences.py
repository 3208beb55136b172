"""Per-kind notification preferences, and what notify() does with them: nothing more (in the app
only), an email at once, or a line in the daily digest."""
from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from marketplace.db import utc_now
from marketplace.extensions import db
from marketplace.mail.models import CHANNELS, MailMessage, NotificationPreference

CHANNEL_LABELS = {"in_app": _l("In the app only"), "email": _l("Email at once"), "digest": _l("Daily digest")}

# Defaults that do not flood: an email at once only for what a person must act on soon;
# everything else waits for one daily digest; the welcome note stays in the app.
IMMEDIATE = {
    "bid.awarded", "invitation.received", "application.admitted", "application.rejected",
    "application.suspended", "application.removed", "message.received", "question.answered",
    "question.asked", "reminder.deadline_near", "reminder.rescued", "reminder.pool_recheck",
    "reminder.notice_ended", "application.confirmed", "objection.sustained", "objection.lodged", "pool_review.assigned",
}
IN_APP_ONLY = {"welcome"}
# No second immediate email of the same kind to the same person within this time (a lively
# message thread sends one email, not twenty); the notifications are still in the app.
THROTTLE = timedelta(minutes=10)


def default_channel(kind: str) -> str:
    if kind in IN_APP_ONLY:
        return "in_app"
    return "email" if kind in IMMEDIATE else "digest"


def channels(user_ids, kind: str) -> dict[int, str]:
    """The channel for `kind` of each user (one query for all)."""
    ids = list(user_ids)
    chosen = dict(db.session.execute(
        sa.select(NotificationPreference.user_id, NotificationPreference.channel)
        .where(NotificationPreference.user_id.in_(ids), NotificationPreference.kind == kind)).all()) if ids else {}
    return {uid: chosen.get(uid, default_channel(kind)) for uid in ids}


def all_channels(user_id: int, kinds) -> dict[str, str]:
    chosen = dict(db.session.execute(
        sa.select(NotificationPreference.kind, NotificationPreference.channel)
        .where(NotificationPreference.user_id == user_id)).all())
    return {kind: chosen.get(kind, default_channel(kind)) for kind in kinds}


def set_channel(user_id: int, kind: str, channel: str) -> None:
    assert channel in CHANNELS
    row = db.session.scalar(sa.select(NotificationPreference).where(
        NotificationPreference.user_id == user_id, NotificationPreference.kind == kind))
    if row is None:
        if channel == default_channel(kind):
            return
        db.session.add(NotificationPreference(user_id=user_id, kind=kind, channel=channel))
    else:
        row.channel = channel
    db.session.flush()


def _recently_mailed(user_ids, kind: str) -> set[int]:
    since = utc_now() - THROTTLE
    return set(db.session.scalars(sa.select(MailMessage.user_id).where(
        MailMessage.user_id.in_(list(user_ids)), MailMessage.kind == kind, MailMessage.created_at >= since)))


def after_notify(users, notes) -> None:
    """Called by notifications.services.notify for the notes it just created: email those who
    want this kind at once. Digest readers are picked up by the daily digest job."""
    from marketplace.mail.notices import send_notification_mail

    if not notes:
        return
    by_id = {u.id: u for u in users if u is not None}
    kind = notes[0].kind
    wanted = channels([n.user_id for n in notes], kind)
    skip = _recently_mailed([uid for uid, ch in wanted.items() if ch == "email"], kind)
    for note in notes:
        if wanted.get(note.user_id) == "email" and note.user_id not in skip and note.user_id in by_id:
            send_notification_mail(by_id[note.user_id], note)


# Other areas register what "unsubscribe" means for their own mail kinds, by prefix:
# e.g. "alert:" → switch that saved search's alert off. handler(user, kind) -> description.
UNSUBSCRIBE_HANDLERS: dict = {}


def notification_kinds() -> list[str]:
    from marketplace.notifications.messages import MESSAGES

    return [kind for kind in MESSAGES if kind not in IN_APP_ONLY]


def describe(kind: str) -> str:
    """A kind's notification text with its blanks shown as …, in the reader's language."""
    from marketplace.notifications.messages import MESSAGES

    class _Blanks(dict):
        def __missing__(self, key):
            return "…"

    template = MESSAGES.get(kind)
    try:
        return str(template) % _Blanks() if template is not None else kind
    except (TypeError, ValueError):
        return str(template)


def unsubscribe(user, kind: str) -> str:
    """Stop the mail an unsubscribe link was for; return what was switched off, for the page."""
    for prefix, handler in UNSUBSCRIBE_HANDLERS.items():
        if kind.startswith(prefix):
            return handler(user, kind)
    if kind == "digest":
        for each, channel in all_channels(user.id, notification_kinds()).items():
            if channel == "digest":
                set_channel(user.id, each, "in_app")
        return str(_l("the daily digest"))
    set_channel(user.id, kind, "in_app")
    return describe(kind)
