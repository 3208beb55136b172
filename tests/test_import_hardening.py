"""Hostile uploads and killed imports (issue 9, items 1 and 2): every such file gets a message."""
from __future__ import annotations

import pytest

from tests import import_bombs
from tests.conftest import login
from tests.test_import import GOOD, csv_bytes, demands_in, firm, upload, xlsx_bytes  # noqa: F401  (firm is a fixture)


def refused(response) -> str:
    assert response.status_code == 400
    return response.get_data(as_text=True)


def test_a_300_mb_shared_string_bomb_is_refused_unread(client, db, firm):
    user, demand_list = firm
    login(client, user)
    bomb = import_bombs.shared_string_bomb(300)
    assert len(bomb) < 1024 * 1024  # a small upload
    html = refused(upload(client, demand_list, bomb, "bomb.xlsx"))
    assert "该工作簿解压后的数据量远超需求清单所需" in html
    assert demands_in(db, demand_list) == []


def test_a_workbook_with_too_many_parts_is_refused(client, db, firm):
    user, demand_list = firm
    login(client, user)
    assert "部件过多" in refused(upload(client, demand_list, import_bombs.many_parts(300), "parts.xlsx"))


@pytest.mark.parametrize("kind", ["xlsx", "csv"])
def test_a_file_of_blank_rows_stops_early_with_a_message(client, db, firm, kind):
    user, demand_list = firm
    login(client, user)
    if kind == "xlsx":
        content = import_bombs.blank_rows(500_000)
    else:
        content = csv_bytes([], "utf-8") + b",\r\n" * 1_500_000
    assert "1000 行空行，读取已停止" in refused(upload(client, demand_list, content, f"blank.{kind}"))


def test_rows_after_a_long_blank_run_are_not_read_and_the_preview_says_so(client, db, firm):
    user, demand_list = firm
    login(client, user)
    rows = [GOOD] + [[""] * 11] * 1500 + [["遗漏的需求", "描述"] + [""] * 9]
    response = upload(client, demand_list, xlsx_bytes(rows), "gap.xlsx")
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "第 3 行起连续 1000 行为空，读取到此为止" in html and "1 行可导入" in html


@pytest.mark.parametrize("maker, message", [
    (import_bombs.malformed_xml, "无法以 Excel 工作簿"),
    (import_bombs.entity_bomb, "不允许的 XML 实体或 DTD"),
])
def test_malformed_or_entity_xml_gets_a_message_not_a_500(client, db, firm, maker, message):
    user, demand_list = firm
    login(client, user)
    assert message in refused(upload(client, demand_list, maker(), "bad.xlsx"))


def test_huge_cells_are_cut_and_quoted_briefly(client, db, firm):
    user, demand_list = firm
    login(client, user)
    row = list(GOOD)
    row[1] = "长" * 200_000  # description
    row[6] = "城" * 200_000  # an unknown city
    html = client.get(upload(client, demand_list, xlsx_bytes([row]), "long.xlsx").headers["Location"]).get_data(as_text=True)
    assert "最多 10000 个字符" in html
    assert "“" + "城" * 40 + "…”" in html and "城" * 41 not in html
    assert len(html) < 100_000
