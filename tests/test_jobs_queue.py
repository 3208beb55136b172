"""The queue for real: a consumer process on the embedded SQLite store and on Redis."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from marketplace import ROOT
from marketplace.extensions import db
from marketplace.jobs import enqueue, queue
from marketplace.jobs.models import JobRun
from tests import jobs_sample  # noqa: F401  (registers the test jobs)
from tests.conftest import base_config, require_env

WAIT_SECONDS = 180  # an upper bound (not a timing assertion): a consumer takes seconds to import the app on a busy machine


@pytest.fixture(params=["sqlite", "redis"])
def store(request):
    if request.param == "redis":
        url = require_env("TEST_REDIS_URL")
        import redis

        redis.Redis.from_url(url).flushdb()
        return {"JOBS_REDIS_URL": url}
    return {"JOBS_REDIS_URL": ""}


@pytest.fixture
def app_config(tmp_path, store):
    return base_config(
        tmp_path, SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'app.sqlite3'}", JOBS_IMMEDIATE=False,
        JOBS_SQLITE_PATH=str(tmp_path / "jobs.sqlite3"), JOBS_STALE_SECONDS=2, **store)


class Worker:
    """`python -m tests.jobs_sample`: the real consumer with the test jobs registered."""

    def __init__(self, app, tmp_path):
        self.env = dict(os.environ, DATABASE_URL=app.config["SQLALCHEMY_DATABASE_URI"],
                        INSTANCE_PATH=app.instance_path, JOBS_IMMEDIATE="0",
                        JOBS_SQLITE_PATH=app.config["JOBS_SQLITE_PATH"], JOBS_REDIS_URL=app.config["JOBS_REDIS_URL"],
                        JOBS_HEARTBEAT_SECONDS="0.2", SECRET_KEY="test", HF_HUB_OFFLINE="1")
        self.log = open(tmp_path / "worker.log", "ab")
        self.process = None

    def start(self):
        self.process = subprocess.Popen([sys.executable, "-m", "tests.jobs_sample"], cwd=ROOT, env=self.env,
                                        stdout=self.log, stderr=subprocess.STDOUT)
        return self

    def kill(self):
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(10)

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)  # Huey: stop now (SIGINT would wait for running jobs)
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.kill()


@pytest.fixture
def worker(app, tmp_path):
    workers = []

    def start():
        workers.append(Worker(app, tmp_path).start())
        return workers[-1]

    yield start
    for w in workers:
        w.stop()


def wait_for(predicate, what: str):
    """Poll until predicate() is true (bounded), never keeping a transaction open between polls."""
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        value = predicate()
        db.session.rollback()  # on SQLite an open transaction here would hold the write lock the worker needs
        if value:
            return value
        time.sleep(0.1)
    pytest.fail(f"timed out waiting for {what}")


def reaped(run_id: int) -> bool:
    queue.reap()  # what every consumer runs each minute
    return run_of(run_id).status != "running"


def run_of(run_id: int) -> JobRun:
    db.session.rollback()
    return db.session.get(JobRun, run_id)


# Each consumer start imports the whole app (seconds), so each test starts as few as it can.

def test_a_consumer_runs_jobs_retries_with_backoff_and_gives_up_with_the_error(app, worker, tmp_path):
    target = tmp_path / "out.txt"
    wrote = enqueue("test.write", path=str(target), text="hello").id
    flaky = enqueue("test.flaky", path=str(tmp_path / "flaky"), fail_times=1).id
    broken = enqueue("test.flaky", path=str(tmp_path / "broken"), fail_times=9).id
    db.session.commit()  # sent only now
    worker()
    wait_for(lambda: run_of(wrote).status == "done" and run_of(flaky).status == "done"
             and run_of(broken).status == "failed", "the jobs to finish")
    assert target.read_text() == "hello"
    done = run_of(wrote)
    assert done.attempts == 1 and done.finished_at is not None and done.worker
    retried = run_of(flaky)
    assert retried.attempts == 2 and "flaky failure" in retried.last_error  # the first attempt's error stays visible
    failed = run_of(broken)
    assert failed.attempts == 3 and failed.last_error == "RuntimeError: flaky failure 9"


def test_a_killed_workers_jobs_are_retried_or_failed_and_the_queue_survives_the_restart(app, worker, tmp_path):
    retried_count, failed_count = tmp_path / "retried", tmp_path / "failed"
    retried = enqueue("test.hang_once", path=str(retried_count)).id  # 2 attempts
    once = enqueue("test.hang_once", path=str(failed_count))
    once.max_attempts = 1
    failed = once.id
    db.session.commit()
    first = worker()
    wait_for(lambda: run_of(retried).status == run_of(failed).status == "running"
             and retried_count.exists() and failed_count.exists(), "both jobs to start")
    first.kill()  # kill -9 mid-job: no chance to clean up
    assert run_of(retried).status == run_of(failed).status == "running"
    # The heartbeats stop; once older than JOBS_STALE_SECONDS the reaper acts.
    # (Each poll runs the reaper again: the two heartbeats need not go stale in the same pass.)
    wait_for(lambda: reaped(retried), "the reaper to notice the dead worker")
    wait_for(lambda: reaped(failed) and run_of(failed).status == "failed", "the run without attempts left to fail")
    assert run_of(retried).status == "queued" and "worker stopped" in run_of(retried).last_error
    assert "worker stopped" in run_of(failed).last_error
    # Jobs sent while no consumer runs are kept in the store for the next one.
    targets = [tmp_path / f"out{i}.txt" for i in range(3)]
    ids = [enqueue("test.write", path=str(t), text=str(i)).id for i, t in enumerate(targets)]
    db.session.commit()
    worker()
    wait_for(lambda: all(run_of(i).status == "done" for i in [retried, *ids]), "the retried and the waiting jobs")
    assert run_of(retried).attempts == 2 and run_of(failed).status == "failed"
    assert [t.read_text() for t in targets] == ["0", "1", "2"]


@pytest.mark.parametrize("store", ["sqlite"], indirect=True)
def test_a_message_delivered_twice_runs_the_job_once(app, tmp_path):
    counter = tmp_path / "count"
    run_id = enqueue("test.flaky", path=str(counter), fail_times=0).id
    db.session.commit()
    queue.execute(app, run_id)
    queue.execute(app, run_id)
    assert counter.read_text() == "1" and run_of(run_id).status == "done"
