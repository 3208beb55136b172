"""Notification emails: one at once, or the daily digest of several."""
from __future__ import annotations

import sqlalchemy as sa
from flask_babel import ngettext

from marketplace.auth.models import User
from marketplace.db import utc_now
from marketplace.extensions import db
from marketplace.mail import services
from marketplace.mail.models import DigestState
from marketplace.mail.preferences import channels
from marketplace.notifications.messages import render
from marketplace.notifications.models import Notification


class _Line:
    """A notification as a mail shows it, rendered in the recipient's language."""

    def __init__(self, note: Notification):
        self.text = render(note.kind, note.params)
        self.url = services.absolute(note.link or "/notifications/")
        self.created_at = note.created_at


def send_notification_mail(user: User, note: Notification):
    with services.mail_context(services.recipient_locale(user)):
        line = _Line(note)
        subject = line.text if len(line.text) <= 120 else line.text[:117] + "…"
    return services.send(user, note.kind, "notification", subject, unsubscribe_kind=note.kind, line=line)


def send_digests() -> int:
    """One digest per user with unread digest-channel notifications since the last digest.
    Returns how many were queued. The state moves on past every note looked at, so a note is
    never mailed twice."""
    sent = 0
    last_ids = dict(db.session.execute(sa.select(DigestState.user_id, DigestState.last_notification_id)).all())
    user_ids = db.session.scalars(sa.select(Notification.user_id).where(Notification.read_at.is_(None)).distinct()).all()
    for user_id in user_ids:
        after = last_ids.get(user_id, 0)
        notes = db.session.scalars(sa.select(Notification).where(
            Notification.user_id == user_id, Notification.id > after, Notification.read_at.is_(None))
            .order_by(Notification.id)).all()
        if not notes:
            continue
        user = db.session.get(User, user_id)
        kinds = {n.kind for n in notes}
        wanted = {kind: channels([user_id], kind)[user_id] for kind in kinds}
        digest = [n for n in notes if wanted[n.kind] == "digest"]
        if digest and user.active:
            with services.mail_context(services.recipient_locale(user)):
                lines = [_Line(n) for n in digest]
                subject = ngettext("%(num)d new notification on the marketplace", "%(num)d new notifications on the marketplace",
                                   len(lines))
                inbox_url = services.absolute("/notifications/")
            services.send(user, "digest", "digest", subject, unsubscribe_kind="digest", lines=lines, inbox_url=inbox_url)
            sent += 1
        state = db.session.get(DigestState, user_id) or DigestState(user_id=user_id)
        state.last_notification_id = notes[-1].id
        state.sent_at = utc_now()
        db.session.add(state)
        db.session.flush()
    return sent

