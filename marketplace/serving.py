"""Checks of how the app is served, run by gunicorn.conf.py before any worker starts."""
from __future__ import annotations


class UnsafeServing(SystemExit):
    pass


def check_rate_limit_storage(workers: int, storage_uri: str) -> None:
    """Login limits kept in one process's memory count per worker: with 2 workers an attacker gets twice the
    tries. So several workers need a shared store."""
    if workers > 1 and storage_uri.startswith("memory://"):
        raise UnsafeServing(
            f"Refusing to start {workers} workers with RATELIMIT_STORAGE_URI={storage_uri}: each worker would keep "
            "its own login counters, multiplying the allowed tries. Set RATELIMIT_STORAGE_URI to a shared store, "
            "e.g. redis://127.0.0.1:6379/0, or run one worker.")
