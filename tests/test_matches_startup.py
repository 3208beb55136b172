"""A worker's start at volume: the index is loaded once (in gunicorn's master, before fork) and caught
up from the database re-indexing only what changed, without holding SQLite's write lock while files load."""
from __future__ import annotations

import sqlite3

import pytest

from tests.test_matches_stored import app_config, market  # noqa: F401  (the same file database and market)


def test_a_worker_starting_re_indexes_only_what_changed_and_holds_no_lock_while_loading(app, market, db, monkeypatch, tmp_path):
    """Everything saved moments before the index falls in the catch-up's overlap window; only the rows
    that changed are indexed again, and other processes can write while the saved files load."""
    from marketplace.db import read_phase
    from marketplace.matches.engine import MatchEngine, get_engine
    from marketplace.matching.ranker import Matcher

    get_engine().rebuild(save=True)
    market["energy"].title = "工厂能耗监测与优化平台"
    db.session.commit()
    energy_id, demand_id = market["energy"].id, market["demand"].id
    db.session.remove()
    upserted, writable = [], []
    real_upsert, real_load = Matcher.upsert, Matcher.load.__func__

    def upsert(self, doc, vector):
        upserted.append((doc.kind, doc.id))
        real_upsert(self, doc, vector)

    def load(cls, *args, **kwargs):  # another process tries to write while this worker loads its files
        other = sqlite3.connect(tmp_path / "m.sqlite3", timeout=0)
        try:
            other.execute("BEGIN IMMEDIATE")
            other.execute("ROLLBACK")
            writable.append(True)
        except sqlite3.OperationalError:
            writable.append(False)
        finally:
            other.close()
        return real_load(cls, *args, **kwargs)

    monkeypatch.setattr(Matcher, "upsert", upsert)
    monkeypatch.setattr(Matcher, "load", classmethod(load))
    fresh = MatchEngine(app)
    with read_phase():  # as the warm-start thread runs it
        matcher = fresh.ready()
    assert writable == [True]
    assert upserted == [("offering", energy_id)]
    assert matcher.collections["offering"].docs[energy_id].title == "工厂能耗监测与优化平台"
    assert demand_id in matcher.collections["demand"].docs



def test_a_worker_starting_does_not_reload_rows_whose_new_vector_its_index_already_holds(app, market, db, monkeypatch):
    """A reindex writes thousands of vectors just before it saves the index; a worker starting then
    finds them in its catch-up window but loads only rows whose vector is new to its index."""
    import sqlalchemy as sa

    from marketplace.db import read_phase, utc_now
    from marketplace.matches import engine as engine_module
    from marketplace.matches.models import Embedding

    from datetime import timedelta

    demand_id = market["demand"].id
    market["demand"].updated_at = utc_now() - timedelta(hours=1)  # the row itself is older than the window
    db.session.commit()
    engine_module.get_engine().rebuild(save=True)
    vector = db.session.scalar(sa.select(Embedding).where(Embedding.object_type == "demand", Embedding.object_id == demand_id))
    vector.updated_at = utc_now()  # written again, same text
    db.session.commit()
    db.session.remove()
    loaded, real_load = [], engine_module.load_demands

    def load_demands(where):
        rows = real_load(where)
        loaded.extend(row.id for row in rows)
        return rows

    monkeypatch.setattr(engine_module, "load_demands", load_demands)
    with read_phase():
        matcher = engine_module.MatchEngine(app).ready()
    assert demand_id not in loaded
    assert demand_id in matcher.collections["demand"].docs and demand_id not in matcher.collections["demand"].no_vector


PRELOAD_AND_FORK = """
import os, sys
from marketplace import create_app
from marketplace.matches.engine import after_fork, get_engine, preload

app = create_app({"SQLALCHEMY_DATABASE_URI": sys.argv[1], "MATCHING_ENABLED": True, "MATCHING_INDEX_DIR": sys.argv[2],
                  "SECRET_KEY": "test"})
preload(app)  # as gunicorn's master does before it forks the workers
children = []
for _ in range(2):
    pid = os.fork()
    if pid == 0:
        code = 1
        try:
            after_fork()
            with app.app_context():
                engine = get_engine(app)
                vector = engine.encoder.encode_kind(["铸件表面砂眼气孔检测"], "demand")
                code = 0 if engine.loaded and vector.shape == (1, engine.encoder.dim) else 2
        finally:
            os._exit(code)
    children.append(pid)
sys.exit(max(os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]) for pid in children))
"""


def test_workers_forked_from_a_preloaded_master_are_loaded_and_can_encode(app, market, db, tmp_path):
    """The model and index are loaded once, before fork; each worker has them and encodes (OpenMP's
    thread pool, had the master started one, would make the first encoding in a worker hang)."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    from marketplace.matches.engine import get_engine

    get_engine().rebuild(save=True)
    db.session.commit()  # this process's read transaction ends (on SQLite, outside a request, it holds the write lock)
    env = dict(os.environ, INSTANCE_PATH=str(tmp_path / "instance"), HF_HUB_OFFLINE="1")
    result = subprocess.run([sys.executable, "-c", PRELOAD_AND_FORK, app.config["SQLALCHEMY_DATABASE_URI"],
                             app.config["MATCHING_INDEX_DIR"]], cwd=Path(__file__).resolve().parents[1], env=env,
                            capture_output=True, text=True, timeout=300)  # an upper bound: a hang fails, a slow machine passes
    assert result.returncode == 0, result.stderr[-3000:]
