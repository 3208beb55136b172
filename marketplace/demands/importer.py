"""Reading a demand list from .xlsx or .csv and checking every row.

`parse(data, filename, org)` returns a Preview: the valid rows (plain dicts ready for
services.create_demand) and, for every bad row, its line number, column and message.
Nothing is written here; it runs in the check job (`demands/tasks.py`), never in a request.

Hostile files are answered with an ImportFileError (a message), within bounded memory and
time: every .xlsx zip part is measured before anything is unpacked (a 300 MB shared string in
a 300 KB file is refused unread), cells are cut, reading stops after a run of blank rows, and
malformed XML or XML with entities/DTDs (refused by defusedxml, which openpyxl uses when it
is installed) is a message, not an error page.
"""
from __future__ import annotations

import csv
import io
import re
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from flask_babel import gettext as _

from marketplace.demands.forms import MAX_AMOUNT
from marketplace.taxonomy.services import terms

MAX_ROWS = 5000
MAX_BYTES = 5 * 1024 * 1024
# A real 5,000-row list unpacks to a few MB; these caps leave a wide margin and bound memory.
MAX_PART_BYTES = 25 * 1024 * 1024  # any one file inside the .xlsx, uncompressed
MAX_UNZIPPED_BYTES = 60 * 1024 * 1024  # all of them together
MAX_PARTS = 200
MAX_COLUMNS = 64  # columns read per row (the template has 11)
MAX_CELL_CHARS = 10_001  # one more than the longest column allows, so "at most N characters" is still said
BLANK_RUN = 1000  # reading stops after this many empty rows in a row
QUOTE_CHARS = 40  # a bad value is quoted this far in messages


@dataclass(frozen=True)
class Column:
    key: str
    zh: str
    en: str
    kind: str | None = None  # taxonomy kind for term columns
    multi: bool = False
    required: bool = False


COLUMNS = (
    Column("title", "需求标题", "Title", required=True),
    Column("description", "需求描述", "Description", required=True),
    Column("industry", "所属行业", "Industry", kind="industry"),
    Column("chain", "产业链", "Industrial chain", kind="chain"),
    Column("stage", "环节", "Process stage", kind="stage"),
    Column("scenarios", "应用场景", "Scenarios", kind="scenario", multi=True),
    Column("city", "所在城市", "City", kind="city"),
    Column("budget_min", "预算下限（万元）", "Budget from (10k CNY)"),
    Column("budget_max", "预算上限（万元）", "Budget up to (10k CNY)"),
    Column("deadline", "截止日期", "Deadline"),
    Column("vouchers", "拟使用券", "Vouchers", kind="voucher", multi=True),
)
COLUMN = {c.key: c for c in COLUMNS}
SEPARATORS = re.compile(r"[、,，;；/|\n]+")
DATE_PATTERNS = ("%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y年%m月%d日")


class ImportFileError(Exception):
    """The file as a whole cannot be read (wrong type, encoding, missing columns, too many rows)."""


@dataclass
class RowError:
    line: int
    column: str
    message: str


@dataclass
class Preview:
    filename: str
    total: int = 0
    rows: list[dict] = field(default_factory=list)  # valid rows, each with its "line"
    errors: list[RowError] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # about the file as a whole, e.g. where reading stopped

    @property
    def bad_lines(self) -> int:
        return len({e.line for e in self.errors})


def header_names(column: Column) -> set[str]:
    return {_norm(column.key), _norm(column.zh), _norm(column.en), _norm(column.zh.split("（")[0])}


def column_label(column: Column) -> str:
    """The column as the user sees it in the template, with its English name in the English interface."""
    from marketplace.i18n import is_english

    return f"{column.en} ({column.zh})" if is_english() else column.zh


def _norm(text) -> str:
    return re.sub(r"\s+", "", str(text or "")).lower().replace("*", "")


def _cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


# ---------------------------------------------------------------- reading files

def read_table(data: bytes, filename: str):
    """An iterator over rows of cell values, header first."""
    name = (filename or "").lower()
    if name.endswith(".xlsx"):
        return _read_xlsx(data)
    if name.endswith(".csv"):
        return _read_csv(data)
    raise ImportFileError(_("Please upload an .xlsx or .csv file."))


def _not_a_workbook() -> ImportFileError:
    return ImportFileError(_("This file cannot be read as an Excel workbook (.xlsx)."))


def check_zip_parts(data: bytes) -> None:
    """Refuse an .xlsx whose parts would unpack too large (or are too many) before parsing any."""
    try:
        parts = zipfile.ZipFile(io.BytesIO(data)).infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as error:
        raise _not_a_workbook() from error
    if len(parts) > MAX_PARTS:
        raise ImportFileError(_("This workbook has too many parts (%(n)d); save the list alone in a new workbook.", n=len(parts)))
    largest = max((p.file_size for p in parts), default=0)
    if largest > MAX_PART_BYTES or sum(p.file_size for p in parts) > MAX_UNZIPPED_BYTES:
        raise ImportFileError(_("This workbook unpacks to far more data than a demand list needs (the limits are %(part)d MB "
                                "for one part and %(total)d MB in all). Save only the list, without images or very long "
                                "cells, in a new workbook.", part=MAX_PART_BYTES // 2**20, total=MAX_UNZIPPED_BYTES // 2**20))


def _read_xlsx(data: bytes):
    from openpyxl import load_workbook

    check_zip_parts(data)
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as error:  # malformed XML, forbidden entities, missing parts: all the same to the user
        raise _unreadable(error) from error
    return _sheet_rows(workbook)


def _unreadable(error: Exception) -> ImportFileError:
    from defusedxml import DefusedXmlException

    cause = error
    while cause is not None and not isinstance(cause, DefusedXmlException):
        cause = cause.__cause__ or cause.__context__  # openpyxl wraps it in a ValueError
    if cause is not None:
        return ImportFileError(_("This workbook contains XML entities or a DTD, which are not allowed. Save it again from Excel."))
    return _not_a_workbook()


def _sheet_rows(workbook):
    try:
        for values in workbook.worksheets[0].iter_rows(values_only=True, max_col=MAX_COLUMNS):
            yield [_cut(v) for v in values]
    except ImportFileError:
        raise
    except Exception as error:
        raise _unreadable(error) from error
    finally:
        workbook.close()


def _cut(value):
    return value[:MAX_CELL_CHARS] if isinstance(value, str) and len(value) > MAX_CELL_CHARS else value


def quoted(text: str) -> str:
    """A user's value as quoted in a message: only its beginning."""
    return text if len(text) <= QUOTE_CHARS else text[:QUOTE_CHARS] + "…"


def decode_csv(data: bytes) -> str:
    """UTF-8 (with or without BOM) first; Excel in China saves CSV as GBK, which GB18030 covers."""
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise ImportFileError(_("The CSV file is neither UTF-8 nor GBK. Save it again as “CSV UTF-8” from Excel."))


def _read_csv(data: bytes):
    rows = csv.reader(io.StringIO(decode_csv(data), newline=""))
    try:
        for values in rows:
            yield [_cut(v) for v in values[:MAX_COLUMNS]]
    except csv.Error as error:
        raise ImportFileError(_("The CSV file is malformed: %(error)s", error=quoted(str(error)))) from error


# ---------------------------------------------------------------- checking rows

class TermLookup:
    """Finds a taxonomy term by code, Chinese label or English label (any case, spaces ignored)."""

    def __init__(self) -> None:
        self.maps: dict[str, dict[str, int]] = {}
        for column in COLUMNS:
            if column.kind and column.kind not in self.maps:
                found: dict[str, int] = {}
                for t in terms(column.kind):
                    for label in (t.code, t.label_zh, t.label_en):
                        found[_norm(label)] = t.id
                    found.setdefault(_norm(t.label_zh.rstrip("市")), t.id)
                self.maps[column.kind] = found

    def find(self, kind: str, text: str) -> int | None:
        return self.maps[kind].get(_norm(text))


def _parse_amount(text: str) -> Decimal:
    amount = Decimal(text.replace(",", "").replace("，", "").replace("万元", "").replace("万", "").strip())
    if not amount.is_finite() or amount < 0 or amount > MAX_AMOUNT:
        raise InvalidOperation
    return amount.quantize(Decimal("0.01"))


def _parse_date(value) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = _cell_text(value)
    for pattern in DATE_PATTERNS:
        try:
            return datetime.strptime(text, pattern).date()
        except ValueError:
            continue
    raise ValueError(text)


def _map_header(header: list) -> dict[str, int]:
    positions: dict[str, int] = {}
    for index, name in enumerate(header):
        for column in COLUMNS:
            if _norm(name) in header_names(column) and column.key not in positions:
                positions[column.key] = index
    missing = [c.zh for c in COLUMNS if c.required and c.key not in positions]
    if missing:
        raise ImportFileError(_("The first row must hold the column names; missing: %(columns)s. Download the template to see them.",
                                columns="、".join(missing)))
    return positions


def check_row(values: list, positions: dict[str, int], lookup: TermLookup, org, line: int) -> tuple[dict, list[RowError]]:
    row: dict = {"line": line}
    errors: list[RowError] = []

    def cell(key):
        index = positions.get(key)
        return values[index] if index is not None and index < len(values) else None

    def fail(column: Column, message: str) -> None:
        errors.append(RowError(line, column_label(column), message))

    for column in COLUMNS:
        raw = cell(column.key)
        text = _cell_text(raw)
        if column.required and not text:
            fail(column, _("This column is required."))
        elif column.key == "title":
            if len(text) > 200:
                fail(column, _("At most %(n)d characters.", n=200))
            row["title"] = text
        elif column.key == "description":
            if len(text) > 10000:
                fail(column, _("At most %(n)d characters.", n=10000))
            row["description"] = text
        elif column.kind and column.multi:
            ids = []
            for part in (p for p in SEPARATORS.split(text) if p.strip()):
                term_id = lookup.find(column.kind, part)
                if term_id is None:
                    fail(column, _("“%(value)s” is not a known value; see the sheet 填写说明 in the template.", value=quoted(part.strip())))
                elif term_id not in ids:
                    ids.append(term_id)
            row[column.key[:-1] + "_ids"] = ids
        elif column.kind:
            term_id = lookup.find(column.kind, text) if text else None
            if text and term_id is None:
                fail(column, _("“%(value)s” is not a known value; see the sheet 填写说明 in the template.", value=quoted(text)))
            row[column.key + "_id"] = term_id
        elif column.key.startswith("budget"):
            try:
                row[column.key] = _parse_amount(text) if text else None
            except (InvalidOperation, ValueError):
                fail(column, _("Enter an amount in 万元 between 0 and 1,000,000."))
        elif column.key == "deadline":
            try:
                row["deadline"] = _parse_date(raw) if text else None
            except ValueError:
                fail(column, _("Enter a date such as 2027-03-31."))
            else:
                if row["deadline"] and row["deadline"] < date.today():
                    fail(column, _("The deadline must not be in the past."))
    if row.get("budget_min") is not None and row.get("budget_max") is not None and row["budget_min"] > row["budget_max"]:
        fail(COLUMN["budget_max"], _("The upper budget must not be lower than the lower budget."))
    row["industry_id"] = row.get("industry_id") or org.industry_id
    row["city_id"] = row.get("city_id") or org.city_id
    if not row["industry_id"] and not any(e.column == column_label(COLUMN["industry"]) for e in errors):
        fail(COLUMN["industry"], _("This column is required."))
    if not row["city_id"] and not any(e.column == column_label(COLUMN["city"]) for e in errors):
        fail(COLUMN["city"], _("This column is required."))
    return row, errors


def parse(data: bytes, filename: str, org, existing_titles=()) -> Preview:
    """Check every row; a title already in the list (or earlier in the file) is a bad row, so that
    uploading the same file twice does not make every demand twice."""
    if len(data) > MAX_BYTES:
        raise ImportFileError(_("The file is larger than 5 MB."))
    table = iter(read_table(data, filename))
    header = next(table, None)
    if header is None:
        raise ImportFileError(_("The file is empty."))
    positions = _map_header(header)
    body = []
    blank_run, stopped_at = 0, None
    for line, values in enumerate(table, start=2):
        if any(_cell_text(v) for v in values):
            blank_run = 0
            body.append((line, values))
            if len(body) > MAX_ROWS:
                raise ImportFileError(_("The file has more than %(n)d rows. Split it into several files.", n=MAX_ROWS))
        else:
            blank_run += 1
            if blank_run >= BLANK_RUN:
                stopped_at = line - BLANK_RUN + 1
                break
    if not body:
        if stopped_at:
            raise ImportFileError(_("The file has column names, then %(n)d empty rows; reading stopped there. "
                                    "Delete the empty rows and upload it again.", n=BLANK_RUN))
        raise ImportFileError(_("The file has column names but no rows."))
    preview = Preview(filename=filename, total=len(body))
    if stopped_at:
        preview.notes.append(_("Reading stopped at line %(line)d after %(n)d empty rows in a row; rows below them, if any, were not read.",
                               line=stopped_at, n=BLANK_RUN))
    lookup = TermLookup()
    seen = {_norm(t): None for t in existing_titles}
    for line, values in body:
        row, errors = check_row(list(values), positions, lookup, org, line)
        key = _norm(row.get("title"))
        if key and key in seen:
            where = seen[key]
            errors.append(RowError(line, column_label(COLUMN["title"]),
                                   _("The same title is on line %(n)d.", n=where) if where else _("The list already has a demand with this title.")))
        elif key:
            seen[key] = line
        if errors:
            preview.errors.extend(errors)
        else:
            preview.rows.append(row)
    return preview
