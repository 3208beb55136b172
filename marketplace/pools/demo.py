"""Demo 公示 (seeds/demo/pools.json notice fields): each demo pool's notice becomes its first kept notice,
listing its admitted demo members; a notice whose period has ended has made them 正式入库."""
from __future__ import annotations

from collections import Counter
from datetime import date, datetime, time, timedelta

import sqlalchemy as sa

from marketplace.pools.models import NoticeEntry, PoolApplication, PoolNotice


def load_notices(loader) -> None:
    """Called by marketplace.seeding after the applications are loaded; adds each pool's notice once."""
    for pool in loader.pools.values():
        if not (pool.notice_starts_on and pool.notice_ends_on):
            continue
        if loader.session.scalar(sa.select(PoolNotice.id).where(PoolNotice.pool_id == pool.id).limit(1)) is not None:
            continue
        members = list(loader.session.scalars(sa.select(PoolApplication).where(
            PoolApplication.pool_id == pool.id, PoolApplication.status == "admitted").order_by(PoolApplication.id)))
        if not members:
            continue
        batches = Counter(m.batch for m in members if m.batch)
        notice = loader.add(PoolNotice(
            pool_id=pool.id, batch=batches.most_common(1)[0][0] if batches else "", text=pool.notice_text,
            starts_on=pool.notice_starts_on, ends_on=pool.notice_ends_on, is_demo=True,
            published_at=datetime.combine(pool.notice_starts_on, time(9)),
            entries=[NoticeEntry(application_id=m.id) for m in members],
        ), "pool_notices")
        if pool.notice_ends_on < date.today():
            settled = datetime.combine(pool.notice_ends_on + timedelta(days=1), time(1, 45))
            notice.finalised_at = settled
            for member in members:
                member.confirmed_at = settled
    loader.session.flush()
