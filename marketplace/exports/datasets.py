"""The exportable tables: headers and rows, limited to what the user may see."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Iterable

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from marketplace.bureau_lists.coverage import bid_counts
from marketplace.dashboard import queries as dash
from marketplace.demands.access import visible_filter
from marketplace.demands.models import Demand
from marketplace.demands.queries import row_options
from marketplace.extensions import db
from marketplace.navigation import status_label
from marketplace.pools.models import Pool, PoolApplication
from marketplace.pools.services import member_count
from marketplace.templating import term_label

MAX_ROWS = 50_000


@dataclass
class Dataset:
    key: str
    label: object
    headers: list
    rows: Callable  # (user, args, filters) -> iterable of rows


def _labels(terms) -> str:
    return "、".join(term_label(t) for t in terms)


def visible_pools(user) -> sa.Select:
    query = sa.select(Pool)
    if not user.is_admin:
        query = query.where(Pool.bureau_org_id == user.org_id)
    return query


def pool_rows(user, args, filters) -> Iterable[list]:
    for pool in db.session.scalars(visible_pools(user).order_by(Pool.id).limit(MAX_ROWS)):
        yield [pool.id, pool.name, pool.bureau.name, term_label(pool.city), status_label(pool.status), pool.opens_on,
               pool.closes_on, pool.quota, member_count(pool), len(pool.applications), _labels(pool.industries),
               _labels(pool.scenarios), pool.notice_starts_on, pool.notice_ends_on]


def _pool_id(args) -> int | None:
    value = args.get("pool", "")
    return int(value) if value.isdigit() else None


def application_rows(user, args, filters) -> Iterable[list]:
    query = sa.select(PoolApplication).join(Pool).where(Pool.id.in_(visible_pools(user).with_only_columns(Pool.id)))
    if _pool_id(args):
        query = query.where(Pool.id == _pool_id(args))
    for a in db.session.scalars(query.order_by(Pool.id, PoolApplication.id).limit(MAX_ROWS)):
        scores = "; ".join(f"{s.rubric_item.name} {s.points}/{s.rubric_item.max_points}"
                           + (f" ({s.comment})" if s.comment else "") for s in a.scores)
        yield [a.id, a.pool.name, a.provider.name, a.provider.credit_code, status_label(a.status), a.submitted_at,
               a.total_score, sum(i.max_points for i in a.pool.rubric_items), scores, a.batch, a.decision_reason,
               a.decided_at, a.appeal_text, a.appeal_outcome, a.last_checked_on]


def demand_rows(user, args, filters) -> Iterable[list]:
    query = dash.apply_filters(sa.select(Demand).where(visible_filter(user)), filters)
    demands = db.session.scalars(query.order_by(Demand.id).limit(MAX_ROWS).options(*row_options())).all()
    bids = bid_counts(d.id for d in demands)
    for d in demands:
        yield [d.id, d.title, d.org.name, term_label(d.city), term_label(d.chain), term_label(d.industry),
               _labels(d.scenarios), d.budget_min, d.budget_max, d.deadline, status_label(d.status),
               d.demand_list.title if d.demand_list else "", "1" if d.owner_confirmed else "0", bids.get(d.id, 0),
               d.published_at]


def funnel_rows(user, args, filters) -> Iterable[list]:
    funnel, months, groups = dash.breakdown(filters, filters.group)
    yield [str(_l("Total")), ""] + [funnel[s] for s in dash.STAGES]
    for month, counts in months:
        yield [str(_l("Month")), month] + [counts[s] for s in dash.STAGES]
    for term, counts in groups:
        yield [str(dash.GROUP_LABELS[filters.group]), term_label(term) or str(_l("Not stated"))] + [counts[s] for s in dash.STAGES]


DATASETS = {
    "pools": Dataset("pools", _l("Pools"), [
        "ID", _l("Pool"), _l("Bureau"), _l("City"), _l("Status"), _l("Opens on"), _l("Closes on"), _l("Quota"),
        _l("Members"), _l("Applications"), _l("Industries"), _l("Scenarios"), _l("Notice from"), _l("Notice until")], pool_rows),
    "applications": Dataset("applications", _l("Applications with scores"), [
        "ID", _l("Pool"), _l("Provider"), _l("Credit code"), _l("Status"), _l("Submitted"), _l("Total score"),
        _l("Maximum"), _l("Scores"), _l("Batch"), _l("Decision reason"), _l("Decided"), _l("Appeal"),
        _l("Appeal outcome"), _l("Last checked")], application_rows),
    "demands": Dataset("demands", _l("Demands"), [
        "ID", _l("Title"), _l("Firm"), _l("City"), _l("Chain"), _l("Industry"), _l("Scenarios"), _l("Budget from (万元)"),
        _l("Budget up to (万元)"), _l("Deadline"), _l("Status"), _l("List"), _l("Confirmed by the firm"), _l("Bids"),
        _l("Published")], demand_rows),
    "funnel": Dataset("funnel", _l("Funnel"), [
        _l("Section"), _l("Label"), _l("Demands"), _l("Matched"), _l("Bid on"), _l("Awarded"), _l("Closed")], funnel_rows),
}
