"""The schema is made by Alembic: upgrading an empty database reaches exactly the models."""
import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade

from marketplace import create_app
from marketplace.db import Base
from marketplace.extensions import db
from tests.conftest import fresh_postgres_database


def upgrade_and_compare(url: str, tmp_path, monkeypatch) -> list:
    monkeypatch.setenv("INSTANCE_PATH", str(tmp_path))
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "TESTING": True, "MATCHING_ENABLED": False})
    with app.app_context():
        upgrade()
        with db.engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            diff = compare_metadata(context, Base.metadata)
        tables = set(sa.inspect(db.engine).get_table_names())
        assert {"organisation", "user_account", "demand", "offering", "pool", "pool_application", "bid",
                "review", "notification", "audit_event", "taxonomy_term", "embedding"} <= tables
        downgrade(revision="base")
        assert set(sa.inspect(db.engine).get_table_names()) <= {"alembic_version"}
        db.engine.dispose()
    return diff


def test_sqlite_upgrade_to_head_matches_models(tmp_path, monkeypatch):
    assert upgrade_and_compare(f"sqlite:///{tmp_path / 'm.sqlite3'}", tmp_path, monkeypatch) == []


@pytest.mark.postgres
def test_postgres_upgrade_to_head_matches_models(tmp_path, monkeypatch):
    with fresh_postgres_database() as url:
        assert upgrade_and_compare(url, tmp_path, monkeypatch) == []
