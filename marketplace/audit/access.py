"""Which audit events a user may read: admins all; a bureau the events by its own people and on
its own pools, their applications, its chain lists and their demands."""
from __future__ import annotations

import sqlalchemy as sa

from marketplace.audit.models import AuditEvent


def can_read_log(user) -> bool:
    org = getattr(user, "org", None)
    return bool(user.is_authenticated and (user.is_admin or (org is not None and org.kind == "bureau")))


def visible_events(user) -> sa.ColumnElement[bool]:
    if user.is_admin:
        return sa.true()
    from marketplace.demands.models import Demand, DemandList
    from marketplace.pools.models import Pool, PoolApplication

    org_id = user.org_id
    pools = sa.select(Pool.id).where(Pool.bureau_org_id == org_id)
    applications = sa.select(PoolApplication.id).where(PoolApplication.pool_id.in_(pools))
    lists = sa.select(DemandList.id).where(DemandList.publisher_org_id == org_id)
    listed = sa.select(Demand.id).where(Demand.list_id.in_(lists))
    return sa.or_(
        AuditEvent.actor_org_id == org_id,
        sa.and_(AuditEvent.object_type == "pool", AuditEvent.object_id.in_(pools)),
        sa.and_(AuditEvent.object_type == "pool_application", AuditEvent.object_id.in_(applications)),
        sa.and_(AuditEvent.object_type == "demand_list", AuditEvent.object_id.in_(lists)),
        sa.and_(AuditEvent.object_type == "demand", AuditEvent.object_id.in_(listed)),
    )
