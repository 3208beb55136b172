"""Jobs used only by the queue tests, and the worker process those tests start.

    python -m tests.jobs_sample      # a consumer of the app configured by the environment
"""
from __future__ import annotations

import time
from pathlib import Path

from marketplace.jobs import job


def _bump(path: str) -> int:
    counter = Path(path)
    count = int(counter.read_text() or 0) + 1 if counter.exists() else 1
    counter.write_text(str(count))
    return count


@job("test.write", retries=0)
def write(path: str, text: str) -> None:
    Path(path).write_text(text)


@job("test.flaky", retries=2, retry_delay=1)
def flaky(path: str, fail_times: int) -> None:
    """Fails on its first `fail_times` attempts, then succeeds."""
    if _bump(path) <= fail_times:
        raise RuntimeError(f"flaky failure {fail_times}")


@job("test.hang_once", retries=1, retry_delay=1)
def hang_once(path: str) -> None:
    """The first attempt hangs (the test kills its worker); the next one returns."""
    if _bump(path) == 1:
        time.sleep(600)


if __name__ == "__main__":
    from marketplace import create_app
    from marketplace.jobs.queue import run_worker

    run_worker(create_app({"MATCHING_ENABLED": False}), threads=2)
