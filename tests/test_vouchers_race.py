"""Two bureau officers approving at the same moment cannot overspend a scheme's budget (PostgreSQL and SQLite)."""
import threading
from decimal import Decimal

import pytest
import sqlalchemy as sa

from marketplace.extensions import db
from marketplace.vouchers import eligibility, services
from marketplace.vouchers.errors import VoucherError
from marketplace.vouchers.models import LedgerEntry, Voucher, VoucherScheme
from tests.conftest import make_user
from tests.vouchers_builders import make_bureau, make_contract, make_scheme


@pytest.fixture
def sqlite_file_app(tmp_path, monkeypatch):
    """The embedded default (SQLite in a file, WAL), which threads can share."""
    from marketplace import create_app
    from tests.conftest import base_config, fresh_g_per_request, load_test_taxonomies

    monkeypatch.setenv("INSTANCE_PATH", str(tmp_path / "instance"))
    app = create_app(base_config(tmp_path, SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'race.sqlite3'}"))
    fresh_g_per_request(app)
    with app.app_context():
        db.create_all()
        load_test_taxonomies()
        yield app
        db.session.remove()
        db.engine.dispose()


@pytest.fixture(params=["postgresql", "sqlite"])
def race_app(request):
    return request.getfixturevalue("pg_app" if request.param == "postgresql" else "sqlite_file_app")


def test_two_simultaneous_approvals_never_overspend(race_app):
    pg_app = race_app
    bureau, officer = make_bureau()
    colleague = make_user(bureau)
    scheme = make_scheme(bureau, budget=Decimal("20"))  # room for one 15 万元 voucher, not two
    contracts = [make_contract() for _ in range(2)]
    vouchers = [services.apply(c["firm_user"], scheme, eligibility.Contract(c["demand"], c["bid"])) for c in contracts]
    db.session.commit()
    jobs = [(officer.id, vouchers[0].id), (colleague.id, vouchers[1].id)]
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def approve(user_id: int, voucher_id: int) -> None:
        from marketplace.auth.models import User

        with pg_app.test_request_context():
            me, voucher = db.session.get(User, user_id), db.session.get(Voucher, voucher_id)
            barrier.wait()
            try:
                services.approve(voucher, me, voucher.version)
                db.session.commit()
                outcomes.append("issued")
            except VoucherError:
                db.session.rollback()
                outcomes.append("refused")
            finally:
                db.session.remove()

    threads = [threading.Thread(target=approve, args=job) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(outcomes) == ["issued", "refused"]
    db.session.expire_all()
    fresh = db.session.get(VoucherScheme, scheme.id)
    reserved = db.session.scalar(sa.select(sa.func.sum(LedgerEntry.amount)).where(LedgerEntry.kind == "reserve"))
    assert reserved == Decimal("15.00") and fresh.available == Decimal("5.00")
    assert db.session.scalar(sa.select(sa.func.count(Voucher.id)).where(Voucher.status == "issued")) == 1


def test_database_check_refuses_overspend_even_without_the_service_check(pg_app):
    bureau, _officer = make_bureau()
    scheme = make_scheme(bureau, budget=Decimal("20"))
    db.session.commit()
    try:
        db.session.execute(sa.update(VoucherScheme).where(VoucherScheme.id == scheme.id).values(available=Decimal("-0.01")))
        db.session.flush()
        raised = False
    except sa.exc.IntegrityError:
        raised = True
    db.session.rollback()
    assert raised


def test_ledger_is_append_only_on_postgresql(pg_app):
    bureau, officer = make_bureau()
    scheme = make_scheme(bureau)
    contract = make_contract()
    voucher = services.apply(contract["firm_user"], scheme, eligibility.Contract(contract["demand"], contract["bid"]))
    with pg_app.test_request_context():
        services.approve(voucher, officer, voucher.version)
    db.session.commit()
    for statement in (sa.update(LedgerEntry).values(amount=Decimal("1")), sa.delete(LedgerEntry)):
        try:
            db.session.execute(statement)
            refused = False
        except sa.exc.DatabaseError:
            refused = True
        db.session.rollback()
        assert refused
    assert db.session.scalar(sa.select(sa.func.count(LedgerEntry.id))) == 1
