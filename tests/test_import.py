"""Demand lists from spreadsheets: the template, xlsx and csv (UTF-8, BOM, GBK), bad rows, limits, exports."""
from __future__ import annotations

import csv
import io
import re
from datetime import date, timedelta

import pytest
import sqlalchemy as sa
from openpyxl import Workbook, load_workbook

from tests.conftest import login, make_demand, make_org, make_user, term

HEADER = ["需求标题*", "需求描述*", "所属行业", "产业链", "环节", "应用场景", "所在城市", "预算下限（万元）", "预算上限（万元）", "截止日期", "拟使用券"]
FUTURE = (date.today() + timedelta(days=45)).isoformat()
GOOD = ["齿轮箱装配防错视觉检测", "装配工位漏装、错装，需要视觉防错。", "通用设备制造业", "动力装备", "生产制造",
        "在线智能检测、智能排产", "潍坊市", "10", "30", FUTURE, "模型券"]


@pytest.fixture
def firm(db):
    from marketplace.demands.models import DemandList

    org = make_org("manufacturer", name="潍坊动力机械", city="weifang", industry_id=term("industry", "C34").id)
    user = make_user(org)
    demand_list = DemandList(title="2026年AI改造需求", publisher_org_id=org.id)
    db.session.add(demand_list)
    db.session.commit()
    return user, demand_list


def xlsx_bytes(rows, header=HEADER) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def csv_bytes(rows, encoding: str) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(HEADER)
    writer.writerows(rows)
    return buffer.getvalue().encode(encoding)


def upload(client, demand_list, content: bytes, filename: str):
    return client.post(f"/demands/lists/{demand_list.id}/import",
                       data={"file": (io.BytesIO(content), filename)}, content_type="multipart/form-data")


def demands_in(db, demand_list):
    from marketplace.demands.models import Demand

    return db.session.scalars(sa.select(Demand).where(Demand.list_id == demand_list.id).order_by(Demand.id)).all()


def test_the_template_is_chinese_and_imports_cleanly(client, db, firm):
    user, demand_list = firm
    login(client, user)
    response = client.get("/demands/lists/template.xlsx")
    assert response.status_code == 200 and "filename*=UTF-8''" in response.headers["Content-Disposition"]
    workbook = load_workbook(io.BytesIO(response.data))
    assert workbook.sheetnames == ["需求清单", "填写说明"]
    assert [c.value for c in workbook["需求清单"][1]] == HEADER
    preview = upload(client, demand_list, response.data, "需求清单导入模板.xlsx")
    assert preview.status_code == 302
    html = client.get(preview.headers["Location"]).get_data(as_text=True)
    assert "共 3 行，3 行可导入，0 行有问题" in html


def test_good_xlsx_imports_every_row_as_open_demands(client, db, firm):
    user, demand_list = firm
    login(client, user)
    second = ["热处理炉能耗优化", "多台热处理炉能耗高，希望优化炉温曲线。", "", "", "", "能耗监测与优化", "", "", "", "", ""]
    location = upload(client, demand_list, xlsx_bytes([GOOD, second]), "list.xlsx").headers["Location"]
    response = client.post(location, data={"publish": "y", "action": "import"})
    assert response.status_code == 302
    first, other = demands_in(db, demand_list)
    assert first.title == "齿轮箱装配防错视觉检测" and first.status == "open"
    assert {t.code for t in first.scenarios} == {"online_inspection", "smart_scheduling"}
    assert first.chain.code == "power_equipment" and first.budget_max == 30 and first.deadline.isoformat() == FUTURE
    # Blank industry and city fall back to the firm's own.
    assert other.industry.code == "C34" and other.city.code == "weifang"
    # The preview is used once: a second click imports nothing more.
    client.post(location, data={"publish": "y", "action": "import"})
    assert len(demands_in(db, demand_list)) == 2
    from marketplace.audit.models import AuditEvent

    assert db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "demand_list.import")).detail["rows"] == 2


@pytest.mark.parametrize("encoding", ["gbk", "utf-8", "utf-8-sig"])
def test_csv_in_gbk_and_utf8(client, db, firm, encoding):
    user, demand_list = firm
    login(client, user)
    location = upload(client, demand_list, csv_bytes([GOOD], encoding), "清单.csv").headers["Location"]
    client.post(location, data={"action": "import"})  # publish unticked: drafts
    [demand] = demands_in(db, demand_list)
    assert demand.title == "齿轮箱装配防错视觉检测" and demand.status == "draft"
    assert demand.description == "装配工位漏装、错装，需要视觉防错。"


def test_bad_rows_are_listed_with_line_column_and_message(client, db, firm):
    user, demand_list = firm
    login(client, user)
    rows = [
        GOOD,
        ["", "没有标题", "", "", "", "", "", "", "", "", ""],
        ["预算颠倒", "描述", "", "", "", "不存在的场景", "火星市", "50", "10", "2020-01-01", ""],
        ["金额不对", "描述", "", "", "", "", "", "-5", "abc", "明天", ""],
        GOOD,
    ]
    location = upload(client, demand_list, xlsx_bytes(rows), "bad.xlsx").headers["Location"]
    html = client.get(location).get_data(as_text=True)
    assert "共 5 行，1 行可导入，4 行有问题" in html
    table = re.sub(r"\s+", "", html[html.index('data-testid="import-errors"'):])
    for line, column, message in [
        (3, "需求标题", "此列必填"),
        (4, "应用场景", "“不存在的场景”不是可选值"),
        (4, "所在城市", "“火星市”不是可选值"),
        (4, "截止日期", "截止日期不能早于今天"),
        (4, "预算上限（万元）", "预算上限不能低于预算下限"),
        (5, "预算下限（万元）", "请输入0到1,000,000之间的金额"),
        (5, "截止日期", "请填写日期"),
    ]:
        assert f"<td>{line}</td><td>{column}</td><td>{message}" in table, (line, column)
    # Import nothing: nothing is created.
    assert "<td>6</td><td>需求标题</td><td>与第2行标题相同" in table
    client.post(location, data={"action": "discard"})
    assert demands_in(db, demand_list) == []
    # Upload again and import only the valid row.
    location = upload(client, demand_list, xlsx_bytes(rows), "bad.xlsx").headers["Location"]
    client.post(location, data={"publish": "y", "action": "import"})
    assert [d.title for d in demands_in(db, demand_list)] == ["齿轮箱装配防错视觉检测"]
    # The same file again: its row is already in the list, so nothing is imported twice.
    html = client.get(upload(client, demand_list, xlsx_bytes([GOOD]), "again.xlsx").headers["Location"]).get_data(as_text=True)
    assert "清单中已有同名需求" in html and "0 行可导入" in html


def test_unreadable_or_incomplete_files_are_refused_before_preview(client, db, firm):
    user, demand_list = firm
    login(client, user)
    cases = [
        (b"not a zip file", "x.xlsx", "无法以 Excel 工作簿"),
        (b"a,b\n1,2\n", "x.txt", "请上传 .xlsx 或 .csv 文件"),
        (csv_bytes([], "utf-8"), "x.csv", "只有列名"),
        ("标题,描述\n".encode("utf-8"), "x.csv", "缺少：需求标题、需求描述"),
        (b"\xff\xfe\x00\xd8\x00\xdc" * 50, "x.csv", "既不是 UTF-8 也不是 GBK"),
    ]
    for content, name, message in cases:
        response = upload(client, demand_list, content, name)
        assert response.status_code == 400 and message in response.get_data(as_text=True), name


def test_more_than_5000_rows_is_refused(client, db, firm):
    user, demand_list = firm
    login(client, user)
    rows = [[f"需求{i}", "描述"] + [""] * 9 for i in range(5001)]
    response = upload(client, demand_list, csv_bytes(rows, "utf-8"), "big.csv")
    assert response.status_code == 400 and "文件超过 5000 行" in response.get_data(as_text=True)


@pytest.mark.parametrize("megabytes", [5.2, 13])  # 13 MB is also over the app-wide request limit
def test_upload_over_5_mb_is_answered_413(app, client, db, firm, megabytes):
    user, demand_list = firm
    login(client, user)
    # With CSRF on (as in production) the form is read before the view, where the app-wide limit applies.
    app.config["WTF_CSRF_ENABLED"] = megabytes > 12
    response = upload(client, demand_list, b"x" * int(megabytes * 1024 * 1024), "huge.csv")
    assert response.status_code == 413 and "文件超过 5 MB。请把清单拆分" in response.get_data(as_text=True)
    assert demands_in(db, demand_list) == []


def test_someone_elses_preview_is_not_found(client, db, firm):
    user, demand_list = firm
    login(client, user)
    location = upload(client, demand_list, xlsx_bytes([GOOD]), "list.xlsx").headers["Location"]
    client.post("/logout")
    colleague = make_user(user.org, email="colleague@example.com")
    db.session.commit()
    login(client, colleague)
    assert client.get(location).status_code == 404
    assert client.get(f"/demands/lists/{demand_list.id}/import/..%2F..%2Fsecret").status_code == 404


def test_the_import_runs_as_a_job_and_its_progress_counts_committed_rows(app, client, db, firm):
    from marketplace.jobs.models import JobRun

    user, demand_list = firm
    login(client, user)
    rows = [[f"需求 {i}", "描述"] + [""] * 9 for i in range(12)]
    location = upload(client, demand_list, xlsx_bytes(rows), "long.xlsx").headers["Location"]
    token = location.rsplit("/", 1)[-1]
    response = client.post(location, data={"publish": "y", "action": "import"})
    assert response.headers["Location"].endswith(f"/demands/lists/{demand_list.id}")  # jobs run at once in tests
    progress_url = f"{location}/progress"
    state = client.get(progress_url + "?format=json").get_json()
    assert state == {"status": "done", "done": 12, "total": 12, "list_id": demand_list.id, "owner": user.id}
    assert "已导入 12 条需求" in client.get(progress_url).get_data(as_text=True)
    assert len(demands_in(db, demand_list)) == 12
    names = db.session.scalars(sa.select(JobRun.name).where(JobRun.status == "done").order_by(JobRun.id)).all()
    assert names == ["demands.check_import", "demands.run_import"]
    # The same confirmation again (a double click, a replayed request) imports nothing more.
    client.post(location, data={"publish": "y", "action": "import"})
    assert len(demands_in(db, demand_list)) == 12 and token


def test_exports_neutralise_formula_cells(client, db, firm):
    user, demand_list = firm
    for title in ("=HYPERLINK(\"http://evil\")", "+1+1", "-2", "@SUM(A1)", "正常标题"):
        make_demand(user.org, title=title, list_id=demand_list.id, description="=cmd|' /C calc'!A0")
    db.session.commit()
    login(client, user)
    response = client.get(f"/demands/lists/{demand_list.id}/export")
    sheet = load_workbook(io.BytesIO(response.data)).active
    titles = [row[0].value for row in sheet.iter_rows(min_row=2)]
    assert titles == ["'=HYPERLINK(\"http://evil\")", "'+1+1", "'-2", "'@SUM(A1)", "正常标题"]
    assert all(row[0].data_type == "s" and row[1].value.startswith("'=") for row in sheet.iter_rows(min_row=2))
    assert sheet.cell(row=2, column=8).value == 20  # numbers stay numbers

    text = client.get(f"/demands/lists/{demand_list.id}/export?format=csv").data.decode("utf-8-sig")
    exported = list(csv.reader(io.StringIO(text)))
    assert exported[0] == HEADER
    assert [row[0] for row in exported[1:]] == titles
    # An export can be imported again (round trip), formulas and all, as plain text.
    assert client.get("/demands/mine/export?format=csv").status_code == 200


def test_a_failing_import_imports_nothing_keeps_the_preview_and_can_be_retried(app, client, db, firm, monkeypatch):
    from marketplace.demands import services

    real_apply = services._apply
    calls = []

    def apply_then_fail(demand, data, terms=None):
        calls.append(1)
        if len(calls) == 9:
            raise RuntimeError("disk full")
        return real_apply(demand, data, terms)

    monkeypatch.setattr(services, "_apply", apply_then_fail)
    user, demand_list = firm
    login(client, user)
    rows = [[f"需求 {i}", "描述"] + [""] * 9 for i in range(12)]
    location = upload(client, demand_list, xlsx_bytes(rows), "long.xlsx").headers["Location"]
    progress_url = client.post(location, data={"publish": "y", "action": "import"}).headers["Location"]
    assert client.get(progress_url + "?format=json").get_json()["status"] == "failed"
    html = client.get(progress_url).get_data(as_text=True)
    assert "导入未完成就停止了，因此没有导入任何内容" in html and "disk full" in html and 'data-testid="retry-import"' in html
    assert demands_in(db, demand_list) == []
    monkeypatch.setattr(services, "_apply", real_apply)  # the fault is gone: retry from the kept preview
    client.post(progress_url.replace("/progress", "/retry"))
    assert len(demands_in(db, demand_list)) == 12
    assert "已导入 12 条需求" in client.get(progress_url).get_data(as_text=True)
