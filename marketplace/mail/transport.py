"""Handing a logged message to the world: SMTP when MAIL_SERVER is set, else a file in the
instance folder (so `make run` needs no mail server). Only smtplib and the email package."""
from __future__ import annotations

import smtplib
from datetime import timezone
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path

from flask import current_app

from marketplace.db import utc_now


class DeliveryError(Exception):
    """The message could not be handed over; the text says why (kept in the mail log)."""


def build(message) -> EmailMessage:
    config = current_app.config
    email = EmailMessage()
    email["From"] = config["MAIL_DEFAULT_SENDER"]
    email["To"] = message.to
    email["Subject"] = message.subject
    email["Date"] = format_datetime(message.created_at.replace(tzinfo=timezone.utc))
    email["Message-ID"] = make_msgid(idstring=f"mail{message.id}")
    if message.unsubscribe_url:
        email["List-Unsubscribe"] = f"<{message.unsubscribe_url}>"
    email.set_content(message.body_text)
    if message.body_html:
        email.add_alternative(message.body_html, subtype="html")
    return email


def deliver(message) -> str:
    """Send one MailMessage; return the file name when written to a file. Raises DeliveryError."""
    email = build(message)
    config = current_app.config
    if not config.get("MAIL_SERVER"):
        return _write_file(message, email)
    try:
        with smtplib.SMTP(config["MAIL_SERVER"], config["MAIL_PORT"], timeout=15) as smtp:
            if config.get("MAIL_USE_TLS"):
                smtp.starttls()
            if config.get("MAIL_USERNAME"):
                smtp.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"])
            smtp.send_message(email)
    except smtplib.SMTPRecipientsRefused as error:
        codes = ", ".join(f"{code} {text.decode(errors='replace') if isinstance(text, bytes) else text}"
                          for code, text in error.recipients.values())
        raise DeliveryError(f"recipient refused: {codes}") from error
    except smtplib.SMTPResponseException as error:
        text = error.smtp_error.decode(errors="replace") if isinstance(error.smtp_error, bytes) else str(error.smtp_error)
        raise DeliveryError(f"SMTP {error.smtp_code}: {text}") from error
    except (smtplib.SMTPException, OSError) as error:
        raise DeliveryError(f"{type(error).__name__}: {error}") from error
    return ""


def _write_file(message, email: EmailMessage) -> str:
    folder = Path(current_app.config["MAIL_FOLDER"])
    try:
        folder.mkdir(parents=True, exist_ok=True)
        name = f"{utc_now():%Y%m%d-%H%M%S}-{message.id}.eml"
        (folder / name).write_bytes(bytes(email))
    except OSError as error:
        raise DeliveryError(f"cannot write the mail file: {error}") from error
    return name
