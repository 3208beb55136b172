"""Exports: CSV (UTF-8 with BOM) and XLSX, neutralised formulas, empty selections, scope and access."""
from __future__ import annotations

import csv
import io

import pytest
from openpyxl import load_workbook

from tests.conftest import login, make_application, make_demand, make_org, make_pool, make_user


def read_csv(response) -> list[list[str]]:
    body = response.data
    assert body.startswith(b"\xef\xbb\xbf"), "CSV must start with a UTF-8 BOM for Excel"
    return list(csv.reader(io.StringIO(body[3:].decode("utf-8"))))


def read_xlsx(response) -> list[list]:
    sheet = load_workbook(io.BytesIO(response.data)).active
    return [list(row) for row in sheet.iter_rows(values_only=True)]


@pytest.mark.parametrize("value, expected", [
    ("=HYPERLINK(\"http://evil\")", "'=HYPERLINK(\"http://evil\")"), ("+1", "'+1"), ("-2+3", "'-2+3"), ("@SUM(A1)", "'@SUM(A1)"),
    ("\tcmd", "'\tcmd"), ("\rcmd", "'\rcmd"), ("＝1+1", "'＝1+1"), ("正常文本", "正常文本"), ("a=b", "a=b"), (None, ""), (-5, -5),
])
def test_safe_cell(value, expected):
    from marketplace.exports.cells import safe_cell

    assert safe_cell(value) == expected


@pytest.fixture
def zibo(db):
    bureau = make_org("bureau", "淄博市工信局", city="zibo")
    officer = make_user(bureau)
    other = make_org("bureau", "潍坊市工信局", city="weifang")
    pool = make_pool(bureau, name="=淄博化工池")
    other_pool = make_pool(other, name="潍坊动力池")
    evil = make_org("provider", "@恶意服务商")
    application = make_application(pool, evil, status="under_review", total_score=55)
    make_application(other_pool, make_org("provider", "潍坊成员"))
    from marketplace.pools.models import ApplicationScore

    application.scores = [ApplicationScore(rubric_item_id=pool.rubric_items[0].id, points=35, comment="-好")]
    make_demand(make_org("manufacturer", "淄博化工厂", city="zibo"), title="+反应釜温度预测", city="zibo")
    make_demand(make_org("manufacturer", "潍坊厂"), title="潍坊的需求")
    db.session.commit()
    return {"officer": officer, "pool": pool, "other_pool": other_pool}


def test_pools_csv_is_scoped_and_neutralised(client, zibo):
    login(client, zibo["officer"])
    response = client.get("/exports/pools.csv")
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/csv")
    assert "attachment" in response.headers["Content-Disposition"]
    rows = read_csv(response)
    assert rows[0][0] == "ID" and len(rows) == 2
    assert rows[1][1] == "'=淄博化工池"
    assert "潍坊动力池" not in response.data.decode("utf-8")


def test_applications_xlsx_has_scores(client, zibo):
    login(client, zibo["officer"])
    response = client.get("/exports/applications.xlsx")
    assert response.status_code == 200
    rows = read_xlsx(response)
    assert len(rows) == 2
    row = rows[1]
    assert "'@恶意服务商" in row and "'=淄博化工池" in row
    assert 55 in row and 100 in row  # total and maximum
    assert any(isinstance(v, str) and "技术能力 35" in v and "-好" in v for v in row)
    assert not any(isinstance(v, str) and v.startswith(("=", "+", "-", "@")) for v in row)


def test_demands_follow_the_city_filter(client, zibo):
    login(client, zibo["officer"])
    rows = read_csv(client.get("/exports/demands.csv"))
    titles = [r[1] for r in rows[1:]]
    assert titles == ["'+反应釜温度预测"]
    assert len(read_csv(client.get("/exports/demands.csv?city=all"))) == 3


def test_funnel_export(client, zibo):
    login(client, zibo["officer"])
    rows = read_xlsx(client.get("/exports/funnel.xlsx"))
    assert rows[1][2:] == [1, 0, 0, 0, 0]


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
@pytest.mark.parametrize("dataset", ["pools", "applications", "demands", "funnel"])
def test_empty_selection_is_a_valid_file_with_headers(client, db, dataset, fmt):
    officer = make_user(make_org("bureau", "日照市工信局", city="rizhao"))
    db.session.commit()
    login(client, officer)
    response = client.get(f"/exports/{dataset}.{fmt}")
    assert response.status_code == 200
    rows = read_csv(response) if fmt == "csv" else read_xlsx(response)
    assert len(rows) >= 1 and all(rows[0])  # the header row
    if dataset != "funnel":
        assert len(rows) == 1


def test_access(client, zibo, db):
    assert client.get("/exports/pools.csv").status_code == 302
    provider = make_user(make_org("provider"))
    db.session.commit()
    login(client, provider)
    assert client.get("/exports/").status_code == 403
    assert client.get("/exports/applications.csv").status_code == 403
    client.post("/logout")
    login(client, zibo["officer"])
    assert client.get("/exports/").status_code == 200
    assert client.get("/exports/secrets.csv").status_code == 404
    assert client.get("/exports/pools.pdf").status_code == 404
    assert client.get(f"/exports/applications.csv?pool={zibo['other_pool'].id}").status_code == 404
    assert client.get("/exports/applications.csv?pool=abc").status_code == 404
    only = read_csv(client.get(f"/exports/applications.csv?pool={zibo['pool'].id}"))
    assert len(only) == 2
