"""The taxonomies and demo data in seeds/ and their loader (`flask seed`)."""
from __future__ import annotations

import json
from collections import Counter

import pytest
import sqlalchemy as sa

from marketplace.auth.models import User
from marketplace.auth.passwords import verify_password
from marketplace.bids.models import Bid, Review
from marketplace.demands.models import Demand, DemandList
from marketplace.offerings.models import CaseStudy, Offering
from marketplace.orgs.credit_code import is_valid
from marketplace.orgs.models import Organisation
from marketplace.pools.models import ApplicationScore, Pool, PoolApplication, RubricItem
from marketplace.seeding import DEMO_PASSWORD, TAXONOMY_DIR, load_demo, load_taxonomies, read_demo_files
from marketplace.taxonomy.models import TaxonomyTerm

MODELS = (TaxonomyTerm, Organisation, User, DemandList, Demand, Offering, CaseStudy, Pool, RubricItem,
          PoolApplication, ApplicationScore, Bid, Review)

REQUIRED_SCENARIOS = {
    "online_inspection", "fault_diagnosis", "predictive_maintenance", "smart_scheduling", "energy_optimization",
    "safety_warning", "industry_llm", "process_optimization", "quality_traceability", "smart_warehouse",
    "supply_chain_planning", "digital_twin", "robot_vision", "agv_logistics", "rd_design_assist",
    "smart_customer_service", "document_knowledge", "demand_forecasting", "environmental_monitoring",
    "equipment_monitoring", "intelligent_welding", "sorting_packaging",
}
REQUIRED_CHAINS = {
    "power_equipment", "smart_agri_machinery", "construction_mining_equipment", "chemicals_silicone",
    "textiles_apparel", "light_industry", "chips_electronics", "steel", "nonferrous", "food", "auto_parts",
}


def counts(session) -> dict[str, int]:
    return {m.__name__: session.scalar(sa.select(sa.func.count()).select_from(m)) for m in MODELS}


@pytest.fixture
def seeded(app, db):
    load_taxonomies(db.session)
    load_demo(db.session)
    db.session.commit()
    return db.session


def all_rows(session, model):
    return list(session.scalars(sa.select(model)))


# ---------------------------------------------------------------- taxonomy files

def _taxonomy(name: str) -> list[dict]:
    return json.loads((TAXONOMY_DIR / f"{name}.json").read_text(encoding="utf-8"))


def test_taxonomy_files_are_complete():
    cities = {t["code"] for t in _taxonomy("cities")}
    assert len(cities) == 16 and {"jinan", "qingdao", "weifang", "zibo", "heze"} <= cities
    industries = [t["code"] for t in _taxonomy("industries")]
    assert industries == [f"C{n}" for n in range(13, 44)]
    assert REQUIRED_CHAINS <= {t["code"] for t in _taxonomy("chains")}
    assert {"rd_design", "production", "operations_management", "maintenance_service", "supply_chain",
            "safety_energy_env"} <= {t["code"] for t in _taxonomy("stages")}
    assert REQUIRED_SCENARIOS <= {t["code"] for t in _taxonomy("scenarios")}
    assert {t["code"] for t in _taxonomy("vouchers")} == {"model", "scenario", "compute", "corpus"}
    assert {t["code"] for t in _taxonomy("deployments")} == {"cloud", "on_premises", "edge"}
    for name in ("cities", "industries", "chains", "stages", "scenarios", "vouchers", "deployments"):
        entries = _taxonomy(name)
        assert len({e["code"] for e in entries}) == len(entries), name
        for entry in entries:
            assert entry["zh"] and entry["en"] and isinstance(entry["keywords"], str), entry
    for entry in _taxonomy("scenarios"):
        assert len(entry["keywords"].split()) >= 8, entry["code"]


def test_demo_files_refer_to_known_codes():
    codes = {
        "city": {t["code"] for t in _taxonomy("cities")},
        "industry": {t["code"] for t in _taxonomy("industries")},
        "chain": {t["code"] for t in _taxonomy("chains")},
        "stage": {t["code"] for t in _taxonomy("stages")},
        "scenario": {t["code"] for t in _taxonomy("scenarios")},
        "voucher": {t["code"] for t in _taxonomy("vouchers")},
        "deployment": {t["code"] for t in _taxonomy("deployments")},
    }
    data = read_demo_files()

    def known(kind, value):
        assert value is None or value in codes[kind], f"unknown {kind} {value!r}"

    org_keys = {o["key"] for o in data["organisations"]}
    for o in data["organisations"]:
        known("city", o["city"]); known("industry", o["industry"])
        for c in o["service_cities"]:
            known("city", c)
    for x in data["demands"]:
        assert x["org"] in org_keys
        for kind in ("industry", "chain", "stage", "city"):
            known(kind, x[kind])
        for c in x["scenarios"]:
            known("scenario", c)
        for c in x["vouchers"]:
            known("voucher", c)
    for x in data["offerings"]:
        assert x["org"] in org_keys
        for field, kind in (("industries", "industry"), ("chains", "chain"), ("stages", "stage"),
                            ("scenarios", "scenario"), ("vouchers", "voucher"), ("deployments", "deployment")):
            for c in x[field]:
                known(kind, c)
        for case in x["case_studies"]:
            known("industry", case["client_industry"])
    for p in data["pools"]:
        known("city", p["city"])
        for c in p["industries"]:
            known("industry", c)
        for c in p["scenarios"]:
            known("scenario", c)


# ---------------------------------------------------------------- loading

def test_seeding_twice_gives_the_same_counts(app, db):
    load_taxonomies(db.session)
    first = load_demo(db.session)
    db.session.commit()
    before = counts(db.session)
    assert first["organisations"] == before["Organisation"]

    assert load_taxonomies(db.session) == 0
    assert not any(load_demo(db.session).values())
    db.session.commit()
    assert counts(db.session) == before


def test_seed_command_loads_taxonomies_then_demo(runner, db):
    result = runner.invoke(args=["seed", "--no-demo"])
    assert result.exit_code == 0, result.output
    assert counts(db.session)["Organisation"] == 0
    assert counts(db.session)["TaxonomyTerm"] > 100

    result = runner.invoke(args=["seed"])
    assert result.exit_code == 0, result.output
    after = counts(db.session)
    assert after["Organisation"] > 0 and after["Demand"] > 0

    result = runner.invoke(args=["seed"])
    assert result.exit_code == 0, result.output
    assert "nothing added" in result.output
    assert counts(db.session) == after


def test_demo_data_meets_the_minimums(seeded):
    session = seeded
    orgs = all_rows(session, Organisation)
    by_kind = Counter(o.kind for o in orgs)
    manufacturers = [o for o in orgs if o.kind == "manufacturer"]
    assert len(manufacturers) >= 8
    assert len({o.city_id for o in manufacturers}) >= 5
    assert by_kind["provider"] >= 25
    assert by_kind["operator"] == 1

    offerings = all_rows(session, Offering)
    assert len(offerings) >= 50
    assert all(1 <= len(o.case_studies) <= 3 for o in offerings)

    demands = all_rows(session, Demand)
    assert len(demands) >= 40
    weifang_list = session.scalar(sa.select(DemandList).where(DemandList.title.like("潍坊市动力装备产业链%")))
    assert weifang_list is not None and weifang_list.status == "published"
    assert weifang_list.publisher.kind == "bureau"
    assert weifang_list.chain.code == "power_equipment"
    assert len(weifang_list.demands) >= 20
    assert len({d.org_id for d in weifang_list.demands}) >= 4

    zibo_pool = session.scalar(sa.select(Pool).where(Pool.name == "淄博化工行业AI服务商资源池"))
    assert zibo_pool is not None
    statuses = Counter(a.status for a in zibo_pool.applications)
    assert len(zibo_pool.applications) >= 8
    assert {"submitted", "under_review", "admitted", "rejected", "withdrawn"} <= set(statuses)
    assert {a.batch for a in zibo_pool.applications if a.status == "admitted"} == {"首批"}
    assert zibo_pool.notice_text and zibo_pool.notice_starts_on <= zibo_pool.notice_ends_on
    assert session.scalar(sa.select(Pool).where(Pool.name.like("潍坊%"))) is not None

    bids = all_rows(session, Bid)
    assert len(bids) >= 15
    assert {b.status for b in bids} == {"submitted", "shortlisted", "awarded", "declined", "withdrawn"}
    assert len(all_rows(session, Review)) >= 1
    assert {d.status for d in demands} >= {"draft", "open", "awarded", "closed", "cancelled"}

    # A bureau (with a user) for every city that any demand or pool uses.
    bureau_cities = {o.city_id for o in orgs if o.kind == "bureau" and o.users}
    used = {d.city_id for d in demands} | {p.city_id for p in all_rows(session, Pool)}
    assert used <= bureau_cities
    admins = [u for u in all_rows(session, User) if u.is_admin]
    assert admins and all(u.org.kind == "operator" for u in admins)


def test_demo_rows_are_marked(seeded):
    session = seeded
    for model in (Organisation, Demand, Offering, Pool, PoolApplication, Bid, Review):
        assert all(row.is_demo for row in all_rows(session, model)), model.__name__
    assert all(o.name.endswith("（演示）") for o in all_rows(session, Organisation))


def test_demo_accounts_share_the_demo_password(seeded):
    users = all_rows(seeded, User)
    assert users and all(u.org is not None for u in users)
    assert len({u.email for u in users}) == len(users)
    # One hash for all demo accounts (argon2 is slow); it verifies the documented password.
    hashes = {u.password_hash for u in users}
    assert len(hashes) == 1
    assert verify_password(hashes.pop(), DEMO_PASSWORD)
    assert all(any(u.org_role == "owner" for u in org.users) for org in all_rows(seeded, Organisation))


def test_every_credit_code_is_valid(seeded):
    orgs = all_rows(seeded, Organisation)
    for org in orgs:
        if org.kind in ("manufacturer", "provider"):
            assert org.credit_code and is_valid(org.credit_code), org.name
        elif org.credit_code:
            assert is_valid(org.credit_code), org.name
    codes = [o.credit_code for o in orgs if o.credit_code]
    assert len(codes) == len(set(codes))


def test_cross_references_resolve(seeded):
    session = seeded
    for demand in all_rows(session, Demand):
        assert demand.org.kind == "manufacturer"
        assert demand.city is not None and demand.city.kind == "city"
        assert demand.industry is not None and demand.industry.kind == "industry"
        assert demand.stage is not None and demand.stage.kind == "stage"
        assert demand.chain is None or demand.chain.kind == "chain"
        assert demand.scenarios and all(t.kind == "scenario" for t in demand.scenarios)
        assert all(t.kind == "voucher" for t in demand.vouchers)
        assert (demand.visibility == "pool") == (demand.pool is not None)
        assert demand.status != "cancelled" or demand.cancel_reason
        assert demand.status == "draft" or demand.published_at is not None
        assert demand.status != "closed" or demand.closed_at is not None
        if demand.demand_list is not None:
            assert demand.demand_list.city_id == demand.city_id
        if not demand.owner_confirmed:
            assert demand.demand_list is not None
        awarded = [b for b in all_rows(session, Bid) if b.demand_id == demand.id and b.status == "awarded"]
        assert len(awarded) == (1 if demand.status in ("awarded", "closed") else 0), demand.title

    for offering in all_rows(session, Offering):
        assert offering.org.kind == "provider"
        assert offering.scenarios and all(t.kind == "scenario" for t in offering.scenarios)
        assert all(t.kind == "industry" for t in offering.industries)
        assert all(t.kind == "deployment" for t in offering.deployments)
        assert offering.status == "draft" or offering.published_at is not None

    admitted = {(a.pool_id, a.provider_org_id) for a in all_rows(session, PoolApplication) if a.status == "admitted"}
    for application in all_rows(session, PoolApplication):
        assert application.pool.bureau.kind == "bureau"
        assert application.provider.kind == "provider"
        assert application.offerings and all(o.org_id == application.provider_org_id for o in application.offerings)
        assert all(s.rubric_item.pool_id == application.pool_id for s in application.scores)
        assert all(0 <= s.points <= s.rubric_item.max_points for s in application.scores)
        assert application.status != "rejected" or application.decision_reason
        if application.scores:
            assert application.total_score == sum(s.points for s in application.scores)

    live = Counter()
    for bid in all_rows(session, Bid):
        assert bid.provider.kind == "provider"
        assert bid.offering is None or bid.offering.org_id == bid.provider_org_id
        assert bid.demand.status != "draft"
        if bid.status in ("submitted", "shortlisted"):
            assert bid.demand.status == "open"
        if bid.status in ("submitted", "shortlisted", "awarded"):
            live[(bid.demand_id, bid.provider_org_id)] += 1
        if bid.demand.visibility == "pool":
            assert (bid.demand.pool_id, bid.provider_org_id) in admitted
        assert bid.status != "declined" or bid.decline_reason
    assert all(n == 1 for n in live.values())

    for review in all_rows(session, Review):
        assert review.bid.status == "awarded"
        assert review.bid.demand_id == review.demand_id and review.demand.status == "closed"
        assert review.bid.provider_org_id == review.provider_org_id
        assert review.reviewer_org_id == review.demand.org_id
        assert 1 <= review.rating <= 5

    for demand_list in all_rows(session, DemandList):
        assert demand_list.publisher is not None
        assert demand_list.status != "published" or demand_list.published_at is not None


@pytest.mark.parametrize("email", ["admin@platform-demo.example", "officer@weifang-gxj-demo.example",
                                   "owner@wf-huadong-demo.example", "owner@huiyan-demo.example"])
def test_demo_accounts_can_log_in(seeded, client, email):
    from tests.conftest import login

    user = seeded.scalar(sa.select(User).where(User.email == email))
    assert user is not None
    login(client, user, password=DEMO_PASSWORD)


def test_demo_applications_have_their_history_in_the_audit_log(app, db):
    from marketplace.audit.models import AuditEvent
    from marketplace.pools.models import PoolApplication

    load_taxonomies(db.session)
    load_demo(db.session)
    db.session.commit()
    rejected = db.session.scalar(sa.select(PoolApplication).where(PoolApplication.status == "rejected"))
    actions = set(db.session.scalars(sa.select(AuditEvent.action).where(
        AuditEvent.object_type == "pool_application", AuditEvent.object_id == rejected.id)))
    assert actions == {"application.submitted", "application.rejected"}
    total = db.session.scalar(sa.select(sa.func.count(AuditEvent.id)))
    load_demo(db.session)
    db.session.commit()
    assert db.session.scalar(sa.select(sa.func.count(AuditEvent.id))) == total
