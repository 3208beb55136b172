"""Pool jobs: settle ended notice periods every night (01:45 UTC, 09:45 in Shandong)."""
from __future__ import annotations

from marketplace.jobs import periodic


@periodic("pools.finalise_notices", minute="45", hour="1")
def finalise_notices() -> None:
    """Members of a notice whose period ended without an open or sustained objection become 正式入库."""
    from marketplace.pools import notices

    notices.finalise_due()
