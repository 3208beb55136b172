"""ETags and If-Match (optimistic locking), Idempotency-Key (a retried create gets the first answer)."""
from __future__ import annotations

import hashlib
import json as jsonlib

import sqlalchemy as sa
from flask import g, jsonify, request
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError

from marketplace.api.models import IdempotentRequest
from marketplace.api.problems import fail
from marketplace.extensions import db


def etag(obj) -> str:
    return f'"{obj.__tablename__}-{obj.id}-v{obj.version}"'


def check_if_match(obj, required: bool = False) -> None:
    """412 when If-Match names an older version; 428 when a required If-Match is missing."""
    header = request.headers.get("If-Match")
    if not header:
        if required:
            fail(428)
        return
    offered = {part.strip().removeprefix("W/") for part in header.split(",")}
    if "*" not in offered and etag(obj) not in offered:
        fail(412)


def with_etag(body: dict, obj, status: int = 200, headers: dict | None = None):
    response = jsonify(body)
    response.status_code = status
    response.headers["ETag"] = etag(obj)
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def _fingerprint() -> str:
    return hashlib.sha256(request.method.encode() + request.path.encode() + b"\n" + request.get_data()).hexdigest()


def idempotency_key() -> str | None:
    key = request.headers.get("Idempotency-Key")
    if key is None:
        return None
    key = key.strip()
    if not key or len(key) > 200:
        fail(400, _l("Idempotency-Key must be between 1 and 200 characters."))
    return key


def replay():
    """The stored answer for this token's Idempotency-Key, if this create was already made."""
    key = idempotency_key()
    if key is None:
        return None
    stored = db.session.scalar(sa.select(IdempotentRequest).where(
        IdempotentRequest.token_id == g.api_token.id, IdempotentRequest.key == key))
    if stored is None:
        return None
    if stored.fingerprint != _fingerprint():
        fail(422, _l("This Idempotency-Key was already used for a different request."))
    response = jsonify(stored.body)
    response.status_code = stored.status_code
    response.headers["Idempotent-Replayed"] = "true"
    if stored.location:
        response.headers["Location"] = stored.location
    return response


def remember(body: dict, status: int, location: str) -> None:
    """Store the answer in the same transaction as the create (so both or neither are kept)."""
    key = idempotency_key()
    if key is None:
        return
    row = IdempotentRequest(token_id=g.api_token.id, key=key, fingerprint=_fingerprint(), status_code=status,
                            body=jsonlib.loads(jsonlib.dumps(body, default=str)), location=location)
    try:
        with db.session.begin_nested():
            db.session.add(row)
            db.session.flush()
    except IntegrityError:
        db.session.rollback()
        fail(409, _l("The same Idempotency-Key is being used by another request right now. Retry shortly."))
