"""A reviewer's score sheet as a printable PDF (Chinese or English labels, the applicant's text as typed)."""
from __future__ import annotations

from marketplace.db import utc_now
from marketplace.pdf import new_document
from marketplace.pools.scoring import sheet_of

LABELS = {
    False: {"title": "评审打分表", "pool": "资源池", "applicant": "申报单位", "reviewer": "评审专家",
            "coi": "利益冲突声明", "coi_none": "本人与申报单位无利益冲突", "coi_conflict": "本人存在利益冲突，已回避",
            "coi_pending": "尚未声明", "item": "评分项", "max": "满分", "points": "得分", "comment": "评语",
            "total": "合计", "rule": "总分规则", "mean": "各评审总分的平均值", "trimmed": "去掉一个最高分和一个最低分后取平均（3人及以上）",
            "printed": "打印时间", "sign": "评审专家签字：", "date": "日期："},
    True: {"title": "Review score sheet", "pool": "Pool", "applicant": "Applicant", "reviewer": "Reviewer",
           "coi": "Conflict of interest", "coi_none": "No conflict of interest with the applicant",
           "coi_conflict": "Conflict declared: recused", "coi_pending": "Not yet declared", "item": "Item",
           "max": "Max", "points": "Points", "comment": "Comment", "total": "Total", "rule": "Total rule",
           "mean": "Mean of the reviewers' sheets", "trimmed": "Trimmed mean (highest and lowest dropped, 3 or more reviewers)",
           "printed": "Printed", "sign": "Reviewer's signature:", "date": "Date:"},
}


def _line(doc, text: str, size: int = 10, height: float = 6) -> None:
    doc.set_font("cjk", size=size)
    doc.multi_cell(0, height, text, new_x="LMARGIN", new_y="NEXT")


def render(assignment, english: bool) -> bytes:
    """Raises marketplace.pdf.FontMissing when the server has no CJK font."""
    words = LABELS[english]
    application = assignment.application
    pool = application.pool
    sheet = sheet_of(application, assignment)
    doc = new_document()
    _line(doc, words["title"], size=16, height=9)
    _line(doc, f"{words['pool']}: {pool.name}")
    _line(doc, f"{words['applicant']}: {application.provider.name}")
    _line(doc, f"{words['reviewer']}: {assignment.reviewer.name}")
    declared = f" ({assignment.coi_declared_at:%Y-%m-%d})" if assignment.coi_declared_at else ""
    _line(doc, f"{words['coi']}: {words['coi_' + assignment.coi]}{declared}")
    if assignment.coi_note:
        _line(doc, assignment.coi_note)
    _line(doc, f"{words['rule']}: {words[pool.score_rule]}")
    doc.ln(3)
    widths = (130, 30, 30)
    doc.set_font("cjk", size=10)
    for text, width in zip((words["item"], words["max"], words["points"]), widths):
        doc.cell(width, 8, text, border=1)
    doc.ln()
    for item in pool.rubric_items:
        score = sheet.scores.get(item.id)
        cells = (item.name[:60], str(item.max_points), "" if score is None else f"{score.points:g}")
        for text, width in zip(cells, widths):
            doc.cell(width, 8, text, border=1)
        doc.ln()
    total = sheet.total
    cells = (words["total"], str(sum(item.max_points for item in pool.rubric_items)), "" if total is None else f"{total:g}")
    for text, width in zip(cells, widths):
        doc.cell(width, 8, text, border=1)
    doc.ln(10)
    comments = [(item, sheet.scores[item.id].comment) for item in pool.rubric_items
                if item.id in sheet.scores and sheet.scores[item.id].comment]
    if comments:
        _line(doc, words["comment"], size=11, height=7)
        for item, comment in comments:
            _line(doc, f"{item.name}: {comment}")
        doc.ln(4)
    _line(doc, f"{words['sign']}                              {words['date']}")
    _line(doc, f"{words['printed']}: {utc_now():%Y-%m-%d %H:%M} UTC", size=8)
    return bytes(doc.output())
