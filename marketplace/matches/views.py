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


@bp.route("/status/<any(demand, offering):kind>/<int:object_id>")
@login_required
def status(kind: str, object_id: int):
    """{"pending": true} while the item's matches are being computed (polled by static/js/matches.js)."""
    obj = db.session.get(Demand if kind == "demand" else Offering, object_id)
    if obj is None:
        abort(404)
    if kind == "demand" and not access.can_view(current_user, obj):
        abort(404)
    if kind == "offering" and obj.status != "published" and obj.org_id != current_user.org_id:
        abort(404)
    return {"pending": obj.id in services.pending(kind, [obj])}


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
