"""Case studies of an offering: add, edit, remove (routes on the offerings blueprint)."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy.exc import IntegrityError

from marketplace.extensions import db
from marketplace.offerings import services
from marketplace.offerings.forms import CaseStudyForm
from marketplace.offerings.models import CaseStudy, Offering
from marketplace.offerings.views import bp, duplicate_of, form_data, get_own_offering
from marketplace.taxonomy.services import NONE, term_choices

CASE_FORM_FIELDS = services.CASE_FIELDS + ("client_industry_id",)


def _case_form(**kwargs) -> CaseStudyForm:
    form = CaseStudyForm(**kwargs)
    form.client_industry_id.choices = term_choices("industry", blank=NONE)
    return form


def get_own_case(offering: Offering, case_id: int) -> CaseStudy:
    case = db.session.get(CaseStudy, case_id)
    if case is None or case.offering_id != offering.id:
        abort(404)
    return case


def _back(offering: Offering):
    return redirect(url_for("offerings.detail", offering_id=offering.id) + "#case-studies")


@bp.route("/<int:offering_id>/cases/new", methods=["GET", "POST"])
@login_required
def case_new(offering_id: int):
    offering = get_own_offering(offering_id)
    form = _case_form()
    if form.validate_on_submit():
        token = form.submit_token.data
        if duplicate_of(CaseStudy, token, offering.org_id) is None:
            try:
                services.add_case_study(offering, current_user, form_data(form, CASE_FORM_FIELDS), token)
                db.session.commit()
            except IntegrityError:  # a double-clicked submit: the first one was saved
                db.session.rollback()
            else:
                flash(_("Case study added."), "success")
        return _back(offering)
    return render_template("offerings/case_form.html", form=form, offering=offering, case=None)


@bp.route("/<int:offering_id>/cases/<int:case_id>/edit", methods=["GET", "POST"])
@login_required
def case_edit(offering_id: int, case_id: int):
    offering = get_own_offering(offering_id)
    case = get_own_case(offering, case_id)
    form = _case_form(obj=case)
    if form.validate_on_submit():
        services.update_case_study(case, current_user, form_data(form, CASE_FORM_FIELDS))
        db.session.commit()
        flash(_("Case study saved."), "success")
        return _back(offering)
    if form.client_industry_id.data is None:
        form.client_industry_id.data = 0
    return render_template("offerings/case_form.html", form=form, offering=offering, case=case)


@bp.route("/<int:offering_id>/cases/<int:case_id>/delete", methods=["POST"])
@login_required
def case_delete(offering_id: int, case_id: int):
    offering = get_own_offering(offering_id)
    case = get_own_case(offering, case_id)
    services.remove_case_study(case, current_user)
    db.session.commit()
    flash(_("Case study removed."), "success")
    return _back(offering)
