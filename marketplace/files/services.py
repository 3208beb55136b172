"""Keep, serve and remove stored files. Flush, never commit (the caller's view commits once)."""
from __future__ import annotations

import io

from flask import send_file

from marketplace.extensions import db
from marketplace.files.checks import Upload
from marketplace.files.models import StoredFile


def store(upload: Upload, owner=None) -> StoredFile:
    """Add the checked upload to the database. `owner` is the uploading user (or None for system files)."""
    stored = StoredFile(name=upload.name, content_type=upload.content_type, size_bytes=upload.size,
                        sha256=upload.sha256, data=upload.data,
                        owner_user_id=getattr(owner, "id", None), owner_org_id=getattr(owner, "org_id", None))
    db.session.add(stored)
    db.session.flush()
    return stored


def discard(stored_files) -> None:
    """Delete stored files (when what they were attached to goes away)."""
    for stored in stored_files:
        db.session.delete(stored)
    db.session.flush()


def send(stored: StoredFile, download_name: str | None = None):
    """The download response for a stored file. The caller has checked who may have it.

    Always a download (never shown inline), never cached by shared caches, never sniffed into
    another type, and sandboxed should a browser render it anyway."""
    response = send_file(io.BytesIO(stored.data), mimetype=stored.content_type, as_attachment=True,
                         download_name=download_name or stored.name, max_age=0, etag=stored.sha256,
                         conditional=False)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response
