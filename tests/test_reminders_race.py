"""Two workers running the same daily reminder job at once send it once (PostgreSQL)."""
import threading
from datetime import date, timedelta

import sqlalchemy as sa

from marketplace.extensions import db
from marketplace.jobs import REGISTRY
from marketplace.notifications.models import Notification
from marketplace.reminders.models import ReminderLog
from tests.conftest import make_bid, make_demand, make_org, make_user


def test_two_workers_at_once_send_one_reminder(pg_app):
    firm = make_org()
    owner = make_user(firm)
    demand = make_demand(firm, deadline=date.today() + timedelta(days=1))
    make_bid(demand, make_org("provider"))
    db.session.commit()
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def worker() -> None:
        with pg_app.app_context():
            try:
                barrier.wait()
                REGISTRY["reminders.deadlines"].func()
                db.session.commit()
            except BaseException as error:  # noqa: BLE001 - reported below
                errors.append(error)
                db.session.rollback()
            finally:
                db.session.remove()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not errors
    assert db.session.scalar(sa.select(sa.func.count(ReminderLog.id))) == 1
    assert db.session.scalar(sa.select(sa.func.count(Notification.id)).where(Notification.user_id == owner.id)) == 1
