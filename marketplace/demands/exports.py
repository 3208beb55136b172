"""Spreadsheets out: the Chinese import template and exports of demands (.xlsx / .csv).

Every text cell that a spreadsheet would read as a formula (= + - @ and their full-width forms,
tab, CR) is written with a leading apostrophe by the one neutraliser all exports use
(marketplace.exports.cells.safe_cell), so an export can never run anything when opened.
"""
from __future__ import annotations

import csv
import io
from datetime import date, timedelta

from marketplace.demands.importer import COLUMNS
from marketplace.exports.cells import safe_cell
from marketplace.taxonomy.services import terms

XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _header() -> list[str]:
    return [c.zh + ("*" if c.required else "") for c in COLUMNS]


def demand_row(demand) -> list:
    """A demand as a row in the template's columns (taxonomy values as Chinese labels)."""
    def labels(items):
        return "、".join(t.label_zh for t in items)

    return [
        demand.title, demand.description,
        demand.industry.label_zh if demand.industry else "",
        demand.chain.label_zh if demand.chain else "",
        demand.stage.label_zh if demand.stage else "",
        labels(demand.scenarios),
        demand.city.label_zh if demand.city else "",
        float(demand.budget_min) if demand.budget_min is not None else None,
        float(demand.budget_max) if demand.budget_max is not None else None,
        demand.deadline,
        labels(demand.vouchers),
    ]


def to_xlsx(rows: list[list], sheet_title: str = "需求清单") -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = sheet_title
    sheet.append(_header())
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append([None if v is None else safe_cell(v) for v in row])
    for index, width in enumerate((30, 60, 22, 16, 12, 30, 10, 14, 14, 12, 16), start=1):
        sheet.column_dimensions[sheet.cell(row=1, column=index).column_letter].width = width
    for cell in sheet["J"][1:]:
        cell.number_format = "yyyy-mm-dd"
    return _save(workbook)


def to_csv(rows: list[list]) -> bytes:
    """UTF-8 with a BOM, which Excel opens correctly in Chinese."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(_header())
    for row in rows:
        writer.writerow([safe_cell(v.isoformat() if isinstance(v, date) else v) for v in row])
    return buffer.getvalue().encode("utf-8-sig")


def _save(workbook) -> bytes:
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


EXAMPLES = (
    ("柴油机缸体铸件表面缺陷在线检测", "缸体铸件表面有砂眼、气孔和裂纹，目前靠人工目检，漏检率约3%。希望在清理线末端加装工业相机，自动识别缺陷并分拣，节拍不低于每件20秒。",
     "通用设备制造业", "动力装备", "质量管控", "在线智能检测", "潍坊市", 30, 80, "模型券、场景券"),
    ("齿轮加工设备故障预测与健康管理", "20台数控滚齿机、磨齿机主轴和刀具异常停机频繁，希望采集振动、电流数据，提前预警故障并给出维护建议。",
     "通用设备制造业", "动力装备", "运维服务", "预测性维护", "潍坊市", 20, 50, "算力券"),
    ("发电机组装配车间智能排产", "多品种小批量订单，人工排产耗时且插单困难。希望根据订单交期、物料齐套和产线能力自动生成排产计划。",
     "电气机械和器材制造业", "动力装备", "生产制造", "智能排产", "潍坊市", 15, 40, "场景券"),
)


def template_xlsx() -> bytes:
    """The downloadable Chinese template: example rows to replace, and the allowed values."""
    from openpyxl.styles import Font

    deadline = date.today() + timedelta(days=90)
    rows = [list(example[:9]) + [deadline, example[9]] for example in EXAMPLES]
    workbook_bytes = to_xlsx(rows)
    from openpyxl import load_workbook

    workbook = load_workbook(io.BytesIO(workbook_bytes))
    notes = workbook.create_sheet("填写说明")
    notes.append(["填写说明"])
    notes["A1"].font = Font(bold=True)
    for line in (
        "1. 第一行为列名，请勿修改；带 * 的列必填。每行一条需求，最多 5,000 行，文件不超过 5 MB。",
        "2. 所属行业、所在城市留空时使用本企业登记的行业和城市。",
        "3. 应用场景、拟使用券可填多个，用顿号“、”或逗号分隔。",
        "4. 预算单位为万元；截止日期格式如 2027-03-31。",
        "5. 也可另存为 CSV（UTF-8 或 GBK 编码）后上传。示例行可直接修改或删除。",
        "",
    ):
        notes.append([line])
    kinds = [c for c in COLUMNS if c.kind]
    notes.append([c.zh for c in kinds])
    for cell in notes[notes.max_row]:
        cell.font = Font(bold=True)
    columns = [[t.label_zh for t in terms(c.kind)] for c in kinds]
    for index in range(max(len(c) for c in columns)):
        notes.append([c[index] if index < len(c) else None for c in columns])
    for letter in "ABCDEF":
        notes.column_dimensions[letter].width = 26
    return _save(workbook)
