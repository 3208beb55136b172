"""Checking attachments by their content: PDF (the pool-upload checks of applications/files.py)
plus PNG and JPEG images. The name a user gave a file decides nothing; a disguised file is refused."""
from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

from marketplace.applications.files import MAX_BYTES, pdf_problem, upload_folder

MAX_FILES = 5
KINDS = {"pdf": ("application/pdf", ".pdf"), "png": ("image/png", ".png"), "jpeg": ("image/jpeg", ".jpg")}

PROBLEMS = {
    "empty": _l("“%(name)s” is empty."),
    "too_large": _l("“%(name)s” is larger than 10 MB. Please attach a smaller file."),
    "damaged": _l("“%(name)s” looks damaged or incomplete. Please export it again and retry."),
    "not_allowed": _l("“%(name)s” is not one of the allowed kinds of file (%(allowed)s); its content decides, not its name."),
    "too_many": _l("Attach at most %(n)d files at a time."),
}
ALLOWED_LABELS = {"pdf": "PDF", "png": "PNG", "jpeg": "JPEG"}


@dataclass
class CheckedFile:
    name: str
    kind: str
    data: bytes

    @property
    def content_type(self) -> str:
        return KINDS[self.kind][0]

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


def sniff(data: bytes) -> tuple[str | None, str | None]:
    """(kind, None) for a whole PDF/PNG/JPEG, (kind or None, problem) otherwise."""
    if not data:
        return None, "empty"
    if data.startswith(b"%PDF-"):
        return "pdf", pdf_problem(data)
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        # The IHDR chunk comes first and the IEND chunk closes the file.
        ok = data[12:16] == b"IHDR" and data.rstrip(b"\x00")[-8:-4] == b"IEND"
        return "png", None if ok else "damaged"
    if data.startswith(b"\xff\xd8\xff"):
        return "jpeg", None if data.rstrip(b"\x00")[-2:] == b"\xff\xd9" else "damaged"
    return None, "not_allowed"


def clean_name(filename: str | None, kind: str) -> str:
    name = re.split(r"[\\/]", filename or "")[-1]
    name = "".join(ch for ch in name if ch.isprintable()).strip().strip(".") or "attachment"
    suffix = KINDS[kind][1]
    stem = name.rsplit(".", 1)[0] if "." in name else name
    return (stem[:110] or "attachment") + suffix


def check_files(storages, allowed: tuple[str, ...]) -> tuple[list[CheckedFile], list[str]]:
    """The good files and, for each bad one, a message saying what is wrong."""
    storages = [s for s in storages if s and s.filename]
    allowed_text = ", ".join(ALLOWED_LABELS[k] for k in allowed)
    if len(storages) > MAX_FILES:
        return [], [str(PROBLEMS["too_many"]) % {"n": MAX_FILES}]
    good, problems = [], []
    for storage in storages:
        shown = re.split(r"[\\/]", storage.filename)[-1][:120]
        data = storage.stream.read(MAX_BYTES + 1)
        if len(data) > MAX_BYTES:
            problems.append(str(PROBLEMS["too_large"]) % {"name": shown})
            continue
        kind, problem = sniff(data)
        if problem is None and kind not in allowed:
            problem = "not_allowed"
        if problem:
            problems.append(str(PROBLEMS[problem]) % {"name": shown, "allowed": allowed_text})
            continue
        good.append(CheckedFile(clean_name(storage.filename, kind), kind, data))
    return good, problems


def store(checked: CheckedFile) -> str:
    stored_name = secrets.token_hex(16) + KINDS[checked.kind][1]
    with open(upload_folder() / stored_name, "xb") as handle:
        handle.write(checked.data)
    return stored_name


def send_file_attachment(attachment):
    """The download response; images may be shown inline, everything is sandboxed. The caller
    has checked who may have the file."""
    from flask import send_from_directory

    response = send_from_directory(
        upload_folder(), attachment.stored_name, as_attachment=not attachment.is_image,
        download_name=attachment.original_name, mimetype=attachment.content_type, max_age=0)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response
