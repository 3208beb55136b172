"""Who may see and change a demand. Used by every view that touches demands."""
from __future__ import annotations

import sqlalchemy as sa

from marketplace.demands.models import Demand

PUBLIC_STATUSES = ("open", "awarded", "closed")


def _admitted_pool_ids(org_id: int) -> sa.Select:
    from marketplace.pools.models import PoolApplication

    return sa.select(PoolApplication.pool_id).where(
        PoolApplication.provider_org_id == org_id, PoolApplication.status == "admitted"
    )


def is_owner(user, demand: Demand) -> bool:
    return bool(user and user.is_authenticated and user.org_id == demand.org_id)


def is_city_bureau(user, demand: Demand) -> bool:
    org = getattr(user, "org", None) if user and user.is_authenticated else None
    return bool(org and org.kind == "bureau" and org.city_id is not None and org.city_id == demand.city_id)


def can_edit(user, demand: Demand) -> bool:
    return is_owner(user, demand)


def can_see_bids(user, demand: Demand) -> bool:
    """Only members of the owning firm see the bids on a demand."""
    return is_owner(user, demand)


def can_see_ranking(user, demand: Demand) -> bool:
    """The ranked providers are shown to the owning firm, the city's bureau and the operator."""
    return bool(user and user.is_authenticated and (user.is_admin or is_owner(user, demand) or is_city_bureau(user, demand)))


def can_view(user, demand: Demand) -> bool:
    if user and user.is_authenticated and (user.is_admin or is_owner(user, demand) or is_city_bureau(user, demand)):
        return True
    if demand.status not in PUBLIC_STATUSES:
        return False
    if demand.visibility == "public":
        return True
    # Pool-only: admitted members of that pool, and the bureau that runs it.
    if not (user and user.is_authenticated and user.org_id) or demand.pool is None:
        return False
    if demand.pool.bureau_org_id == user.org_id:
        return True
    return is_admitted_member(user.org_id, demand.pool_id)


def is_admitted_member(org_id: int, pool_id: int) -> bool:
    from marketplace.extensions import db
    from marketplace.pools.models import PoolApplication

    return db.session.scalar(
        sa.select(PoolApplication.id).where(
            PoolApplication.provider_org_id == org_id,
            PoolApplication.pool_id == pool_id,
            PoolApplication.status == "admitted",
        )
    ) is not None


def visible_filter(user) -> sa.ColumnElement[bool]:
    """A WHERE clause selecting the listed demands `user` may see in browse pages."""
    listed = Demand.status.in_(PUBLIC_STATUSES)
    if not (user and user.is_authenticated):
        return sa.and_(listed, Demand.visibility == "public")
    if user.is_admin:
        return sa.true()
    clauses = [sa.and_(listed, Demand.visibility == "public"), Demand.org_id == user.org_id]
    if user.org_id:
        clauses.append(sa.and_(listed, Demand.visibility == "pool", Demand.pool_id.in_(_admitted_pool_ids(user.org_id))))
        from marketplace.pools.models import Pool

        clauses.append(sa.and_(Demand.visibility == "pool", Demand.pool_id.in_(sa.select(Pool.id).where(Pool.bureau_org_id == user.org_id))))
    org = user.org
    if org is not None and org.kind == "bureau" and org.city_id:
        clauses.append(Demand.city_id == org.city_id)
    return sa.or_(*clauses)
