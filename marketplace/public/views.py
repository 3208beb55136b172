"""Home page, language switch and health check."""
from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, current_app, make_response, redirect, render_template, request, session, url_for
from flask_login import current_user

from marketplace.cache import remembered
from marketplace.demands.access import visible_filter
from marketplace.demands.models import Demand
from marketplace.demands.queries import browse_row_options, browse_terms
from marketplace.extensions import db
from marketplace.i18n import LOCALE_COOKIE
from marketplace.offerings.models import Offering
from marketplace.orgs.models import Organisation
from marketplace.pools.models import Pool
from marketplace.urls import safe_next

bp = Blueprint("public", __name__)


def live_counts() -> dict[str, int]:
    def count(query) -> int:
        return db.session.scalar(query) or 0

    return {
        "manufacturers": count(sa.select(sa.func.count(Organisation.id)).where(Organisation.kind == "manufacturer")),
        "providers": count(sa.select(sa.func.count(Organisation.id)).where(Organisation.kind == "provider")),
        "open_demands": count(sa.select(sa.func.count(Demand.id)).where(Demand.status == "open", Demand.visibility == "public")),
        "offerings": count(sa.select(sa.func.count(Offering.id)).where(Offering.status == "published")),
        "pools": count(sa.select(sa.func.count(Pool.id)).where(Pool.status.in_(("open", "closed")))),
        "awarded": count(sa.select(sa.func.count(Demand.id)).where(Demand.status.in_(("awarded", "closed")))),
    }


def cached_counts() -> dict[str, int]:
    """live_counts(), kept HOME_CACHE_SECONDS per process: the home page's figures are the same for
    every visitor, and six count(*) queries over the whole market on every view cost more than the
    rest of the page (a figure a few seconds old is acceptable)."""
    return remembered("home", "counts", "HOME_CACHE_SECONDS", 30, live_counts)


@bp.route("/")
def home():
    latest = db.session.scalars(
        sa.select(Demand).where(visible_filter(None)).order_by(Demand.published_at.desc().nulls_last(), Demand.id.desc()).limit(6)
        .options(*browse_row_options())
    ).all()
    return render_template("public/home.html", counts=cached_counts(), latest=latest, terms=browse_terms(latest))


@bp.route("/language", methods=["POST"])
def set_language():
    locale = request.form.get("locale", "")
    target = safe_next(request.form.get("next")) or url_for("public.home")
    response = make_response(redirect(target))
    if locale in current_app.config["LANGUAGES"]:
        session["locale"] = locale
        response.set_cookie(LOCALE_COOKIE, locale, max_age=365 * 24 * 3600, httponly=True, samesite="Lax")
        if current_user.is_authenticated:
            current_user.locale = locale
            db.session.commit()
    return response


@bp.route("/healthz")
def healthz():
    """200 "ready" once the database answers and (with matching on) the model, jieba and the
    index are loaded in this worker; 503 "loading" before that, so a balancer waits for it."""
    from flask import current_app

    db.session.execute(sa.text("SELECT 1"))
    if not current_app.config.get("MATCHING_ENABLED"):
        return {"status": "ok", "ready": True}
    engine = current_app.extensions.get("match_engine")
    if current_app.extensions.get("match_engine_error"):
        return {"status": "error", "ready": False, "matching": "failed to load"}, 503
    if engine is None or not engine.loaded:
        return {"status": "loading", "ready": False, "matching": "loading"}, 503
    return {"status": "ok", "ready": True, "matching": "loaded"}
