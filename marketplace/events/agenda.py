"""A participant's agenda as a calendar file (.ics, RFC 5545) and as a printable PDF with
Chinese fonts and a check-in QR code."""
from __future__ import annotations

import io
from datetime import datetime, timedelta

from marketplace.db import utc_now
from marketplace.pdf import new_document

VENUE_OFFSET = timedelta(hours=8)  # slots are stored in venue time (Asia/Shanghai, no DST)


def _counterpart(meeting, registration):
    return meeting.request.recipient if meeting.request.from_id == registration.id else meeting.request.sender


def _ics_text(value: str) -> str:
    return (value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
            .replace("\r\n", "\\n").replace("\n", "\\n"))


def _fold(line: str) -> list[str]:
    """RFC 5545 folds lines longer than 75 octets."""
    out, current = [], ""
    for ch in line:
        if len((current + ch).encode("utf-8")) > 74:
            out.append(current)
            current = " " + ch
        else:
            current += ch
    return out + [current]


def _utc(local: datetime) -> str:
    return (local - VENUE_OFFSET).strftime("%Y%m%dT%H%M%SZ")


def ics(event, registration, meetings, english: bool) -> str:
    stamp = utc_now().strftime("%Y%m%dT%H%M%SZ")
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//ai-manufacturing-marketplace//events//ZH", "CALSCALE:GREGORIAN"]
    where = event.venue or ("Online" if english else "线上")
    for meeting in meetings:
        other = _counterpart(meeting, registration)
        table = f"Table {meeting.table_no}" if english else f"{meeting.table_no} 号桌"
        summary = f"{'Meeting with' if english else '洽谈：'} {other.org.name}"
        lines += ["BEGIN:VEVENT", f"UID:event-{event.id}-meeting-{meeting.id}@marketplace", f"DTSTAMP:{stamp}",
                  f"DTSTART:{_utc(meeting.slot.starts_at)}", f"DTEND:{_utc(meeting.slot.ends_at)}",
                  f"SUMMARY:{_ics_text(summary)}", f"LOCATION:{_ics_text(f'{where} · {table}')}",
                  f"DESCRIPTION:{_ics_text(event.title)}", "END:VEVENT"]
    lines.append("END:VCALENDAR")
    return "\r\n".join(part for line in lines for part in _fold(line)) + "\r\n"


def pdf(event, registration, meetings, checkin_url: str, english: bool) -> bytes:
    import segno

    doc = new_document()
    doc.set_font("cjk", size=16)
    doc.multi_cell(0, 9, event.title, new_x="LMARGIN", new_y="NEXT")
    doc.set_font("cjk", size=10)
    place = event.venue or ("Online" if english else "线上")
    doc.multi_cell(0, 6, f"{event.event_date:%Y-%m-%d} · {place}", new_x="LMARGIN", new_y="NEXT")
    doc.multi_cell(0, 6, (f"Agenda of {registration.org.name}" if english else f"{registration.org.name} 的洽谈日程"),
                   new_x="LMARGIN", new_y="NEXT")
    qr = io.BytesIO()
    segno.make(checkin_url, error="m").save(qr, kind="png", scale=4, border=2)
    qr.seek(0)
    doc.image(qr, x=160, y=12, w=36)
    doc.set_xy(150, 49)
    doc.set_font("cjk", size=8)
    doc.cell(46, 5, "Check-in" if english else "签到二维码", align="C")
    doc.set_xy(10, 60)
    doc.set_font("cjk", size=10)
    headers = ("Time", "Table", "Meeting with") if english else ("时间", "桌号", "洽谈对象")
    widths = (34, 20, 136)
    for text, width in zip(headers, widths):
        doc.cell(width, 8, text, border=1)
    doc.ln()
    for meeting in meetings:
        other = _counterpart(meeting, registration)
        cells = (f"{meeting.slot.starts_at:%H:%M}–{meeting.slot.ends_at:%H:%M}", str(meeting.table_no), other.org.name)
        for text, width in zip(cells, widths):
            doc.cell(width, 8, text[:60], border=1)
        doc.ln()
    if not meetings:
        doc.cell(0, 8, "No meetings scheduled yet." if english else "暂无已安排的洽谈。")
    return bytes(doc.output())
