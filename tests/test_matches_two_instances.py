"""The production shape in miniature: two app instances (two hosts' web workers) on one PostgreSQL.
A save in one is matched by the job it starts and visible, ranked, in the other."""
from __future__ import annotations

import sqlalchemy as sa

from marketplace import create_app
from marketplace.extensions import db as _db
from tests.conftest import (base_config, fresh_g_per_request, fresh_postgres_database, load_test_taxonomies, login,
                            make_demand, make_offering, make_org, make_user)


def _instance(tmp_path, url, name):
    app = create_app(base_config(tmp_path / name, SQLALCHEMY_DATABASE_URI=url, MATCHING_ENABLED=True,
                                 MATCHING_INDEX_DIR=str(tmp_path / name / "matching")))
    fresh_g_per_request(app)
    return app


def test_a_save_on_one_instance_is_matched_and_shown_on_the_other(tmp_path, monkeypatch):
    with fresh_postgres_database() as url:
        monkeypatch.setenv("INSTANCE_PATH", str(tmp_path / "instance"))
        first, second = _instance(tmp_path, url, "a"), _instance(tmp_path, url, "b")
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
            with first.app_context():  # the save happens on the first instance, its job runs there
                owner = _db.session.get(type(owner), owner_id)
                demand = make_demand(owner.org, title="铸件砂眼气孔漏检",
                                     description="铸件表面有砂眼、气孔，人工目检漏检多，想用摄像头自动检出。")
                _db.session.commit()
                demand_id = demand.id
            with second.app_context():
                client = second.test_client()
                login(client, _db.session.get(type(owner), owner_id))
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
