"""The "why this match" page."""
from __future__ import annotations

from flask import Blueprint, abort, render_template
from flask_login import current_user, login_required

from marketplace.demands import access
from marketplace.demands.models import Demand
from marketplace.extensions import db
from marketplace.matches import services
from marketplace.offerings.models import Offering

bp = Blueprint("matches", __name__, url_prefix="/matches")

SIGNAL_LABELS = ("dense", "lexical", "scenario", "industry", "chain", "stage", "city", "budget", "pool", "track")


@bp.route("/why/<int:demand_id>/<int:offering_id>")
@login_required
def why(demand_id: int, offering_id: int):
    demand = db.session.get(Demand, demand_id)
    offering = db.session.get(Offering, offering_id)
    if demand is None or offering is None or not access.can_view(current_user, demand):
        abort(404)
    if offering.status != "published" and offering.org_id != current_user.org_id:
        abort(404)
    item = services.explain(demand, offering)
    return render_template("matches/why.html", demand=demand, offering=offering, item=item, signals=SIGNAL_LABELS)
