"""Checking attachments with the shared checks of marketplace/files (content decides: PDF read by
pypdf, PNG and JPEG by their magic bytes), plus a completeness check for images: a PNG must end
with its IEND chunk and a JPEG with its end-of-image marker, so a cut-off upload is refused."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from marketplace import files

MAX_FILES = 5

PROBLEMS = {
    "damaged": _l("“%(name)s” looks damaged or incomplete. Please export it again and retry."),
    "too_many": _l("Attach at most %(n)d files at a time."),
}


def image_complete(upload) -> bool:
    data = upload.data.rstrip(b"\x00")
    if upload.kind == "png":
        return upload.data[12:16] == b"IHDR" and data[-8:-4] == b"IEND"
    if upload.kind == "jpeg":
        return data[-2:] == b"\xff\xd9"
    return True


def check_files(storages, allowed: tuple[str, ...]) -> tuple[list, list[str]]:
    """The good files (marketplace.files.Upload) and, for each bad one, a message saying what is wrong."""
    storages = [s for s in storages if s and s.filename]
    if len(storages) > MAX_FILES:
        return [], [str(PROBLEMS["too_many"]) % {"n": MAX_FILES}]
    good, problems = [], []
    for storage in storages:
        try:
            upload = files.check_upload(storage, kinds=allowed)
        except files.UploadRefused as refused:
            problems.append(str(refused.message))
            continue
        if not image_complete(upload):
            problems.append(str(PROBLEMS["damaged"]) % {"name": upload.name})
            continue
        good.append(upload)
    return good, problems
