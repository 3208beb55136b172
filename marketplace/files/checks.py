"""Is an uploaded file what it claims to be, and harmless? The content decides, never the name.

PDFs are opened with pypdf and refused when they carry active content (scripts, automatic actions,
launch actions, embedded files) or are encrypted or unreadable; images are recognised by their
magic bytes. Sizes are checked while reading, so a huge file is refused after MAX_BYTES + 1 bytes."""
from __future__ import annotations

import hashlib
import io
import logging
import re
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

MAX_BYTES = 10 * 1024 * 1024
_CHUNK = 64 * 1024

# kind → (content type, file name ending)
KINDS = {
    "pdf": ("application/pdf", ".pdf"),
    "png": ("image/png", ".png"),
    "jpeg": ("image/jpeg", ".jpg"),
}
# Groups a caller may name in `kinds`.
GROUPS = {"image": ("png", "jpeg")}

# PDF dictionary keys and name values that make a document do something by itself.
ACTIVE_KEYS = {"/JavaScript", "/JS", "/OpenAction", "/AA", "/Launch", "/EmbeddedFile", "/EmbeddedFiles", "/EF",
               "/RichMedia"}
ACTIVE_VALUES = {"/JavaScript", "/Launch", "/EmbeddedFile", "/RichMedia"}
# A bound on the objects walked, so a file of millions of tiny objects cannot keep a worker busy.
MAX_PDF_OBJECTS = 200_000

PROBLEMS = {
    "empty": _l("“%(name)s” is empty."),
    "not_pdf": _l("“%(name)s” is not a PDF document (its content is another kind of file). Only PDF files can be attached."),
    "wrong_kind": _l("“%(name)s” is not an accepted kind of file (accepted: %(kinds)s)."),
    "damaged": _l("“%(name)s” looks like a damaged or incomplete PDF. Please export it again and retry."),
    "encrypted": _l("“%(name)s” is password-protected or encrypted. Please attach an unprotected copy."),
    "active": _l("“%(name)s” contains scripts, automatic actions or embedded files, which are not accepted. "
                 "Please print it to a plain PDF and attach that."),
    "too_large": _l("“%(name)s” is larger than %(mb)d MB. Please attach a smaller file."),
}
KIND_LABELS = {"pdf": "PDF", "png": "PNG", "jpeg": "JPEG"}

log = logging.getLogger(__name__)


class UploadRefused(ValueError):
    """The file may not be kept; `message` says why, in the user's language, naming the file."""

    def __init__(self, message, name: str = ""):
        super().__init__(str(message))
        self.message = message
        self.name = name


@dataclass
class Upload:
    """A checked file, read into memory, not yet stored."""

    name: str
    data: bytes
    kind: str

    @property
    def content_type(self) -> str:
        return KINDS[self.kind][0]

    @property
    def size(self) -> int:
        return len(self.data)

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


def clean_name(filename: str | None, kind: str = "pdf") -> str:
    """The user's file name without any folder part or control characters, ending as its kind does."""
    ending = KINDS[kind][1]
    name = re.split(r"[\\/]", filename or "")[-1]
    name = "".join(ch for ch in name if ch.isprintable()).strip().strip(".") or f"attachment{ending}"
    accepted = (".jpg", ".jpeg") if kind == "jpeg" else (ending,)
    if not name.lower().endswith(accepted):
        name += ending
    return name[-120:]


def _expand(kinds) -> list[str]:
    expanded: list[str] = []
    for kind in kinds:
        for one in GROUPS.get(kind, (kind,)):
            if one not in KINDS:
                raise ValueError(f"unknown file kind {one!r}")
            if one not in expanded:
                expanded.append(one)
    return expanded


def read_capped(stream, max_bytes: int) -> bytes | None:
    """The stream's bytes, or None as soon as more than max_bytes have arrived."""
    chunks, total = [], 0
    while True:
        chunk = stream.read(_CHUNK)
        if not chunk:
            return b"".join(chunks)
        total += len(chunk)
        if total > max_bytes:
            return None
        chunks.append(chunk)


def sniff(data: bytes) -> str | None:
    """The kind the content shows, from its first bytes."""
    if re.match(rb"%PDF-[12]\.\d", data[:8]):
        return "pdf"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if data.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    return None


def pdf_problem(data: bytes) -> str | None:
    """Why `data` is not an acceptable PDF (a key of PROBLEMS), or None."""
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    tail = data[-2048:]
    if b"%%EOF" not in tail or b"startxref" not in tail:
        return "damaged"
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted:
            return "encrypted"
        if _has_active_content(reader):
            return "active"
        len(reader.pages)  # a document whose page tree cannot be read is damaged
    except _TooManyObjects:
        return "damaged"
    except (PyPdfError, ValueError, TypeError, KeyError, AttributeError, IndexError, RecursionError, OSError) as error:
        log.info("unreadable PDF refused: %r", error)
        return "damaged"
    return None


class _TooManyObjects(Exception):
    pass


def _has_active_content(reader) -> bool:
    """Walk every object reachable from the trailer, and every object in the cross-reference table
    (viewers may act on objects the trailer does not lead to), looking for active keys or names."""
    from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject, NameObject

    seen: set[tuple[int, int]] = set()
    stack = [reader.trailer]
    for generation, numbers in getattr(reader, "xref", {}).items():
        stack.extend(IndirectObject(number, generation, reader) for number in numbers)
    for number in getattr(reader, "xref_objStm", {}):
        stack.append(IndirectObject(number, 0, reader))
    visited = 0
    while stack:
        item = stack.pop()
        if isinstance(item, IndirectObject):
            ref = (item.idnum, item.generation)
            if ref in seen:
                continue
            seen.add(ref)
            item = item.get_object()
        visited += 1
        if visited > MAX_PDF_OBJECTS:
            raise _TooManyObjects
        if isinstance(item, DictionaryObject):
            for key, value in item.items():
                if key in ACTIVE_KEYS:
                    return True
                if isinstance(value, NameObject) and value in ACTIVE_VALUES and key in ("/S", "/Type", "/Subtype"):
                    return True
                stack.append(value)
        elif isinstance(item, ArrayObject):
            stack.extend(item)
    return False


def check_upload(storage, kinds=("pdf", "image"), max_bytes: int = MAX_BYTES) -> Upload:
    """Read a werkzeug FileStorage and return it as a checked Upload, or raise UploadRefused."""
    accepted = _expand(kinds)
    raw_name = getattr(storage, "filename", "") or ""
    first_guess = accepted[0] if len(accepted) == 1 else "pdf"
    data = read_capped(storage.stream, max_bytes)
    if data is None:
        name = clean_name(raw_name, first_guess)
        raise UploadRefused(PROBLEMS["too_large"] % {"name": name, "mb": max_bytes // (1024 * 1024)}, name)
    kind = sniff(data)
    name = clean_name(raw_name, kind if kind in accepted else first_guess)
    if not data:
        raise UploadRefused(PROBLEMS["empty"] % {"name": name}, name)
    if kind not in accepted:
        if accepted == ["pdf"]:
            raise UploadRefused(PROBLEMS["not_pdf"] % {"name": name}, name)
        labels = ", ".join(KIND_LABELS[k] for k in accepted)
        raise UploadRefused(PROBLEMS["wrong_kind"] % {"name": name, "kinds": labels}, name)
    if kind == "pdf":
        problem = pdf_problem(data)
        if problem is not None:
            raise UploadRefused(PROBLEMS[problem] % {"name": name}, name)
    return Upload(name=name, data=data, kind=kind)
