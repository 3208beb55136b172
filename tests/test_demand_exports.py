"""Demand exports use the one formula neutraliser of every export (issue 9 item 11)."""
import csv
import io

from openpyxl import load_workbook

from tests.conftest import login, make_demand, make_org, make_user


def test_demand_exports_neutralise_full_width_formula_signs_too(client, db):
    """＝＋－＠ start formulas in WPS and in Excel with East Asian input, like = + - @."""
    from marketplace.demands.models import DemandList

    org = make_org("manufacturer")
    user = make_user(org)
    demand_list = DemandList(title="2026年AI改造需求", publisher_org_id=org.id)
    db.session.add(demand_list)
    db.session.flush()
    for title in ("＝HYPERLINK(\"http://evil\")", "＋1", "－2", "＠SUM(A1)", "=1+1"):
        make_demand(org, title=title, list_id=demand_list.id, description="＝cmd")
    db.session.commit()
    login(client, user)
    for url in (f"/demands/lists/{demand_list.id}/export", "/demands/mine/export"):
        sheet = load_workbook(io.BytesIO(client.get(url).data)).active
        rows = list(sheet.iter_rows(min_row=2))
        assert len(rows) == 5 and all(row[0].value.startswith("'") and row[1].value == "'＝cmd" for row in rows)
        text = client.get(url + "?format=csv").data.decode("utf-8-sig")
        assert all(row[0].startswith("'") for row in list(csv.reader(io.StringIO(text)))[1:])
