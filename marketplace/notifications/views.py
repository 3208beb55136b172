"""The notification inbox."""
from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, abort, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from marketplace.extensions import db
from marketplace.notifications import services
from marketplace.notifications.messages import render
from marketplace.notifications.models import Notification
from marketplace.pagination import paginate
from marketplace.urls import safe_next

bp = Blueprint("notifications", __name__, url_prefix="/notifications")


@bp.route("/")
@login_required
def inbox():
    only_unread = request.args.get("unread") == "1"
    query = sa.select(Notification).where(Notification.user_id == current_user.id)
    if only_unread:
        query = query.where(Notification.read_at.is_(None))
    page = paginate(query.order_by(Notification.created_at.desc(), Notification.id.desc()))
    return render_template("notifications/inbox.html", page=page, render=render, only_unread=only_unread)


@bp.route("/<int:notification_id>/open", methods=["POST"])
@login_required
def open_one(notification_id: int):
    note = db.session.get(Notification, notification_id)
    if note is None or note.user_id != current_user.id:
        abort(404)
    services.mark_read(current_user, [note.id])
    db.session.commit()
    return redirect(safe_next(note.link) or url_for("notifications.inbox"))


@bp.route("/read-all", methods=["POST"])
@login_required
def read_all():
    services.mark_read(current_user)
    db.session.commit()
    return redirect(url_for("notifications.inbox"))
