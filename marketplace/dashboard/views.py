"""The bureau dashboard: funnel, trends, breakdowns, pool coverage and adoption, with charts and tables."""
from __future__ import annotations

from flask import Blueprint, abort, render_template, request
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from marketplace.cache import remembered
from marketplace.dashboard import filters as dash_filters
from marketplace.dashboard import queries
from marketplace.dashboard.queries import GROUP_LABELS, STAGE_LABELS
from marketplace.pools.access import can_run_pools
from marketplace.taxonomy.services import code_choices

bp = Blueprint("dashboard", __name__, url_prefix="/dashboard")

COLOURS = ("#0b5394", "#3d85c6", "#e69138", "#6aa84f", "#674ea7")


def stage_labels() -> list[str]:
    return [str(STAGE_LABELS[s]) for s in queries.STAGES]


def _datasets(series: list[dict[str, int]]) -> list[dict]:
    return [{"label": str(STAGE_LABELS[stage]), "data": [point[stage] for point in series],
             "backgroundColor": COLOURS[n], "borderColor": COLOURS[n]} for n, stage in enumerate(queries.STAGES)]


WHOLE_NUMBERS = {"scales": {"x": {"ticks": {"precision": 0}, "beginAtZero": True},
                             "y": {"ticks": {"precision": 0}, "beginAtZero": True}}}


def charts(funnel, months, groups, coverage) -> dict[str, dict]:
    """Chart.js configurations; the same numbers are in the tables under each chart."""
    from marketplace.templating import term_label

    return {
        "funnel": {"type": "bar", "data": {"labels": stage_labels(), "datasets": [
            {"label": str(_l("Demands")), "data": [funnel[s] for s in queries.STAGES], "backgroundColor": list(COLOURS)}]},
            "options": {"indexAxis": "y", "plugins": {"legend": {"display": False}}, **WHOLE_NUMBERS}},
        "months": {"type": "line", "data": {"labels": [m for m, _ in months], "datasets": _datasets([f for _, f in months])},
                   "options": WHOLE_NUMBERS},
        "groups": {"type": "bar", "data": {"labels": [term_label(t) or str(_l("Not stated")) for t, _ in groups[:15]],
                                            "datasets": _datasets([f for _, f in groups[:15]])}, "options": WHOLE_NUMBERS},
        "coverage": {"type": "bar", "data": {"labels": [term_label(r["term"]) for r in coverage[:20]], "datasets": [
            {"label": str(_l("Demands")), "data": [r["demands"] for r in coverage[:20]], "backgroundColor": COLOURS[0]},
            {"label": str(_l("Admitted providers")), "data": [r["providers"] for r in coverage[:20]], "backgroundColor": COLOURS[3]}]},
            "options": WHOLE_NUMBERS},
    }


def figures(selected) -> dict:
    """Everything the dashboard shows for one filter, counted by SQL aggregates."""
    funnel, months, groups = queries.breakdown(selected, selected.group)
    coverage = queries.pool_coverage(selected)
    return {"funnel": funnel, "months": months, "groups": groups, "coverage": coverage,
            "adoption": queries.adoption(selected.city_id), "charts": charts(funnel, months, groups, coverage)}


def cached_figures(selected, locale: str) -> dict:
    """figures() per filter (and language: the charts carry labels), kept DASHBOARD_CACHE_SECONDS:
    the figures are the same for every bureau viewing the same filter, a short delay is acceptable,
    and counting tens of thousands of demands' stages on every view is not."""
    return remembered("dashboard", (repr(selected), locale), "DASHBOARD_CACHE_SECONDS", 30, lambda: figures(selected))


@bp.route("/")
@login_required
def index():
    if not can_run_pools(current_user):
        abort(403)
    selected = dash_filters.parse(request.args)
    return render_template(
        "dashboard/index.html", **cached_figures(selected, str(get_locale())),
        stages=queries.STAGES, stage_labels=STAGE_LABELS, group_labels=GROUP_LABELS, group=selected.group,
        city=dash_filters.city_code(request.args), choices={k: code_choices(k) for k in ("city", "chain", "industry", "scenario")},
    )
