"""Reminders and rescue: each is sent once, however often the daily job runs."""
from __future__ import annotations

from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from marketplace.bids.models import Invitation
from marketplace.db import utc_now
from marketplace.jobs import REGISTRY
from marketplace.notifications.models import Notification
from tests.conftest import base_config, make_application, make_bid, make_demand, make_offering, make_org, make_pool, make_user, term


def kinds_for(db, user) -> list[str]:
    return list(db.session.scalars(sa.select(Notification.kind).where(Notification.user_id == user.id).order_by(Notification.id)))


def run(name: str, db) -> None:
    REGISTRY[name].func()
    db.session.commit()


def test_deadline_near_with_unanswered_bids_reminds_the_firm_once(app, db):
    firm = make_org()
    owner = make_user(firm)
    soon = make_demand(firm, title="快到期", deadline=date.today() + timedelta(days=2))
    answered = make_demand(firm, title="都已处理", deadline=date.today() + timedelta(days=2))
    far = make_demand(firm, title="还早", deadline=date.today() + timedelta(days=30))
    provider = make_org("provider")
    make_bid(soon, provider)
    make_bid(answered, provider, status="shortlisted")
    make_bid(far, provider)
    db.session.commit()
    run("reminders.deadlines", db)
    run("reminders.deadlines", db)
    notes = db.session.scalars(sa.select(Notification).where(Notification.user_id == owner.id)).all()
    assert [(n.kind, n.params["demand"]) for n in notes] == [("reminder.deadline_near", "快到期")]


def test_pool_recheck_and_notice_end_are_told_once(app, db):
    bureau = make_org("bureau", name="淄博工信局", city="zibo")
    officer = make_user(bureau)
    pool = make_pool(bureau, recheck_months=6, notice_starts_on=date.today() - timedelta(days=10),
                     notice_ends_on=date.today() - timedelta(days=1))
    provider = make_org("provider")
    member = make_user(provider)
    make_application(pool, provider, status="admitted", decided_at=utc_now() - timedelta(days=200))
    fresh = make_org("provider")
    fresh_user = make_user(fresh)
    make_application(pool, fresh, status="admitted", decided_at=utc_now() - timedelta(days=20))
    db.session.commit()
    for _ in range(2):
        run("reminders.pool_rechecks", db)
        run("reminders.notice_ends", db)
    assert sorted(kinds_for(db, officer)) == ["reminder.notice_ended", "reminder.pool_recheck"]
    assert kinds_for(db, member) == ["reminder.pool_recheck"]
    assert kinds_for(db, fresh_user) == []


class TestWithMatcher:
    @pytest.fixture
    def app_config(self, tmp_path):
        return base_config(tmp_path, MATCHING_ENABLED=True, REMINDER_RESCUE_INVITES=1)

    def test_a_demand_without_bids_is_rescued_by_inviting_top_matches_once(self, app, db):
        firm = make_org(industry_id=term("industry", "C34").id)
        owner = make_user(firm)
        demand = make_demand(firm, title="铸件砂眼气孔漏检")
        demand.published_at = utc_now() - timedelta(days=5)
        fresh = make_demand(firm, title="铸件表面裂纹检测")  # published today: not yet
        vision, already, weak = make_org("provider", name="示例视觉"), make_org("provider", name="已邀请"), make_org("provider", name="弱匹配")
        vision_user = make_user(vision)
        make_user(already)
        make_offering(vision, title="工业视觉缺陷检测", description="深度学习视觉检测铸件表面缺陷：砂眼、气孔、裂纹。")
        make_offering(already, title="铸件视觉检测", description="铸件砂眼气孔裂纹视觉检测，深度学习。")
        make_offering(weak, title="区块链溯源", description="短", scenarios=[], industries=[], price_min=None, price_max=None)
        db.session.add(Invitation(demand_id=demand.id, provider_org_id=already.id, invited_by_id=owner.id))
        db.session.commit()

        for _ in range(2):
            run("reminders.rescue", db)
        invited = db.session.scalars(sa.select(Invitation.provider_org_id).where(Invitation.demand_id == demand.id)).all()
        # The best match not yet invited; the one already invited is not invited again.
        assert sorted(invited) == sorted([already.id, vision.id])
        assert db.session.scalar(sa.select(Invitation).where(Invitation.demand_id == fresh.id)) is None
        assert kinds_for(db, vision_user) == ["invitation.received"]
        assert kinds_for(db, owner) == ["reminder.rescued"]

    def test_an_offering_without_opportunities_is_told_what_is_missing_once(self, app, db):
        idle = make_org("provider", name="冷门")
        idle_user = make_user(idle)
        lonely = make_offering(idle, title="区块链溯源", description="短", scenarios=[], industries=[], price_min=None, price_max=None)
        lonely.created_at = utc_now() - timedelta(days=30)
        db.session.commit()
        for _ in range(2):
            run("reminders.idle_offerings", db)
        idle_notes = db.session.scalars(sa.select(Notification).where(Notification.user_id == idle_user.id)).all()
        assert [n.kind for n in idle_notes] == ["reminder.offering_idle"]
        assert "scenarios" in idle_notes[0].params["missing"] or "场景" in idle_notes[0].params["missing"]
