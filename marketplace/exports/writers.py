"""Writing a table (headers + rows) as CSV (UTF-8 with BOM, for Excel) or XLSX."""
from __future__ import annotations

import csv
import io
from datetime import date, datetime
from decimal import Decimal

from flask import Response

from marketplace.exports.cells import safe_cell

CSV_TYPE = "text/csv; charset=utf-8"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _csv_value(value):
    value = safe_cell(value)
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    return value


def to_csv(headers: list[str], rows) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([safe_cell(h) for h in headers])
    for row in rows:
        writer.writerow([_csv_value(v) for v in row])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def _xlsx_value(value):
    value = safe_cell(value)
    if isinstance(value, Decimal):
        return float(value)
    return value


def to_xlsx(headers: list[str], rows, title: str = "Sheet1") -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    book = Workbook()
    sheet = book.active
    sheet.title = "".join(ch for ch in title if ch not in "[]:*?/\\")[:31] or "Sheet1"
    sheet.append([safe_cell(h) for h in headers])
    widths = [max(8, len(str(h)) * 2) for h in headers]
    for row in rows:
        values = [_xlsx_value(v) for v in row]
        sheet.append(values)
        for n, value in enumerate(values[:len(widths)]):
            widths[n] = min(60, max(widths[n], len(str(value)) + 2))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for n, width in enumerate(widths, 1):
        sheet.column_dimensions[get_column_letter(n)].width = width
        for cell in sheet[get_column_letter(n)][1:]:
            if isinstance(cell.value, datetime):
                cell.number_format = "yyyy-mm-dd hh:mm"
            elif isinstance(cell.value, date):
                cell.number_format = "yyyy-mm-dd"
    sheet.freeze_panes = "A2"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def download(name: str, fmt: str, headers: list[str], rows, title: str) -> Response:
    rows = list(rows)
    if fmt == "xlsx":
        body, mimetype = to_xlsx(headers, rows, title), XLSX_TYPE
    else:
        body, mimetype = to_csv(headers, rows), CSV_TYPE
    filename = f"{name}-{date.today().isoformat()}.{fmt}"
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "no-store"
    return response
