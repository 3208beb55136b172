"""PDF attachments of pool applications, on top of the shared marketplace.files area."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from marketplace import files as shared
from marketplace.files import Upload  # noqa: F401  (the type the form hands to services.apply)

MAX_BYTES = 10 * 1024 * 1024
MAX_FILES = 5
# All files of one application together: a request above MAX_CONTENT_LENGTH (12 MB) would be refused
# before the form could say which file is too big, and the typed statement would be lost.
MAX_TOTAL_BYTES = 10 * 1024 * 1024
TOO_LARGE_TOGETHER = _l("Together the files are larger than 10 MB. Attach fewer or smaller files.")


def read_upload(storage):
    """(Upload, None) for a good PDF, or (None, message) saying what is wrong with it."""
    try:
        return shared.check_upload(storage, kinds=("pdf",), max_bytes=MAX_BYTES), None
    except shared.UploadRefused as refused:
        return None, refused.message


def send_attachment(attachment):
    """The download response for an Attachment. The caller has checked who may have it."""
    return shared.send(attachment.file, download_name=attachment.original_name)
