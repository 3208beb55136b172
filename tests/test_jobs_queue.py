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

WAIT_SECONDS = 60  # an upper bound for a worker to pick up a job on a busy machine


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
            self.process.send_signal(signal.SIGINT)
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
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        db.session.expire_all()
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    pytest.fail(f"timed out waiting for {what}")


def run_of(run_id: int) -> JobRun:
    db.session.rollback()
    return db.session.get(JobRun, run_id)


def test_a_consumer_runs_a_job_after_the_commit_and_records_it(app, worker, tmp_path):
    target = tmp_path / "out.txt"
    run = enqueue("test.write", path=str(target), text="hello")
    run_id = run.id
    db.session.commit()
    worker()
    wait_for(lambda: run_of(run_id).status == "done", "the job to finish")
    assert target.read_text() == "hello"
    done = run_of(run_id)
    assert done.attempts == 1 and done.finished_at is not None and done.worker


def test_a_failing_job_is_retried_with_backoff_then_succeeds(app, worker, tmp_path):
    run_id = enqueue("test.flaky", path=str(tmp_path / "count"), fail_times=1).id
    db.session.commit()
    worker()
    wait_for(lambda: run_of(run_id).status == "done", "the retry to succeed")
    run = run_of(run_id)
    assert run.attempts == 2
    assert "flaky failure" in run.last_error  # the first attempt's error stays visible


def test_a_job_that_keeps_failing_ends_failed_with_its_error(app, worker, tmp_path):
    run_id = enqueue("test.flaky", path=str(tmp_path / "count"), fail_times=9).id
    db.session.commit()
    worker()
    wait_for(lambda: run_of(run_id).status == "failed", "the job to give up")
    run = run_of(run_id)
    assert run.attempts == 3 and "RuntimeError: flaky failure 9" == run.last_error


def test_a_killed_workers_job_is_retried_by_the_next_worker(app, worker, tmp_path):
    counter = tmp_path / "count"
    run_id = enqueue("test.hang_once", path=str(counter)).id
    db.session.commit()
    first = worker()
    wait_for(lambda: run_of(run_id).status == "running" and counter.exists(), "the first attempt to start")
    first.kill()  # kill -9 mid-job: no chance to clean up
    assert run_of(run_id).status == "running"
    # The heartbeat stops; once it is older than JOBS_STALE_SECONDS the reaper re-queues the run.
    wait_for(lambda: queue.reap()["requeued"] == 1, "the reaper to notice the dead worker")
    assert run_of(run_id).status == "queued"
    assert "worker stopped" in run_of(run_id).last_error
    worker()  # a fresh consumer: the queue survived the restart
    wait_for(lambda: run_of(run_id).status == "done", "the second attempt")
    assert run_of(run_id).attempts == 2


def test_a_killed_job_without_attempts_left_ends_failed(app, worker, tmp_path):
    counter = tmp_path / "count"
    run = enqueue("test.hang_once", path=str(counter))
    run.max_attempts = 1
    run_id = run.id
    db.session.commit()
    first = worker()
    wait_for(lambda: run_of(run_id).status == "running" and counter.exists(), "the job to start")
    first.kill()
    wait_for(lambda: queue.reap()["failed"] == 1, "the reaper to fail the run")
    run = run_of(run_id)
    assert run.status == "failed" and "worker stopped" in run.last_error


def test_queued_jobs_survive_a_consumer_restart(app, worker, tmp_path):
    first = worker()
    first.stop()  # the queue is empty, the consumer gone
    targets = [tmp_path / f"out{i}.txt" for i in range(3)]
    ids = [enqueue("test.write", path=str(t), text=str(i)).id for i, t in enumerate(targets)]
    db.session.commit()  # sent while no consumer runs: kept in the store
    worker()
    wait_for(lambda: all(run_of(i).status == "done" for i in ids), "the jobs queued while no consumer ran")
    assert [t.read_text() for t in targets] == ["0", "1", "2"]


def test_a_message_delivered_twice_runs_the_job_once(app, tmp_path):
    counter = tmp_path / "count"
    run_id = enqueue("test.flaky", path=str(counter), fail_times=0).id
    db.session.commit()
    queue.execute(app, run_id)
    queue.execute(app, run_id)
    assert counter.read_text() == "1" and run_of(run_id).status == "done"
