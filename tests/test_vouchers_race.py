"""Two bureau officers approving at the same moment cannot overspend a scheme's budget (PostgreSQL)."""
import threading
from decimal import Decimal

import sqlalchemy as sa

from marketplace.extensions import db
from marketplace.vouchers import eligibility, services
from marketplace.vouchers.errors import VoucherError
from marketplace.vouchers.models import LedgerEntry, Voucher, VoucherScheme
from tests.conftest import make_user
from tests.vouchers_builders import make_bureau, make_contract, make_scheme


def test_two_simultaneous_approvals_never_overspend(pg_app):
    bureau, officer = make_bureau()
    colleague = make_user(bureau)
    scheme = make_scheme(bureau, budget=Decimal("20"))  # room for one 15 万元 voucher, not two
    contracts = [make_contract() for _ in range(2)]
    vouchers = [services.apply(c["firm_user"], scheme, eligibility.Contract(c["demand"], c["bid"])) for c in contracts]
    db.session.commit()
    jobs = [(officer.id, vouchers[0].id), (colleague.id, vouchers[1].id)]
    scheme_id = scheme.id
    db.session.remove()  # this thread holds no transaction (on SQLite: no write lock) while the officers race
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def approve(user_id: int, voucher_id: int) -> None:
        from marketplace.auth.models import User

        with pg_app.test_request_context(method="POST"):  # an approval is a POST (SQLite: BEGIN IMMEDIATE)
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
    fresh = db.session.get(VoucherScheme, scheme_id)
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
