"""Two bids submitted at the same moment by the same provider leave one live bid (PostgreSQL)."""
import threading
from decimal import Decimal

import sqlalchemy as sa

from marketplace.bids import services
from marketplace.bids.models import Bid
from marketplace.extensions import db
from tests.conftest import make_demand, make_org, make_user


def test_two_simultaneous_bids_leave_one(pg_app):
    firm = make_org("manufacturer")
    provider = make_org("provider")
    user = make_user(provider)
    demand = make_demand(firm)
    db.session.commit()
    ids = (user.id, demand.id)
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def submit(approach: str) -> None:
        from marketplace.auth.models import User
        from marketplace.demands.models import Demand

        with pg_app.test_request_context():  # notifications build links with url_for
            me, target = db.session.get(User, ids[0]), db.session.get(Demand, ids[1])
            barrier.wait()
            try:
                services.submit_bid(me, target, None, Decimal("40"), 60, approach)
                db.session.commit()
                outcomes.append("saved")
            except services.BidError:
                db.session.rollback()
                outcomes.append("refused")
            finally:
                db.session.remove()

    threads = [threading.Thread(target=submit, args=(f"方案{i}",)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(outcomes) == ["refused", "saved"]
    live = db.session.scalar(sa.select(sa.func.count(Bid.id)).where(Bid.demand_id == ids[1], Bid.status == "submitted"))
    assert live == 1
