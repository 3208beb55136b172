"""PDFs for upload tests: a plain one, and ones carrying each kind of active content (made with pypdf)."""
from __future__ import annotations

import io

from pypdf import PdfWriter
from pypdf.generic import ArrayObject, DictionaryObject, NameObject, TextStringObject


def _bytes(writer: PdfWriter) -> bytes:
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def plain_pdf() -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    return _bytes(writer)


def _action(kind: str) -> DictionaryObject:
    if kind == "javascript":
        return DictionaryObject({NameObject("/S"): NameObject("/JavaScript"), NameObject("/JS"): TextStringObject("app.alert(1)")})
    return DictionaryObject({NameObject("/S"): NameObject("/Launch"), NameObject("/F"): TextStringObject("cmd.exe")})


def hostile_pdf(kind: str) -> bytes:
    """kind: javascript (document-level script), openaction, launch, embedded, aa (page action), encrypted."""
    writer = PdfWriter()
    page = writer.add_blank_page(width=595, height=842)
    if kind == "javascript":
        names = DictionaryObject({NameObject("/Names"): ArrayObject([TextStringObject("x"), writer._add_object(_action("javascript"))])})
        writer._root_object[NameObject("/Names")] = DictionaryObject({NameObject("/JavaScript"): writer._add_object(names)})
    elif kind == "openaction":
        writer._root_object[NameObject("/OpenAction")] = writer._add_object(_action("javascript"))
    elif kind == "launch":
        annotation = DictionaryObject({NameObject("/Type"): NameObject("/Annot"), NameObject("/Subtype"): NameObject("/Link"),
                                       NameObject("/Rect"): ArrayObject([]), NameObject("/A"): _action("launch")})
        page[NameObject("/Annots")] = ArrayObject([writer._add_object(annotation)])
    elif kind == "embedded":
        writer.add_attachment("payload.exe", b"MZ\x90\x00 not really a program")
    elif kind == "aa":
        page[NameObject("/AA")] = DictionaryObject({NameObject("/O"): _action("javascript")})
    elif kind == "encrypted":
        writer.encrypt(user_password="", owner_password="owner")
    else:
        raise ValueError(kind)
    return _bytes(writer)


PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89" \
      b"\x00\x00\x00\rIDATx\x9cc\xf8\xff\xff?\x00\x05\xfe\x02\xfe\xa7\x35\x81\x84\x00\x00\x00\x00IEND\xaeB`\x82"
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00\xff\xd9"
