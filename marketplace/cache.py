"""Short per-process caches for figures every visitor sees the same (home counts, dashboard
figures per filter, taxonomy labels): a value a few seconds old is acceptable there, recounting
the whole market on every view is not. Off in tests unless the setting is given."""
from __future__ import annotations

import time
from collections.abc import Callable, Hashable
from typing import TypeVar

from flask import current_app

T = TypeVar("T")
MAX_KEYS = 200  # per cache; past it the cache starts again (filters are many, views of each few)


def remembered(name: str, key: Hashable, setting: str, default_seconds: float, compute: Callable[[], T]) -> T:
    """compute(), kept for the `setting` config value in seconds (default_seconds; 0 in tests) in this
    process's cache `name` under `key`."""
    ttl = current_app.config.get(setting, 0 if current_app.testing else default_seconds)
    if not ttl:
        return compute()
    cache = current_app.extensions.setdefault(f"cache:{name}", {})
    now = time.monotonic()
    hit = cache.get(key)
    if hit is None or hit[0] <= now:
        if len(cache) >= MAX_KEYS:
            cache.clear()
        hit = cache[key] = (now + ttl, compute())
    return hit[1]
