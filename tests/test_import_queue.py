"""The demand import on the job queue: parsing in a job, and a killed import (issue 9, item 2)."""
from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from marketplace.db import utc_now
from marketplace.jobs import queue
from marketplace.jobs.models import JobRun
from tests.conftest import base_config, login
from tests.test_import import GOOD, demands_in, firm, upload, xlsx_bytes  # noqa: F401  (firm is a fixture)


@pytest.fixture
def app_config(tmp_path):
    return base_config(tmp_path, JOBS_IMMEDIATE=False, JOBS_SQLITE_PATH=str(tmp_path / "jobs.sqlite3"),
                       JOBS_STALE_SECONDS=60)


def test_the_file_is_checked_by_a_job_not_in_the_request(app, client, db, firm):
    user, demand_list = firm
    login(client, user)
    response = upload(client, demand_list, xlsx_bytes([GOOD]), "list.xlsx")
    progress = response.headers["Location"]
    assert progress.endswith("/progress")  # no consumer yet: the request did not parse
    page = client.get(progress).get_data(as_text=True)
    assert 'data-status="checking"' in page and "正在检查文件" in page
    run = db.session.scalar(sa.select(JobRun).where(JobRun.name == "demands.check_import"))
    queue.execute(app, run.id)  # what a worker does
    assert "/progress" not in client.get(progress).headers["Location"]  # on to the preview


def test_a_killed_import_is_shown_failed_keeps_its_preview_and_can_be_retried(app, client, db, firm):
    user, demand_list = firm
    login(client, user)
    check = upload(client, demand_list, xlsx_bytes([GOOD]), "list.xlsx").headers["Location"]
    queue.execute(app, db.session.scalar(sa.select(JobRun.id).where(JobRun.name == "demands.check_import")))
    preview = client.get(check).headers["Location"]
    progress = client.post(preview, data={"publish": "y", "action": "import"}).headers["Location"]
    # A worker took the import job and was killed (kill -9) mid-import: the run says "running",
    # its heartbeat stopped, nothing was committed.
    run = db.session.scalar(sa.select(JobRun).where(JobRun.name == "demands.run_import"))
    assert queue.claim(run.id) is not None
    assert 'data-status="importing"' in client.get(progress).get_data(as_text=True)
    assert queue.reap(now=utc_now() + timedelta(minutes=2))["failed"] == 1  # the reaper, a minute later
    html = client.get(progress).get_data(as_text=True)
    assert 'data-status="failed"' in html and "导入未完成就停止了" in html and "执行" not in html
    assert 'data-testid="retry-import"' in html and demands_in(db, demand_list) == []
    client.post(progress.replace("/progress", "/retry"))
    db.session.expire_all()
    queue.execute(app, run.id)  # a live worker takes the retried run
    assert [d.title for d in demands_in(db, demand_list)] == [GOOD[0]]
    assert "已导入 1 条需求" in client.get(progress).get_data(as_text=True)
