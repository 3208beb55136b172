"""Open contracting data: awarded and closed public demands as OCDS 1.1 release packages, checked
against the OCDS 1.1.5 release package schema (vendored in tests/data/ocds-1.1.5, Apache-2.0)."""
from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4

from marketplace.db import utc_now
from tests.api_builders import world
from tests.conftest import login, make_bid, make_demand, make_pool, make_user

SCHEMAS = Path(__file__).parent / "data" / "ocds-1.1.5"


@pytest.fixture(scope="module")
def validator():
    release = json.loads((SCHEMAS / "release-schema.json").read_text())
    package = json.loads((SCHEMAS / "release-package-schema.json").read_text())
    registry = Registry().with_resource(release["id"], Resource.from_contents(release, default_specification=DRAFT4))
    return jsonschema.Draft4Validator(package, registry=registry, format_checker=jsonschema.FormatChecker())


def awarded_and_closed(db):
    w = world()
    w.bid.status = "awarded"
    w.other_bid.status, w.other_bid.decline_reason = "declined", "another_provider_awarded"
    w.open_demand.status = "awarded"
    closed = make_demand(w.firm, title="能耗优化", status="closed", closed_at=utc_now())
    make_bid(closed, w.other_provider, status="awarded", price=12)
    pool_only = make_demand(w.firm, title="池内需求", status="awarded", visibility="pool", pool_id=make_pool(w.bureau).id)
    db.session.commit()
    return w, closed, pool_only


def test_releases_validate_against_the_ocds_schema_and_show_only_public_fields(client, db, validator):
    w, closed, pool_only = awarded_and_closed(db)
    package = client.get("/api/v1/ocds/releases").json
    errors = sorted(validator.iter_errors(package), key=lambda e: e.path)
    assert not errors, [f"{list(e.path)}: {e.message}" for e in errors[:5]]
    titles = [r["tender"]["title"] for r in package["releases"]]
    assert titles == [w.open_demand.title, closed.title]  # no drafts, no open, no pool-only demands
    awarded = package["releases"][0]
    assert awarded["awards"][0]["suppliers"][0]["name"] == w.provider.name
    assert awarded["awards"][0]["value"] == {"amount": 300000.0, "currency": "CNY"}  # 30 万元
    assert awarded["tender"]["numberOfTenderers"] == 2
    text = json.dumps(package, ensure_ascii=False)
    assert w.other_bid.approach not in text and w.draft.title not in text and pool_only.title not in text
    assert package["releases"][1]["contracts"][0]["status"] == "terminated"


def test_a_bureau_exports_its_citys_package_as_a_file(client, db, validator):
    w, closed, _ = awarded_and_closed(db)
    weifang_bureau = make_user(w.bureau.__class__(kind="bureau", name="潍坊市工信局", city_id=w.open_demand.city_id))
    db.session.commit()
    login(client, weifang_bureau)
    answer = client.get("/exports/ocds")
    assert answer.status_code == 200 and "attachment" in answer.headers["Content-Disposition"]
    package = json.loads(answer.data)
    assert not list(validator.iter_errors(package))
    assert {r["tender"]["title"] for r in package["releases"]} == {w.open_demand.title, closed.title}
    client.post("/logout")
    login(client, w.firm_user)
    assert client.get("/exports/ocds").status_code == 403
    assert client.get("/api/v1/ocds/releases?city=zibo").json["releases"] == []
