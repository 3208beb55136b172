"""PDF attachments of pool applications: checked by content, stored under generated names,
served only as downloads."""
from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from pathlib import Path

from flask import current_app, send_from_directory
from flask_babel import lazy_gettext as _l

MAX_BYTES = 10 * 1024 * 1024
MAX_FILES = 5
# All files of one application together: a request above MAX_CONTENT_LENGTH (12 MB) would be refused
# before the form could say which file is too big, and the typed statement would be lost.
MAX_TOTAL_BYTES = 10 * 1024 * 1024
_OBJECT = re.compile(rb"\d+\s+\d+\s+obj\b")
_VERSION = re.compile(rb"%PDF-[12]\.\d")


@dataclass
class Upload:
    """A checked file, read into memory, not yet stored."""

    name: str
    data: bytes

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


def clean_name(filename: str | None) -> str:
    """The user's file name without any folder part or control characters, ending in .pdf."""
    name = re.split(r"[\\/]", filename or "")[-1]
    name = "".join(ch for ch in name if ch.isprintable()).strip().strip(".") or "attachment.pdf"
    if not name.lower().endswith(".pdf"):
        name += ".pdf"
    return name[-120:]


PROBLEMS = {
    "empty": _l("“%(name)s” is empty."),
    "not_pdf": _l("“%(name)s” is not a PDF document (its content is another kind of file). Only PDF files can be attached."),
    "damaged": _l("“%(name)s” looks like a damaged or incomplete PDF. Please export it again and retry."),
    "too_large": _l("“%(name)s” is larger than 10 MB. Please attach a smaller file."),
}
TOO_LARGE_TOGETHER = _l("Together the files are larger than 10 MB. Attach fewer or smaller files.")


def pdf_problem(data: bytes) -> str | None:
    """Why `data` is not an acceptable PDF (a key of PROBLEMS), or None if it is one.

    The content decides, not the name: a PDF starts with the %PDF-x.y header, holds numbered
    objects and ends with a cross-reference pointer and the %%EOF marker."""
    if not data:
        return "empty"
    if not _VERSION.match(data[:8]):
        return "not_pdf"
    tail = data[-2048:]
    if b"%%EOF" not in tail or b"startxref" not in tail or not _OBJECT.search(data):
        return "damaged"
    return None


def read_upload(storage):
    """(Upload, None) for a good PDF, or (None, message) saying what is wrong with it."""
    name = clean_name(storage.filename)
    data = storage.stream.read(MAX_BYTES + 1)
    problem = "too_large" if len(data) > MAX_BYTES else pdf_problem(data)
    if problem is not None:
        return None, PROBLEMS[problem] % {"name": name}
    return Upload(name=name, data=data), None


def upload_folder() -> Path:
    folder = Path(current_app.config["UPLOAD_FOLDER"])
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def store(upload: Upload) -> str:
    """Write the file under a new random name and return that name."""
    stored_name = secrets.token_hex(16) + ".pdf"
    path = upload_folder() / stored_name
    with open(path, "xb") as handle:
        handle.write(upload.data)
    return stored_name


def discard(stored_names) -> None:
    """Remove stored files (after a failed save, or when an application goes away)."""
    for stored_name in stored_names:
        (upload_folder() / stored_name).unlink(missing_ok=True)


def send_attachment(attachment):
    """The download response for an Attachment. The caller has checked who may have it."""
    response = send_from_directory(
        upload_folder(), attachment.stored_name, as_attachment=True, download_name=attachment.original_name,
        mimetype="application/pdf", max_age=0,
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response
