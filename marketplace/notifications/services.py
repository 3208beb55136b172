"""Creating and reading notifications. Flush, never commit."""
from __future__ import annotations

from typing import Iterable

import sqlalchemy as sa

from marketplace.auth.models import User
from marketplace.db import utc_now
from marketplace.extensions import db
from marketplace.notifications.messages import MESSAGES
from marketplace.notifications.models import Notification


def notify(users: Iterable[User], kind: str, link: str = "", **params) -> list[Notification]:
    assert kind in MESSAGES, f"unknown notification kind {kind}"
    created = []
    recipients = list({u.id: u for u in users if u is not None and u.active}.values())
    for user in recipients:
        note = Notification(user_id=user.id, kind=kind, link=link, params={k: str(v) for k, v in params.items()})
        db.session.add(note)
        created.append(note)
    if created:
        from marketplace.mail.preferences import after_notify  # email by each person's preference

        db.session.flush()
        after_notify(recipients, created)
    return created


def notify_org(org, kind: str, link: str = "", **params) -> list[Notification]:
    """Notify every active member of an organisation."""
    return notify(org.users if org is not None else [], kind, link, **params)


def unread_count(user: User) -> int:
    return db.session.scalar(
        sa.select(sa.func.count(Notification.id)).where(Notification.user_id == user.id, Notification.read_at.is_(None))
    ) or 0


def mark_read(user: User, notification_ids: Iterable[int] | None = None) -> int:
    stmt = sa.update(Notification).where(Notification.user_id == user.id, Notification.read_at.is_(None))
    if notification_ids is not None:
        stmt = stmt.where(Notification.id.in_(list(notification_ids)))
    return db.session.execute(stmt.values(read_at=utc_now())).rowcount
