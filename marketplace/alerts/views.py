"""Saved searches: save from a browse page, list, change how often, delete."""
from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from marketplace.alerts import services
from marketplace.alerts.forms import FrequencyForm, SaveSearchForm
from marketplace.alerts.models import SavedSearch
from marketplace.extensions import db

bp = Blueprint("alerts", __name__, url_prefix="/saved-searches")


@bp.app_template_global()
def save_search_form(target: str) -> SaveSearchForm:
    form = SaveSearchForm(formdata=None, target=target)
    return form


@bp.route("/", methods=["GET", "POST"])
@login_required
def index():
    if request.method == "POST":
        form = SaveSearchForm()
        target = form.target.data if form.target.data in services.KEYS else "demands"
        if form.validate_on_submit():
            try:
                search = services.save(current_user, target, form.name.data, request.form, form.frequency.data)
            except services.SavedSearchError as error:
                flash(str(error), "danger")
                return redirect(url_for(services.BROWSE[target], **services.clean_params(target, request.form)))
            db.session.commit()
            flash(_("Search saved. New results will be emailed to you.") if search.frequency != "off" else _("Search saved."), "success")
            return redirect(services.browse_url(search))
        abort(400)
    searches = db.session.scalars(sa.select(SavedSearch).where(SavedSearch.user_id == current_user.id).order_by(SavedSearch.id)).all()
    return render_template("alerts/index.html", searches=searches, form=FrequencyForm(formdata=None), browse_url=services.browse_url)


def _own_or_404(search_id: int) -> SavedSearch:
    search = db.session.get(SavedSearch, search_id)
    if search is None or search.user_id != current_user.id:
        abort(404)
    return search


@bp.route("/<int:search_id>/frequency", methods=["POST"])
@login_required
def frequency(search_id: int):
    search = _own_or_404(search_id)
    form = FrequencyForm()
    if form.validate_on_submit():
        search.frequency = form.frequency.data
        db.session.commit()
        flash(_("Saved."), "success")
    return redirect(url_for("alerts.index"))


@bp.route("/<int:search_id>/delete", methods=["POST"])
@login_required
def delete(search_id: int):
    search = _own_or_404(search_id)
    db.session.delete(search)
    db.session.commit()
    flash(_("Saved search deleted."), "success")
    return redirect(url_for("alerts.index"))
