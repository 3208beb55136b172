"""Platform operator pages: organisations (verification), users (status), staff accounts."""
from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from marketplace.admin import services
from marketplace.admin.forms import StaffUserForm
from marketplace.auth.models import User
from marketplace.auth.services import AccountError
from marketplace.extensions import db
from marketplace.orgs.models import ORG_KINDS, Organisation
from marketplace.pagination import paginate
from marketplace.search import keyword_filter
from marketplace.taxonomy.services import NONE, term_choices

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.before_request
@login_required
def require_admin():
    if not current_user.is_admin:
        abort(403)


def _back(default_endpoint: str):
    from marketplace.urls import safe_next

    return redirect(safe_next(request.form.get("next")) or url_for(default_endpoint))


@bp.route("/orgs")
def orgs():
    query = sa.select(Organisation)
    keyword = keyword_filter(request.args.get("q"), Organisation.name, Organisation.credit_code)
    if keyword is not None:
        query = query.where(keyword)
    if request.args.get("kind") in ORG_KINDS:
        query = query.where(Organisation.kind == request.args["kind"])
    if request.args.get("verified") in ("0", "1"):
        query = query.where(Organisation.verified.is_(request.args["verified"] == "1"))
    page = paginate(query.order_by(Organisation.created_at.desc(), Organisation.id.desc()))
    return render_template("admin/orgs.html", page=page, kinds=ORG_KINDS)


@bp.route("/orgs/<int:org_id>/verify", methods=["POST"])
def verify(org_id: int):
    org = db.session.get(Organisation, org_id) or abort(404)
    verified = request.form.get("verified") == "1"
    services.set_verified(current_user, org, verified)
    db.session.commit()
    flash(_("%(org)s is now verified.", org=org.name) if verified else _("%(org)s is no longer verified.", org=org.name), "success")
    return _back("admin.orgs")


@bp.route("/users")
def users():
    query = sa.select(User).outerjoin(Organisation, User.org_id == Organisation.id)
    keyword = keyword_filter(request.args.get("q"), User.name, User.email, Organisation.name)
    if keyword is not None:
        query = query.where(keyword)
    if request.args.get("active") in ("0", "1"):
        query = query.where(User.active.is_(request.args["active"] == "1"))
    page = paginate(query.order_by(User.created_at.desc(), User.id.desc()))
    return render_template("admin/users.html", page=page)


@bp.route("/users/<int:user_id>/active", methods=["POST"])
def set_active(user_id: int):
    user = db.session.get(User, user_id) or abort(404)
    active = request.form.get("active") == "1"
    try:
        services.set_active(current_user, user, active)
    except AccountError as error:
        flash(str(error.message), "danger")
    else:
        db.session.commit()
        flash(_("%(name)s can log in again.", name=user.name) if active else _("%(name)s can no longer log in.", name=user.name), "success")
    return _back("admin.users")


@bp.route("/users/new", methods=["GET", "POST"])
def new_staff_user():
    form = StaffUserForm()
    bureaus = db.session.scalars(sa.select(Organisation).where(Organisation.kind == "bureau").order_by(Organisation.name)).all()
    form.bureau_id.choices = [(0, NONE)] + [(b.id, b.name) for b in bureaus]
    form.city_id.choices = term_choices("city", blank=NONE)
    if form.validate_on_submit():
        try:
            user = services.create_staff_user(
                current_user, kind=form.kind.data, bureau=db.session.get(Organisation, form.bureau_id.data) if form.bureau_id.data else None,
                new_bureau_name=form.new_bureau_name.data, city_id=form.city_id.data, name=form.name.data,
                email=form.email.data, password=form.password.data)
        except AccountError as error:
            getattr(form, error.field or "email").errors.append(error.message)
        else:
            db.session.commit()
            flash(_("Account created for %(email)s.", email=user.email), "success")
            return redirect(url_for("admin.users"))
    return render_template("admin/new_user.html", form=form)
