"""Message and attachment rules. Flush, never commit."""
from __future__ import annotations

import sqlalchemy as sa
from flask import url_for
from flask_babel import lazy_gettext as _l

from marketplace.audit.services import record
from marketplace.bids.models import Bid
from marketplace.demands.models import Demand
from marketplace.extensions import db
from marketplace import files
from marketplace.messages.models import BidMessage, FileAttachment, ThreadRead
from marketplace.notifications.services import notify_org


class MessageError(ValueError):
    def __init__(self, message, status: int = 400):
        super().__init__(message)
        self.message, self.status = message, status


def is_party(user, bid: Bid) -> bool:
    return bool(user and user.is_authenticated and user.org_id in (bid.provider_org_id, bid.demand.org_id))


def attach(checked: list, user, **owner) -> list[FileAttachment]:
    """Keep checked files (in the same transaction as their rows: all or nothing)."""
    rows = [FileAttachment(file_id=files.store(upload, owner=user).id, uploaded_by_id=user.id, **owner) for upload in checked]
    db.session.add_all(rows)
    db.session.flush()
    return rows


def send_message(user, bid: Bid, body: str, checked: list) -> BidMessage:
    body = (body or "").strip()
    if not body and not checked:
        raise MessageError(_l("Write a message or attach a file."))
    message = BidMessage(bid_id=bid.id, sender_org_id=user.org_id, sender_user_id=user.id, body=body)
    db.session.add(message)
    db.session.flush()
    attach(checked, user, message_id=message.id)
    mark_read(user, bid, message.id)
    other = bid.demand.org if user.org_id == bid.provider_org_id else bid.provider
    notify_org(other, "message.received", url_for("messages.thread", bid_id=bid.id), sender=user.org.name, demand=bid.demand.title)
    record("bid.message_sent", bid, actor=user, files=len(checked))
    return message


def thread(bid: Bid) -> list[BidMessage]:
    return list(db.session.scalars(sa.select(BidMessage).where(BidMessage.bid_id == bid.id).order_by(BidMessage.id)))


def mark_read(user, bid: Bid, up_to: int | None = None) -> None:
    if up_to is None:
        up_to = db.session.scalar(sa.select(sa.func.max(BidMessage.id)).where(BidMessage.bid_id == bid.id)) or 0
    row = db.session.get(ThreadRead, (user.id, bid.id))
    if row is None:
        db.session.add(ThreadRead(user_id=user.id, bid_id=bid.id, last_read_message_id=up_to))
    elif up_to > row.last_read_message_id:
        row.last_read_message_id = up_to
    db.session.flush()


def _party_bids(org_id: int):
    return sa.select(Bid.id).join(Demand, Demand.id == Bid.demand_id).where(
        sa.or_(Bid.provider_org_id == org_id, Demand.org_id == org_id))


def unread_by_bid(user) -> dict[int, int]:
    """Unread messages (from the other side) per bid thread the user's organisation is part of."""
    if not (user and user.is_authenticated and user.org_id):
        return {}
    read = sa.select(ThreadRead.bid_id, ThreadRead.last_read_message_id).where(ThreadRead.user_id == user.id).subquery()
    rows = db.session.execute(
        sa.select(BidMessage.bid_id, sa.func.count(BidMessage.id))
        .outerjoin(read, read.c.bid_id == BidMessage.bid_id)
        .where(BidMessage.bid_id.in_(_party_bids(user.org_id)), BidMessage.sender_org_id != user.org_id,
               BidMessage.id > sa.func.coalesce(read.c.last_read_message_id, 0))
        .group_by(BidMessage.bid_id)).all()
    return dict(rows)


def threads(user) -> list[tuple[Bid, BidMessage]]:
    """The bids with messages that the user's organisation is part of, newest activity first."""
    last = (sa.select(BidMessage.bid_id, sa.func.max(BidMessage.id).label("last_id"))
            .where(BidMessage.bid_id.in_(_party_bids(user.org_id))).group_by(BidMessage.bid_id).subquery())
    rows = db.session.execute(sa.select(Bid, BidMessage).join(last, last.c.bid_id == Bid.id)
                              .join(BidMessage, BidMessage.id == last.c.last_id).order_by(BidMessage.id.desc())).all()
    return [(bid, message) for bid, message in rows]


def files_of(**owner) -> list[FileAttachment]:
    (column, value), = owner.items()
    return list(db.session.scalars(sa.select(FileAttachment).where(getattr(FileAttachment, column) == value)
                                   .order_by(FileAttachment.id)))
