"""Uploaded files, shared by every area: checked by content, kept in the database (so every host
sees them), served only as downloads.

    from marketplace.files import UploadRefused, check_upload, send, store

    upload = check_upload(request.files["file"], kinds=("pdf", "image"))   # raises UploadRefused(message)
    stored = store(upload, owner=current_user)                              # a StoredFile, added and flushed
    return send(stored)                                                     # after the caller's own access check
"""
from marketplace.files.checks import KINDS, MAX_BYTES, Upload, UploadRefused, check_upload, clean_name
from marketplace.files.services import discard, send, store

__all__ = ["KINDS", "MAX_BYTES", "Upload", "UploadRefused", "check_upload", "clean_name", "discard", "send", "store"]
