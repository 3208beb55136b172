"""Hostile spreadsheets for the import tests (and benchmarks/import_bombs.py): built by
rewriting the parts of a real openpyxl workbook, streamed so that no test holds them unpacked."""
from __future__ import annotations

import io
import zipfile

from openpyxl import Workbook

HEADER = ["需求标题*", "需求描述*"]
SS_REL = ('<Relationship Id="rIdSS" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" '
          'Target="sharedStrings.xml"/>')
SS_TYPE = ('<Override PartName="/xl/sharedStrings.xml" '
           'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>')
SHEET_START = '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
SHEET_END = "</sheetData></worksheet>"


def _base_parts() -> dict[str, bytes]:
    workbook = Workbook()
    workbook.active.append(HEADER)
    out = io.BytesIO()
    workbook.save(out)
    with zipfile.ZipFile(io.BytesIO(out.getvalue())) as z:
        return {name: z.read(name) for name in z.namelist()}


def workbook_with(sheet_chunks, shared_chunks=None, extra_parts: int = 0) -> bytes:
    """A .xlsx whose sheet1.xml (and sharedStrings.xml) are the given byte chunks, deflated as streamed."""
    parts = _base_parts()
    if shared_chunks is not None:
        parts["xl/_rels/workbook.xml.rels"] = parts["xl/_rels/workbook.xml.rels"].replace(b"</Relationships>", SS_REL.encode() + b"</Relationships>")
        parts["[Content_Types].xml"] = parts["[Content_Types].xml"].replace(b"</Types>", SS_TYPE.encode() + b"</Types>")
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=6) as z:
        for name, data in parts.items():
            if name != "xl/worksheets/sheet1.xml":
                z.writestr(name, data)
        with z.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as part:
            for chunk in sheet_chunks:
                part.write(chunk)
        if shared_chunks is not None:
            with z.open("xl/sharedStrings.xml", "w", force_zip64=True) as part:
                for chunk in shared_chunks:
                    part.write(chunk)
        for n in range(extra_parts):
            z.writestr(f"customXml/item{n}.xml", b"<a/>")
    return out.getvalue()


def _header_row() -> str:
    cells = "".join(f'<c r="{col}1" t="inlineStr"><is><t>{text}</t></is></c>' for col, text in zip("AB", HEADER))
    return f'<row r="1">{cells}</row>'


def shared_string_bomb(megabytes: int = 300) -> bytes:
    """One shared string of `megabytes` MB (a ~300 KB file for 300 MB), used by cell A2."""
    def shared():
        yield b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="1" uniqueCount="1"><si><t>'
        block = b"A" * (1024 * 1024)
        for _ in range(megabytes):
            yield block
        yield b"</t></si></sst>"
    sheet = [(SHEET_START + _header_row() + '<row r="2"><c r="A2" t="s"><v>0</v></c><c r="B2" t="s"><v>0</v></c></row>' + SHEET_END).encode()]
    return workbook_with(sheet, shared())


def blank_rows(rows: int = 500_000) -> bytes:
    """The header, then `rows` empty rows with a blank cell each (about 10 MB unpacked for 500,000)."""
    def sheet():  # with the <dimension> Excel writes (without it openpyxl scans the whole part first)
        yield (SHEET_START.replace("<sheetData>", f'<dimension ref="A1:B{rows + 1}"/><sheetData>') + _header_row()).encode()
        for start in range(2, rows + 2, 10_000):
            yield "".join(f'<row r="{r}"><c r="A{r}"/></row>'
                          for r in range(start, min(start + 10_000, rows + 2))).encode()
        yield SHEET_END.encode()
    return workbook_with(sheet())


def malformed_xml() -> bytes:
    return workbook_with([(SHEET_START + _header_row() + '<row r="2"><c r="A2" t="inlineStr"><is><t>cut').encode()])


def entity_bomb() -> bytes:
    """A "billion laughs" style DTD in the sheet (defusedxml refuses any entity declaration)."""
    dtd = '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>'
    return workbook_with([(dtd + SHEET_START + _header_row() + '<row r="2"><c r="A2" t="inlineStr"><is><t>&lol2;</t></is></c></row>' + SHEET_END).encode()])


def many_parts(count: int = 300) -> bytes:
    return workbook_with([(SHEET_START + _header_row() + SHEET_END).encode()], extra_parts=count)
