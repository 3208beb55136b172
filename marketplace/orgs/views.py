"""Providers: public browse and profile pages."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from marketplace import search
from marketplace.extensions import db
from marketplace.offerings.formkit import fill_term_choices
from marketplace.orgs import queries, services
from marketplace.orgs.forms import ProfileForm
from marketplace.orgs.models import Organisation
from marketplace.pagination import paginate
from marketplace.taxonomy.services import code_choices

bp = Blueprint("orgs", __name__)


@bp.route("/providers/")
def providers():
    found = search.parse(request.args.get("q"))
    page = paginate(queries.filtered_providers(request.args), shared_total=True, eager=queries.row_options(),
                    shared_ranking=found is not None)
    filters = {kind: code_choices(kind) for kind in ("city", "industry", "chain", "scenario")}
    records = queries.track_records([org.id for org in page.items])
    sorts = ([search.RELEVANCE] if found else []) + list(queries.SORTS)
    return render_template("orgs/providers.html", page=page, filters=filters, records=records, sorts=sorts,
                           cards=queries.provider_cards([org.id for org in page.items]), search=found)


@bp.route("/providers/<int:org_id>")
def provider(org_id: int):
    org = db.session.get(Organisation, org_id)
    if org is None or org.kind != "provider":
        abort(404)
    return render_template(
        "orgs/provider.html",
        org=org,
        offerings=queries.published_offerings(org.id),
        record=queries.track_record(org.id),
        pools=queries.admitted_pools(org.id),
        reviews=queries.reviews_of(org.id),
        is_mine=current_user.is_authenticated and current_user.org_id == org.id,
    )


@bp.route("/profile", methods=["GET", "POST"])
@login_required
def profile():
    """The signed-in user's organisation edits its own profile (there is no other org to pick)."""
    org = current_user.org
    if org is None or org.kind not in ("provider", "manufacturer"):
        abort(403)
    if request.method == "POST":
        form = ProfileForm()
    else:
        form = ProfileForm(obj=org, data={"service_city_ids": [t.id for t in org.service_cities]})
        form.fingerprint.data = services.fingerprint(org)
    fill_term_choices(form)
    if form.validate_on_submit():
        if form.fingerprint.data != services.fingerprint(org):
            # A colleague saved the profile meanwhile: keep what this user typed, let them save again.
            form.fingerprint.data = services.fingerprint(org)
            return render_template("orgs/profile.html", form=form, org=org, stale=True), 409
        changed = services.update_profile(org, current_user, {f.name: f.data for f in form})
        db.session.commit()
        flash(_("Profile saved.") if changed else _("Nothing was changed."), "success" if changed else "info")
        return redirect(url_for(".profile"))
    return render_template("orgs/profile.html", form=form, org=org)
