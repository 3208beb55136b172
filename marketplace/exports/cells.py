"""Cell values made safe for spreadsheets (CSV/formula injection).

A text cell starting with = + - @ (or a tab or carriage return) could be run as a formula by
Excel or WPS. Such text gets a leading apostrophe, which spreadsheets show as plain text.
"""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

DANGEROUS_PREFIXES = ("=", "+", "-", "@", "\t", "\r", "＝", "＋", "－", "＠")


def safe_cell(value):
    """Numbers and dates pass through; text that a spreadsheet would evaluate is neutralised."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, (int, float, Decimal, date, datetime)):
        return value
    text = str(value)
    if text.startswith(DANGEROUS_PREFIXES):
        return "'" + text
    return text
