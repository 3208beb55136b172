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


def test_a_savepoint_inside_the_transaction_does_not_send_its_jobs_early(app, tmp_path):
    # Services use begin_nested() (a SAVEPOINT) to turn a unique violation into a form error;
    # its release is not the commit. Sent then, the job looked for a row not yet committed (on
    # SQLite it waited 15 s on the request's own write lock, and a bid's award answered 503).
    first, second = tmp_path / "first.txt", tmp_path / "second.txt"
    enqueue("test.write", path=str(first), text="1")
    with db.session.begin_nested():
        enqueue("test.write", path=str(second), text="2")
    assert not first.exists() and not second.exists()
    db.session.commit()
    assert first.read_text() == "1" and second.read_text() == "2"


def test_a_savepoint_rolled_back_keeps_the_jobs_enqueued_before_it(app, tmp_path):
    kept, dropped = tmp_path / "kept.txt", tmp_path / "dropped.txt"
    enqueue("test.write", path=str(kept), text="kept")
    savepoint = db.session.begin_nested()
    enqueue("test.write", path=str(dropped), text="dropped")
    savepoint.rollback()
    db.session.commit()
    assert kept.read_text() == "kept" and not dropped.exists()


def test_a_failed_job_keeps_its_error_and_is_queued_for_its_retry(app, tmp_path):
    run = enqueue("test.flaky", path=str(tmp_path / "n"), fail_times=5)
    db.session.commit()
    db.session.expire_all()
    assert run.status == "queued" and run.attempts == 1 and run.run_after is not None
    assert run.last_error == "RuntimeError: flaky failure 5"


# ---------------------------------------------------------------- pages and commands

from tests.conftest import login, make_org, make_user  # noqa: E402


def _failed_run(tmp_path, user=None) -> JobRun:
    run = enqueue("test.flaky", path=str(tmp_path / "n"), fail_times=99, started_by=user.id if user else None)
    run.max_attempts = 1
    db.session.commit()
    db.session.expire_all()
    assert run.status == "failed"
    return run


def test_admins_see_failed_jobs_with_their_errors_and_retry_them(app, client, tmp_path):
    admin = make_user(make_org("operator", city=None), is_admin=True)
    run = _failed_run(tmp_path)
    done = enqueue("test.write", path=str(tmp_path / "x"), text="x")
    db.session.commit()
    login(client, admin)
    page = client.get("/admin/jobs/?status=failed").get_data(as_text=True)
    assert f'data-testid="job-{run.id}"' in page and "flaky failure 99" in page
    assert f'data-testid="job-{done.id}"' not in page
    assert "/admin/jobs/" in client.get("/").get_data(as_text=True)  # the admin menu links here
    response = client.post(f"/jobs/{run.id}/retry", data={"next": "/admin/jobs/?status=failed"})
    assert response.status_code == 302 and response.headers["Location"].endswith("/admin/jobs/?status=failed")
    db.session.expire_all()
    assert run.attempts == 1 and run.status == "failed"  # retried at once (immediate mode) and failed again
    detail = client.get(f"/jobs/{run.id}").get_data(as_text=True)
    assert "Traceback" in detail  # admins see the traceback


def test_whoever_started_a_job_sees_its_error_others_do_not(app, client, tmp_path):
    org = make_org()
    owner, other = make_user(org), make_user(org)
    run = _failed_run(tmp_path, owner)
    login(client, owner)
    page = client.get(f"/jobs/{run.id}").get_data(as_text=True)
    assert "flaky failure 99" in page and "Traceback" not in page
    assert client.get("/admin/jobs/").status_code == 403
    stranger = app.test_client()
    login(stranger, other)
    assert stranger.get(f"/jobs/{run.id}").status_code == 404
    assert stranger.post(f"/jobs/{run.id}/retry").status_code == 404


def test_a_done_job_is_not_retried(app, client, tmp_path):
    admin = make_user(make_org("operator", city=None), is_admin=True)
    run = enqueue("test.write", path=str(tmp_path / "x"), text="x")
    db.session.commit()
    login(client, admin)
    client.post(f"/jobs/{run.id}/retry")
    db.session.expire_all()
    assert run.status == "done" and run.attempts == 1


def test_status_and_retry_commands(app, runner, tmp_path):
    run = _failed_run(tmp_path)
    out = runner.invoke(args=["jobs", "status"]).output
    assert "failed: 1" in out and "RuntimeError: flaky failure 99" in out
    result = runner.invoke(args=["jobs", "retry", str(run.id)])
    assert result.exit_code == 0 and "queued again" in result.output
    assert runner.invoke(args=["jobs", "retry", "999"]).exit_code != 0
