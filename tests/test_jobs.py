"""Jobs in the tests' immediate mode, the commands, and the admin page."""
from __future__ import annotations

from marketplace.extensions import db
from marketplace.jobs import enqueue
from marketplace.jobs.models import JobRun
from tests import jobs_sample  # noqa: F401  (registers the test jobs)


def test_a_job_runs_right_after_the_enqueuing_commit(app, tmp_path):
    target = tmp_path / "out.txt"
    run = enqueue("test.write", path=str(target), text="hi")
    assert not target.exists()  # not before the commit
    db.session.commit()
    assert target.read_text() == "hi"
    assert db.session.get(JobRun, run.id).status == "done"


def test_nothing_runs_when_the_transaction_rolls_back(app, tmp_path):
    target = tmp_path / "out.txt"
    enqueue("test.write", path=str(target), text="hi")
    db.session.rollback()
    db.session.commit()
    assert not target.exists()
    assert db.session.query(JobRun).count() == 0


def test_a_failed_job_keeps_its_error_and_is_queued_for_its_retry(app, tmp_path):
    run = enqueue("test.flaky", path=str(tmp_path / "n"), fail_times=5)
    db.session.commit()
    db.session.expire_all()
    assert run.status == "queued" and run.attempts == 1 and run.run_after is not None
    assert run.last_error == "RuntimeError: flaky failure 5"
