"""One-time form tokens kept in the database: a double-clicked, replayed or re-sent create form
makes one object, even when the copies arrive in parallel on different workers.

    class DemandForm(FlaskForm):
        nonce = OnceField()                      # a fresh token in every blank form

    if form.validate_on_submit():
        earlier = once.claim(form.nonce.data)    # first thing, before any other write
        if earlier is not None:                  # this form was sent before: go where it went
            flash(...); return redirect(earlier.url or fallback)
        demand = services.create_demand(...)     # add + flush (roll back on a refusal: the token is freed)
        once.done(form.nonce.data, url_for("demands.detail", demand_id=demand.id))
        db.session.commit()

The token row is inserted (and flushed) before the object, in the same transaction, under a unique
constraint: of several parallel copies the first commits, the others wait on the constraint, fail,
roll back everything they did and are sent to the first one's object.
"""
from __future__ import annotations

import secrets

import sqlalchemy as sa
from flask_login import current_user
from sqlalchemy.exc import IntegrityError
from wtforms import HiddenField

from marketplace.extensions import db
from marketplace.once.models import FormSubmission

MAX_TOKEN = 64


def new_token() -> str:
    return secrets.token_urlsafe(24)


class OnceField(HiddenField):
    """The hidden one-time token of a create form; a form without one (or with a malformed one) gets a new one."""

    def process(self, formdata, data=None, **kwargs):
        super().process(formdata, data, **kwargs)
        if not self.data or len(self.data) > MAX_TOKEN:
            self.data = new_token()


def find(token: str | None) -> FormSubmission | None:
    if not token:
        return None
    return db.session.scalar(sa.select(FormSubmission).where(FormSubmission.token == token))


def claim(token: str) -> FormSubmission | None:
    """Reserve the token for this request. None: go ahead. Otherwise the earlier submission with this
    token (after a rollback of this request's transaction). Another user's token is refused with 409."""
    earlier = find(token)
    if earlier is None:
        db.session.add(FormSubmission(token=token, user_id=_user_id()))
        try:
            db.session.flush()
            return None
        except IntegrityError:  # a parallel copy of this form got there first
            db.session.rollback()
            earlier = find(token)
            if earlier is None:
                raise
    if earlier.user_id != _user_id():
        from marketplace.errors import fail

        fail(409)
    return earlier


def done(token: str, url: str) -> None:
    """Say where the object made with this token lives (a re-sent form is redirected there)."""
    row = db.session.scalar(sa.select(FormSubmission).where(FormSubmission.token == token))
    row.url = url
    db.session.flush()


def _user_id() -> int | None:
    return current_user.id if current_user and current_user.is_authenticated else None
