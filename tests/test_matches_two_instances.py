"""The production shape in miniature: two app instances (two hosts' web workers) on one PostgreSQL and
one Redis job store. A save in one is queued in Redis (the other instance sees the message), matched by
the job a consumer takes from there, and visible, ranked, in the other."""
from __future__ import annotations

import sqlalchemy as sa

from marketplace import create_app
from marketplace.extensions import db as _db
from marketplace.jobs.queue import get_huey
from tests.conftest import (base_config, fresh_g_per_request, fresh_postgres_database, load_test_taxonomies, login,
                            make_demand, make_offering, make_org, make_user, require_env)


def _instance(tmp_path, url, name, redis_url):
    app = create_app(base_config(tmp_path / name, SQLALCHEMY_DATABASE_URI=url, MATCHING_ENABLED=True,
                                 MATCHING_INDEX_DIR=str(tmp_path / name / "matching"),
                                 JOBS_IMMEDIATE=False, JOBS_REDIS_URL=redis_url))
    fresh_g_per_request(app)
    return app


def test_a_save_on_one_instance_is_matched_and_shown_on_the_other(tmp_path, monkeypatch):
    import redis

    redis_url = require_env("TEST_REDIS_URL")
    redis.Redis.from_url(redis_url).flushdb()
    with fresh_postgres_database() as url:
        monkeypatch.setenv("INSTANCE_PATH", str(tmp_path / "instance"))
        first, second = _instance(tmp_path, url, "a", redis_url), _instance(tmp_path, url, "b", redis_url)
        with first.app_context():
            _db.create_all()
            load_test_taxonomies()
            firm = make_org("manufacturer", name="潍坊示例铸造")
            owner = make_user(firm)
            vision = make_org("provider", name="示例视觉")
            make_offering(vision, title="工业视觉缺陷检测", description="深度学习视觉检测铸件表面缺陷：砂眼、气孔、裂纹。")
            _db.session.commit()
            owner_id = owner.id
        with second.app_context():  # the other instance has already loaded its index
            from marketplace.matches.engine import warm_start

            warm_start(second, background=False)
        try:
            with first.app_context():  # the save happens on the first instance; its job goes to Redis
                owner = _db.session.get(type(owner), owner_id)
                demand = make_demand(owner.org, title="铸件砂眼气孔漏检",
                                     description="铸件表面有砂眼、气孔，人工目检漏检多，想用摄像头自动检出。")
                _db.session.commit()
                demand_id = demand.id
            with second.app_context():
                client = second.test_client()
                login(client, _db.session.get(type(owner), owner_id))
                assert get_huey(second).pending_count() >= 1  # the other instance sees the queued job
                assert "正在匹配…" in client.get(f"/demands/{demand_id}").get_data(as_text=True)
            with first.app_context():  # a consumer takes the jobs from Redis and runs them
                huey = get_huey(first)
                while (task := huey.dequeue()) is not None:
                    huey.execute(task)
                _db.session.remove()
            with second.app_context():
                html = client.get(f"/demands/{demand_id}").get_data(as_text=True)
                assert "工业视觉缺陷检测" in html and "正在匹配…" not in html
                offering_id = _db.session.scalar(sa.text("SELECT id FROM offering"))
                why = client.get(f"/matches/why/{demand_id}/{offering_id}")
                assert why.status_code == 200 and "在线智能检测" in why.get_data(as_text=True)
                from marketplace.matches.engine import get_engine

                assert demand_id in get_engine().refresh().collections["demand"].docs  # its index caught up from the database
        finally:
            for app in (first, second):
                with app.app_context():
                    _db.session.remove()
                    _db.engine.dispose()
