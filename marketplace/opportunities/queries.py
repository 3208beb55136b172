"""Which open demands a provider sees as opportunities, filtered and ordered."""
from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from marketplace.demands.access import visible_filter
from marketplace.demands.models import Bookmark, Demand
from marketplace.demands.queries import filtered_demands

# Budget bands in 万元: (low, high), either may be open.
BUDGET_BANDS = {
    "lt10": (None, Decimal("10")),
    "10-50": (Decimal("10"), Decimal("50")),
    "50-100": (Decimal("50"), Decimal("100")),
    "gt100": (Decimal("100"), None),
}
BUDGET_LABELS = [("lt10", _l("Under ¥100k")), ("10-50", _l("¥100k–500k")), ("50-100", _l("¥500k–1M")), ("gt100", _l("Over ¥1M"))]
DEADLINES = {"7": 7, "30": 30, "90": 90}
DEADLINE_LABELS = [("7", _l("Within 7 days")), ("30", _l("Within 30 days")), ("90", _l("Within 90 days"))]
SORTS = ("match", "newest", "deadline", "budget")


def bookmarked_ids(org_id: int) -> sa.Select:
    return sa.select(Bookmark.demand_id).where(Bookmark.org_id == org_id)


def _budget_clause(band: str):
    low, high = BUDGET_BANDS[band]
    clauses = []
    if low is not None:  # the demand can pay at least `low`
        clauses.append(sa.or_(Demand.budget_max.is_(None), Demand.budget_max >= low))
    if high is not None:  # and its budget starts below `high`
        clauses.append(sa.or_(Demand.budget_min.is_(None), Demand.budget_min < high))
    return sa.and_(*clauses)


def opportunities(user, org_id: int, args) -> sa.Select:
    """Demands the provider may see, with the filters in `args` applied (no ordering yet).

    Open demands by default; with saved=1, every visible demand the provider bookmarked.
    """
    query = sa.select(Demand).where(visible_filter(user), Demand.org_id != org_id)
    if args.get("saved") == "1":
        query = query.where(Demand.id.in_(bookmarked_ids(org_id)))
    else:
        query = query.where(Demand.status == "open", sa.or_(Demand.deadline.is_(None), Demand.deadline >= date.today()))
    if args.get("budget") in BUDGET_BANDS:
        query = query.where(_budget_clause(args["budget"]))
    if args.get("deadline") in DEADLINES:
        query = query.where(Demand.deadline.is_not(None), Demand.deadline <= date.today() + timedelta(days=DEADLINES[args["deadline"]]))
    # q, city, industry, chain, stage and scenario work as on the demand browse page.
    plain = {k: v for k, v in args.items() if k in ("q", "city", "industry", "chain", "stage", "scenario")}
    return filtered_demands(query, plain).order_by(None)


NEWEST = (Demand.published_at.desc().nulls_last(), Demand.id.desc())


def ordered(query: sa.Select, sort: str) -> sa.Select:
    if sort == "deadline":
        return query.order_by(Demand.deadline.asc().nulls_last(), *NEWEST)
    if sort == "budget":
        return query.order_by(Demand.budget_max.desc().nulls_last(), *NEWEST)
    return query.order_by(*NEWEST)


def best_match_first(query: sa.Select, org_id: int, matched_only: bool) -> list[sa.Select]:
    """The "best match" order in two parts (marketplace.pagination.paginate_parts): the demands the
    provider's published offerings are stored as matching, by the best score; then the others, newest
    first. One ORDER BY on the score would score and sort every open demand (100k) for each page;
    here the first part reads the provider's few matches and the second walks the newest-first index."""
    from marketplace.matches import services as matches

    best = matches.best_for_provider(org_id)
    parts = [query.join(best, best.c.demand_id == Demand.id).order_by(best.c.score.desc(), *NEWEST)]
    if not matched_only:
        parts.append(query.where(Demand.id.not_in(matches.matched_for_provider(org_id))).order_by(*NEWEST))
    return parts
