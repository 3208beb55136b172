"""Notification preferences, unsubscribe links (no login needed) and the operator's mail log."""
from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from flask import Blueprint, abort, flash, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from marketplace.audit.services import record
from marketplace.db import utc_now
from marketplace.auth.models import User
from marketplace.extensions import db
from marketplace.mail import preferences, services
from marketplace.mail.forms import UnsubscribeForm
from marketplace.mail.models import CHANNELS, MAIL_STATUSES, MailMessage
from marketplace.pagination import paginate
from marketplace.search import keyword_filter

bp = Blueprint("mail", __name__)

STATUS_LABELS = {"queued": _l("Queued"), "sent": _l("Sent"), "failed": _l("Failed, will retry"), "given_up": _l("Given up")}


@bp.app_template_global()
def mail_status_label(status: str) -> str:
    return str(STATUS_LABELS.get(status, status))


@bp.app_template_global()
def undelivered_mail(user) -> MailMessage | None:
    """The latest mail to this person that could not be delivered (last two weeks), to tell them."""
    since = utc_now() - timedelta(days=14)
    return db.session.scalar(sa.select(MailMessage).where(
        MailMessage.user_id == user.id, MailMessage.status.in_(("failed", "given_up")), MailMessage.created_at >= since)
        .order_by(MailMessage.id.desc()).limit(1))


@bp.route("/account/notifications", methods=["GET", "POST"])
@login_required
def preferences_page():
    kinds = preferences.notification_kinds()
    if request.method == "POST":
        for kind in kinds:
            channel = request.form.get(f"channel-{kind}")
            if channel in CHANNELS:
                preferences.set_channel(current_user.id, kind, channel)
        db.session.commit()
        flash(_("Your notification settings are saved."), "success")
        return redirect(url_for("mail.preferences_page"))
    current = preferences.all_channels(current_user.id, kinds)
    rows = [(kind, preferences.describe(kind), current[kind]) for kind in kinds]
    return render_template("mail/preferences.html", rows=rows, labels=preferences.CHANNEL_LABELS)


def _unsubscribe_target(token: str):
    found = services.read_unsubscribe_token(token)
    user = db.session.get(User, found[0]) if found else None
    if user is None:
        return None, None
    return user, found[1]


@bp.route("/mail/unsubscribe/<token>", methods=["GET", "POST"])
def unsubscribe(token: str):
    """Works without logging in: the signed token names the person and the kind of mail.
    GET only asks; the POST (a button) switches the mail off, so link scanners change nothing."""
    user, kind = _unsubscribe_target(token)
    if user is None:
        return render_template("mail/unsubscribe.html", invalid=True, form=None), 404
    form = UnsubscribeForm()
    if form.validate_on_submit():
        what = preferences.unsubscribe(user, kind)
        record("mail.unsubscribed", user, actor=user, kind=kind)
        db.session.commit()
        return render_template("mail/unsubscribe.html", done=True, what=what, form=None)
    what = preferences.describe(kind) if kind not in ("digest",) and ":" not in kind else None
    return render_template("mail/unsubscribe.html", form=form, kind=kind, what=what, invalid=False)


# ---------------------------------------------------------------- the operator's mail log

def _require_admin() -> None:
    if not current_user.is_admin:
        abort(403)


@bp.route("/admin/mail")
@login_required
def admin_log():
    _require_admin()
    query = sa.select(MailMessage)
    keyword = keyword_filter(request.args.get("q"), MailMessage.to, MailMessage.subject, MailMessage.kind)
    if keyword is not None:
        query = query.where(keyword)
    if request.args.get("status") in MAIL_STATUSES:
        query = query.where(MailMessage.status == request.args["status"])
    page = paginate(query.order_by(MailMessage.id.desc()))
    return render_template("mail/admin_log.html", page=page,
                           status_choices=[(status, mail_status_label(status)) for status in MAIL_STATUSES])


def _message_or_404(message_id: int) -> MailMessage:
    _require_admin()
    return db.session.get(MailMessage, message_id) or abort(404)


@bp.route("/admin/mail/<int:message_id>")
@login_required
def admin_message(message_id: int):
    return render_template("mail/admin_message.html", message=_message_or_404(message_id))


@bp.route("/admin/mail/<int:message_id>/html")
@login_required
def admin_message_html(message_id: int):
    """The HTML part as the recipient's mail program shows it, sandboxed: no scripts, no requests."""
    message = _message_or_404(message_id)
    response = make_response(message.body_html or "")
    response.headers["Content-Type"] = "text/html; charset=utf-8"
    response.headers["Content-Security-Policy"] = "default-src 'none'; style-src 'unsafe-inline'; sandbox"
    response.headers["X-Frame-Options"] = "SAMEORIGIN"
    return response


@bp.route("/admin/mail/<int:message_id>/retry", methods=["POST"])
@login_required
def admin_retry(message_id: int):
    message = _message_or_404(message_id)
    if message.status not in ("failed", "given_up"):
        flash(_("This message does not need another try."), "info")
    else:
        services.retry_now(message)
        record("mail.retried", message, actor=current_user)
        db.session.commit()
        flash(_("The message was queued again."), "success")
    return redirect(url_for("mail.admin_message", message_id=message.id))
