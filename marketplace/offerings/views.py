"""Offerings: the provider's list, create, edit, publish/unpublish, and the public detail page."""
from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import selectinload
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from marketplace.extensions import db
from marketplace.offerings import services
from marketplace.offerings.formkit import fill_term_choices
from marketplace.offerings.forms import OfferingForm
from marketplace.offerings.models import OFFERING_STATUSES, Offering
from marketplace.pagination import paginate
from marketplace.search import keyword_filter

bp = Blueprint("offerings", __name__, url_prefix="/offerings")

FORM_FIELDS = services.TEXT_FIELDS + tuple(services.TERM_FIELDS)
MINE_SORTS = {
    "updated": (Offering.updated_at.desc(), Offering.id.desc()),
    "title": (Offering.title.asc(), Offering.id.asc()),
    "created": (Offering.created_at.desc(), Offering.id.desc()),
}


def can_view(user, offering: Offering) -> bool:
    if offering.status == "published":
        return True
    return bool(user and user.is_authenticated and (user.is_admin or user.org_id == offering.org_id))


def is_mine(offering: Offering) -> bool:
    return bool(current_user.is_authenticated and current_user.org_id == offering.org_id)


def provider_org_or_403():
    org = current_user.org
    if org is None or org.kind != "provider":
        abort(403)
    return org


def get_own_offering(offering_id: int) -> Offering:
    """The offering if the user's organisation owns it: 404 if they may not see it, 403 if only see it."""
    offering = db.session.get(Offering, offering_id)
    if offering is None or not can_view(current_user, offering):
        abort(404)
    if not is_mine(offering):
        abort(403)
    return offering


def form_data(form, names) -> dict:
    return {name: form[name].data for name in names}


def duplicate_of(model, token: str | None, org_id: int):
    """The object an earlier submit of the same form created, if any (a double click)."""
    existing = services.find_by_token(model, token)
    if existing is None:
        return None
    owner = existing.org_id if isinstance(existing, Offering) else existing.offering.org_id
    if owner != org_id:
        abort(400)
    return existing


def matches_module():
    try:
        from marketplace.matches import services as matches
    except ImportError:
        return None
    return matches


@bp.route("/mine")
@login_required
def mine():
    org = provider_org_or_403()
    query = sa.select(Offering).where(Offering.org_id == org.id)
    status = request.args.get("status")
    if status in OFFERING_STATUSES:
        query = query.where(Offering.status == status)
    keyword = keyword_filter(request.args.get("q"), Offering.title, Offering.summary, Offering.description)
    if keyword is not None:
        query = query.where(keyword)
    page = paginate(query.order_by(*MINE_SORTS.get(request.args.get("sort"), MINE_SORTS["updated"]))
                    .options(selectinload(Offering.case_studies), selectinload(Offering.scenarios)))
    counts = dict(db.session.execute(
        sa.select(Offering.status, sa.func.count(Offering.id)).where(Offering.org_id == org.id).group_by(Offering.status)
    ).all())
    return render_template("offerings/mine.html", page=page, counts=counts, statuses=OFFERING_STATUSES)


@bp.route("/new", methods=["GET", "POST"])
@login_required
def new():
    org = provider_org_or_403()
    form = OfferingForm()
    fill_term_choices(form)
    if form.validate_on_submit():
        token = form.submit_token.data
        offering = duplicate_of(Offering, token, org.id)
        if offering is None:
            try:
                offering = services.create_offering(org, current_user, form_data(form, FORM_FIELDS), token)
                db.session.commit()
            except IntegrityError:  # the same form submitted twice at once: keep the first
                db.session.rollback()
                offering = duplicate_of(Offering, token, org.id) or abort(409)
            else:
                flash(_("Offering saved as a draft. Add a case study, then publish it."), "success")
        return redirect(url_for(".detail", offering_id=offering.id))
    return render_template("offerings/form.html", form=form, offering=None)


def _stale(form, offering: Offering):
    """Someone saved the offering meanwhile: keep what this user typed, and let them save again."""
    db.session.rollback()
    current = db.session.get(Offering, offering.id)
    form.version.data = current.version
    return render_template("offerings/form.html", form=form, offering=current, stale=True), 409


@bp.route("/<int:offering_id>/edit", methods=["GET", "POST"])
@login_required
def edit(offering_id: int):
    offering = get_own_offering(offering_id)
    if request.method == "POST":
        form = OfferingForm()
    else:
        form = OfferingForm(obj=offering, data={f: [t.id for t in getattr(offering, rel)]
                                                  for f, rel in services.TERM_FIELDS.items()})
        form.version.data = offering.version
    fill_term_choices(form)
    if form.validate_on_submit():
        if str(form.version.data) != str(offering.version):
            return _stale(form, offering)
        changed = services.update_offering(offering, current_user, form_data(form, FORM_FIELDS))
        try:
            db.session.commit()
        except StaleDataError:
            return _stale(form, offering)
        flash(_("Changes saved.") if changed else _("Nothing was changed."), "success" if changed else "info")
        return redirect(url_for(".detail", offering_id=offering.id))
    return render_template("offerings/form.html", form=form, offering=offering)


@bp.route("/<int:offering_id>/publish", methods=["POST"])
@login_required
def publish(offering_id: int):
    return _change_status(offering_id, services.publish, _("Published: firms can now find this offering."))


@bp.route("/<int:offering_id>/unpublish", methods=["POST"])
@login_required
def unpublish(offering_id: int):
    return _change_status(offering_id, services.unpublish, _("Unpublished: the offering is hidden from firms."))


@bp.route("/<int:offering_id>/delete", methods=["POST"])
@login_required
def delete(offering_id: int):
    offering = get_own_offering(offering_id)
    try:
        services.delete_draft(offering, current_user)
    except services.OfferingError as error:
        flash(str(error.message), "danger")
        return redirect(url_for(".detail", offering_id=offering.id))
    db.session.commit()
    flash(_("Draft deleted."), "success")
    return redirect(url_for(".mine"))


def _change_status(offering_id: int, action, done_message: str):
    offering = get_own_offering(offering_id)
    try:
        action(offering, current_user)
    except services.OfferingError as error:
        flash(str(error.message), "danger")
    else:
        db.session.commit()
        flash(done_message, "success")
    return redirect(url_for(".detail", offering_id=offering.id))


@bp.route("/<int:offering_id>")
def detail(offering_id: int):
    offering = db.session.get(Offering, offering_id)
    if offering is None or not can_view(current_user, offering):
        abort(404)
    mine_ = is_mine(offering)
    ranked = []
    matches = matches_module()
    if mine_ and offering.is_published and matches is not None:
        ranked = matches.demands_for_offering(offering, current_user, limit=10)
    pending = bool(mine_ and matches is not None and matches.pending("offering", [offering]))
    return render_template("offerings/detail.html", offering=offering, is_mine=mine_, ranked=ranked, matching_pending=pending)


from marketplace.offerings import case_views  # noqa: E402,F401  (registers the case-study routes on bp)
