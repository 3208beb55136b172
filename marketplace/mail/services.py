"""Writing mail: render in the recipient's language, log it, queue it; and the delivery attempt
with its retry schedule. Flush, never commit (except `attempt`, which runs inside a job)."""
from __future__ import annotations

from contextlib import contextmanager, nullcontext
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app, has_request_context, render_template, request, url_for
from flask_babel import force_locale
from itsdangerous import BadSignature, URLSafeSerializer

from marketplace.db import utc_now
from marketplace.extensions import db
from marketplace.jobs import enqueue
from marketplace.mail import transport
from marketplace.mail.models import MailMessage

# After a failed attempt, wait this long before the next one; after the last, give up.
RETRY_DELAYS = (timedelta(minutes=1), timedelta(minutes=5), timedelta(minutes=30), timedelta(hours=2))
MAX_ATTEMPTS = len(RETRY_DELAYS) + 1


def recipient_locale(user) -> str:
    locale = getattr(user, "locale", None)
    return locale if locale in current_app.config["LANGUAGES"] else current_app.config["BABEL_DEFAULT_LOCALE"]


@contextmanager
def mail_context(locale: str):
    """Render in `locale`, with absolute links: inside a request they point at its host; in a
    background job (no request) at PUBLIC_BASE_URL."""
    outer = nullcontext() if has_request_context() else current_app.test_request_context(
        base_url=current_app.config["PUBLIC_BASE_URL"])
    with outer, force_locale(locale):
        yield


def absolute(path: str) -> str:
    """An absolute URL for a site-relative path (call inside mail_context)."""
    if path.startswith(("http://", "https://")):
        return path
    return request.host_url.rstrip("/") + "/" + path.lstrip("/")


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="mail-unsubscribe")


def unsubscribe_token(user_id: int, kind: str) -> str:
    return _serializer().dumps([user_id, kind])


def read_unsubscribe_token(token: str) -> tuple[int, str] | None:
    try:
        user_id, kind = _serializer().loads(token)
    except (BadSignature, ValueError, TypeError):
        return None
    if not isinstance(user_id, int) or not isinstance(kind, str):
        return None
    return user_id, kind


def send(to, kind: str, template: str, subject, *, unsubscribe_kind: str | None = None, **context) -> MailMessage:
    """Log and queue one mail to a User (or a bare address), rendered from templates/mail/<template>.txt
    and .html in the recipient's language. `unsubscribe_kind`: the preference the mail's
    unsubscribe link switches off (None for account mail, which cannot be switched off)."""
    user = None if isinstance(to, str) else to
    address = to if user is None else user.email
    locale = recipient_locale(user)
    with mail_context(locale):
        unsubscribe_url = ""
        if user is not None and unsubscribe_kind:
            unsubscribe_url = url_for("mail.unsubscribe", token=unsubscribe_token(user.id, unsubscribe_kind), _external=True)
        context.update(user=user, unsubscribe_url=unsubscribe_url, site_url=absolute("/"),
                       settings_url=url_for("mail.preferences_page", _external=True))
        message = MailMessage(
            user_id=user.id if user else None, to=address, kind=kind, locale=locale, subject=str(subject)[:300],
            body_text=render_template(f"mail/{template}.txt", **context),
            body_html=render_template(f"mail/{template}.html", **context),
            unsubscribe_url=unsubscribe_url,
        )
    db.session.add(message)
    db.session.flush()
    enqueue("mail.send", message_id=message.id)
    return message


def attempt(message_id: int) -> MailMessage | None:
    """Try to deliver one logged message (inside a job; the caller commits). A failure is
    recorded with the reason and the time of the next try, never raised: nothing is lost."""
    message = db.session.scalar(sa.select(MailMessage).where(MailMessage.id == message_id).with_for_update())
    if message is None or message.status not in ("queued", "failed"):
        return message  # already sent or given up: a repeated job does not send twice
    message.attempts += 1
    try:
        message.file_name = transport.deliver(message)
    except transport.DeliveryError as error:
        message.error = str(error)[:2000]
        if message.attempts >= MAX_ATTEMPTS:
            message.status, message.next_attempt_at = "given_up", None
            current_app.logger.warning("mail %s to %s given up: %s", message.id, message.to, error)
        else:
            message.status = "failed"
            message.next_attempt_at = utc_now() + RETRY_DELAYS[message.attempts - 1]
    else:
        message.status, message.sent_at, message.next_attempt_at, message.error = "sent", utc_now(), None, ""
    db.session.flush()
    return message


def due_for_retry(now=None) -> list[int]:
    now = now or utc_now()
    return list(db.session.scalars(
        sa.select(MailMessage.id).where(MailMessage.status == "failed", MailMessage.next_attempt_at <= now)
        .order_by(MailMessage.id).limit(500)))


def retry_now(message: MailMessage) -> None:
    """The operator asks for another try of a failed or given-up message."""
    if message.status in ("failed", "given_up"):
        message.status, message.next_attempt_at = "failed", utc_now()
        if message.attempts >= MAX_ATTEMPTS:
            message.attempts = MAX_ATTEMPTS - 1
        enqueue("mail.send", message_id=message.id)
