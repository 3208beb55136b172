"""Fixtures: app, client, runner, and builders for the domain objects.

Each test gets a fresh in-memory SQLite database built from the models; the migration
tests check separately that Alembic builds the same schema on SQLite and PostgreSQL.
"""
from __future__ import annotations

import itertools
import os
import re
from contextlib import contextmanager
from datetime import date, timedelta
from decimal import Decimal
from functools import lru_cache

import pytest
import sqlalchemy as sa

from marketplace import create_app
from marketplace.extensions import db as _db

TEST_PASSWORD = "correct horse battery staple"
_counter = itertools.count(1)


@lru_cache(maxsize=1)
def test_password_hash() -> str:
    # argon2id is deliberately slow; hash the shared test password once per session.
    from marketplace.auth.passwords import hash_password

    return hash_password(TEST_PASSWORD)


def base_config(tmp_path, **overrides) -> dict:
    config = {
        "TESTING": True,
        "SECRET_KEY": "test-secret-key",
        "SQLALCHEMY_DATABASE_URI": "sqlite://",
        "WTF_CSRF_ENABLED": False,
        "RATELIMIT_ENABLED": False,
        "MATCHING_ENABLED": False,
        "SERVER_NAME": None,
        "UPLOAD_FOLDER": str(tmp_path / "uploads"),
        "MATCHING_INDEX_DIR": str(tmp_path / "matching"),
        "JOBS_IMMEDIATE": True,  # jobs run synchronously right after the enqueuing commit
    }
    config.update(overrides)
    return config


@pytest.fixture
def app_config(tmp_path) -> dict:
    """Override in a test module (or parametrize) to change the app's configuration."""
    return base_config(tmp_path)


_schema_template: list = []  # an in-memory SQLite copy of the first test's fresh schema and taxonomies


def fresh_database(app) -> None:
    """The models' schema and the taxonomies. An in-memory database is copied from the first one
    built (SQLite's backup API, a few ms) instead of being built again for each of ~600 tests."""
    in_memory = app.config["SQLALCHEMY_DATABASE_URI"] == "sqlite://"
    if in_memory and _schema_template:
        with _db.engine.connect() as connection:
            _schema_template[0].backup(connection.connection.dbapi_connection)
        return
    _db.create_all()
    load_test_taxonomies()
    if in_memory:
        import sqlite3

        template = sqlite3.connect(":memory:")
        with _db.engine.connect() as connection:
            connection.connection.dbapi_connection.backup(template)
        _schema_template.append(template)


@pytest.fixture
def app(app_config, tmp_path, monkeypatch):
    monkeypatch.setenv("INSTANCE_PATH", str(tmp_path / "instance"))
    app = create_app(app_config)
    fresh_g_per_request(app)
    with app.app_context():
        fresh_database(app)
        yield app
        _db.session.remove()
        _db.drop_all()
        _db.engine.dispose()


def fresh_g_per_request(app) -> None:
    """The fixture's app context outlives each test request, so `g` would carry the logged-in
    user and the locale from one request to the next; in production every request gets a new g."""
    from flask import g

    @app.teardown_request
    def _clear_g(exc):
        g.__dict__.clear()


@pytest.fixture
def db(app):
    return _db


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


# ---------------------------------------------------------------- taxonomies

def load_test_taxonomies() -> None:
    """The real taxonomy files from seeds/ (fast: a few hundred rows)."""
    from marketplace.taxonomy.services import load_taxonomy_files

    load_taxonomy_files(_db.session)
    _db.session.commit()


def term(kind: str, code: str):
    from marketplace.taxonomy.services import by_code

    found = by_code(kind, code)
    assert found is not None, f"no taxonomy term {kind}:{code}"
    return found


# ---------------------------------------------------------------- builders

def make_org(kind: str = "manufacturer", name: str | None = None, city: str | None = "weifang", **fields):
    from marketplace.orgs.credit_code import complete
    from marketplace.orgs.models import Organisation

    n = next(_counter)
    org = Organisation(
        kind=kind,
        name=name or f"{kind.title()} {n}",
        credit_code=fields.pop("credit_code", None) or (complete(f"91370700MA{n:07d}") if kind in ("manufacturer", "provider") else None),
        city_id=term("city", city).id if city else None,
        **fields,
    )
    _db.session.add(org)
    _db.session.flush()
    return org


def make_user(org=None, email: str | None = None, org_role: str = "owner", is_admin: bool = False, **fields):
    from marketplace.auth.models import User

    n = next(_counter)
    user = User(
        email=email or f"user{n}@example.com", name=fields.pop("name", f"User {n}"),
        password_hash=test_password_hash(), org=org, org_role=org_role, is_admin=is_admin, **fields,
    )
    _db.session.add(user)
    _db.session.flush()
    return user


def make_demand(org, title: str = "铸件表面缺陷在线检测", status: str = "open", **fields):
    from marketplace.demands.models import Demand
    from marketplace.db import utc_now

    scenarios = fields.pop("scenarios", ["online_inspection"])
    demand = Demand(
        org_id=org.id, title=title,
        description=fields.pop("description", "铸件表面有砂眼、气孔，人工目检漏检多，希望用摄像头自动检出。"),
        industry_id=term("industry", fields.pop("industry", "C34")).id,
        city_id=term("city", fields.pop("city", "weifang")).id,
        budget_min=fields.pop("budget_min", Decimal("20")), budget_max=fields.pop("budget_max", Decimal("50")),
        deadline=fields.pop("deadline", date.today() + timedelta(days=60)),
        status=status, published_at=utc_now() if status != "draft" else None, **fields,
    )
    demand.scenarios = [term("scenario", code) for code in scenarios]
    _db.session.add(demand)
    _db.session.flush()
    return demand


def make_offering(org, title: str = "工业视觉缺陷检测系统", status: str = "published", **fields):
    from marketplace.offerings.models import Offering

    scenarios = fields.pop("scenarios", ["online_inspection"])
    industries = fields.pop("industries", ["C34"])
    offering = Offering(
        org_id=org.id, title=title, summary=fields.pop("summary", "基于深度学习的表面缺陷检测"),
        description=fields.pop("description", "面向铸造、机加工的在线视觉检测，识别砂眼、气孔、裂纹。"),
        price_min=fields.pop("price_min", Decimal("15")), price_max=fields.pop("price_max", Decimal("60")),
        status=status, **fields,
    )
    offering.scenarios = [term("scenario", c) for c in scenarios]
    offering.industries = [term("industry", c) for c in industries]
    _db.session.add(offering)
    _db.session.flush()
    return offering


def make_pool(bureau, name: str = "淄博化工行业AI服务商资源池", status: str = "open", **fields):
    from marketplace.pools.models import Pool, RubricItem

    pool = Pool(
        bureau_org_id=bureau.id, name=name, city_id=bureau.city_id, status=status,
        opens_on=fields.pop("opens_on", date.today() - timedelta(days=10)),
        closes_on=fields.pop("closes_on", date.today() + timedelta(days=20)),
        quota=fields.pop("quota", 10), **fields,
    )
    pool.rubric_items = [RubricItem(name="技术能力", max_points=40, sort_order=1),
                         RubricItem(name="行业案例", max_points=30, sort_order=2),
                         RubricItem(name="服务保障", max_points=30, sort_order=3)]
    _db.session.add(pool)
    _db.session.flush()
    return pool


def make_application(pool, provider, status: str = "submitted", **fields):
    from marketplace.pools.models import PoolApplication

    application = PoolApplication(pool_id=pool.id, provider_org_id=provider.id, status=status,
                                  statement=fields.pop("statement", "我们在化工行业有多个落地案例。"), **fields)
    _db.session.add(application)
    _db.session.flush()
    return application


def make_bid(demand, provider, offering=None, status: str = "submitted", **fields):
    from marketplace.bids.models import Bid

    bid = Bid(demand_id=demand.id, provider_org_id=provider.id, offering_id=offering.id if offering else None,
              price=fields.pop("price", Decimal("30")), duration_days=fields.pop("duration_days", 90),
              approach=fields.pop("approach", "部署两台工业相机和边缘推理盒。"), status=status, **fields)
    _db.session.add(bid)
    _db.session.flush()
    return bid


def login(client, user, password: str = TEST_PASSWORD):
    response = client.post("/login", data={"email": user.email, "password": password})
    assert response.status_code == 302, f"login failed for {user.email}"
    return response


def csrf_token_from(html: str) -> str:
    match = re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', html)
    assert match, "no csrf token in page"
    return match.group(1)


def require_env(name: str) -> str:
    """A service address from the environment. Missing: the test is skipped on a developer's
    machine, but fails on CI, where .ci/run provides every service, so nothing skips silently there."""
    value = os.environ.get(name)
    if value:
        return value
    if os.environ.get("CI"):
        pytest.fail(f"{name} is not set on CI", pytrace=False)
    pytest.skip(f"{name} not set")


@contextmanager
def fresh_postgres_database():
    """A new, empty PostgreSQL database for one test; yields its URL and drops it afterwards."""
    import uuid

    url = require_env("TEST_POSTGRES_URL")
    name = f"mkt_test_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield sa.engine.make_url(url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


# Browser fixtures (live_server, browser_page) live in tests/browser.py.
from tests.browser import _playwright_browser, browser_page, live_server, live_server_config  # noqa: E402,F401


@pytest.fixture
def pg_app(tmp_path, monkeypatch):
    """Like `app`, on a fresh PostgreSQL database (for tests where the database matters:
    constraints, concurrency). Needs TEST_POSTGRES_URL (see require_env)."""
    with fresh_postgres_database() as url:
        monkeypatch.setenv("INSTANCE_PATH", str(tmp_path / "instance"))
        app = create_app(base_config(tmp_path, SQLALCHEMY_DATABASE_URI=url))
        fresh_g_per_request(app)
        with app.app_context():
            _db.create_all()
            load_test_taxonomies()
            yield app
            _db.session.remove()
            _db.engine.dispose()
