"""Exports for bureaus and admins: pools, applications with scores, demands and the funnel, as CSV or XLSX."""
from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, abort, render_template, request
from flask_login import current_user, login_required

from marketplace.dashboard import filters as dash_filters
from marketplace.exports.datasets import DATASETS, visible_pools
from marketplace.exports.writers import download
from marketplace.extensions import db
from marketplace.pools.access import can_run_pools
from marketplace.pools.models import Pool
from marketplace.taxonomy.services import code_choices

bp = Blueprint("exports", __name__, url_prefix="/exports")
FORMATS = ("csv", "xlsx")


def _require_officer() -> None:
    if not can_run_pools(current_user):
        abort(403)


@bp.route("/")
@login_required
def index():
    _require_officer()
    pools = db.session.scalars(visible_pools(current_user).order_by(Pool.name)).all()
    return render_template("exports/index.html", datasets=DATASETS, formats=FORMATS, pools=pools,
                           city=dash_filters.city_code(request.args),
                           choices={k: code_choices(k) for k in ("city", "chain", "industry", "scenario")})


@bp.route("/<dataset>.<fmt>")
@login_required
def download_file(dataset: str, fmt: str):
    _require_officer()
    if dataset not in DATASETS or fmt not in FORMATS:
        abort(404)
    spec = DATASETS[dataset]
    if request.args.get("pool"):
        pool_id = request.args["pool"]
        visible = sa.select(Pool.id).where(Pool.id.in_(visible_pools(current_user).with_only_columns(Pool.id)))
        if not pool_id.isdigit() or db.session.scalar(visible.where(Pool.id == int(pool_id))) is None:
            abort(404)
    filters = dash_filters.parse(request.args)
    rows = spec.rows(current_user, request.args, filters)
    return download(spec.key, fmt, [str(h) for h in spec.headers], rows, str(spec.label))
