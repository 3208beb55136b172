"""Registration, login, logout, password change and organisation members."""
from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user
from sqlalchemy.exc import IntegrityError

from marketplace.auth import services, throttle
from marketplace.auth.forms import ConfirmForm, LoginForm, MemberForm, PasswordChangeForm, RegistrationForm, RoleForm
from marketplace.auth.models import User
from marketplace.errors import render_error
from marketplace.extensions import db
from marketplace.taxonomy.services import NONE, term_choices
from marketplace.urls import safe_next

bp = Blueprint("auth", __name__)


def _begin_session(user: User, remember: bool = False) -> None:
    """A fresh session on login: nothing from before (including the CSRF token) survives."""
    locale = session.get("locale")
    session.clear()
    if locale:
        session["locale"] = locale
    services.start_session(user, request.remote_addr or "", request.user_agent.string or "")
    login_user(user, remember=remember)


@bp.route("/register", methods=["GET", "POST"])
def register():
    if current_user.is_authenticated:
        return redirect(url_for("public.home"))
    form = RegistrationForm()
    form.city_id.choices = term_choices("city", blank=NONE)
    form.industry_id.choices = term_choices("industry", blank=NONE)
    if form.validate_on_submit():
        try:
            user = services.register_organisation(
                kind=form.org_kind.data, org_name=form.org_name.data, credit_code=form.credit_code.data,
                city_id=form.city_id.data, industry_id=form.industry_id.data, size=form.size.data,
                name=form.name.data, email=form.email.data, password=form.password.data,
            )
            kind = user.org.kind
            db.session.commit()
        except services.AccountError as error:
            getattr(form, error.field).errors.append(error.message)
        except IntegrityError:  # the same email or credit code registered at the same moment
            db.session.rollback()
            error = services.explain_duplicate_registration(form.email.data, form.credit_code.data)
            getattr(form, error.field).errors.append(error.message)
        else:
            from marketplace.auth.recovery import send_verification

            send_verification(user)
            _begin_session(user)
            db.session.commit()
            return redirect(_first_steps(kind))
    return render_template("auth/register.html", form=form)


def _first_steps(kind: str) -> str:
    """Where a newly registered organisation starts: its profile or its demands, not the home page."""
    if kind == "provider":
        flash(_("Welcome! Your organisation is registered. Complete your company profile, then describe your offerings."), "success")
        return url_for("orgs.profile")
    if kind == "manufacturer":
        flash(_("Welcome! Your organisation is registered. Post your first demand to see matching AI providers."), "success")
        return url_for("demands.mine")
    flash(_("Welcome! Your organisation is registered."), "success")
    return url_for("public.home")


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("public.home"))
    form = LoginForm()
    if form.validate_on_submit():
        email, address = services.normalize_email(form.email.data), request.remote_addr or ""
        verdict = throttle.admit(email, address)  # counted before the password is checked
        if verdict is throttle.Verdict.REFUSE:
            abort(429)
        if verdict is throttle.Verdict.SLOW:
            throttle.slow_down()
        user = services.authenticate(form.email.data, form.password.data)
        if user is None:
            form.password.errors.append(_("The email or password is not correct."))
        else:
            throttle.succeeded(email, address)
            _begin_session(user, remember=form.remember.data)
            db.session.commit()
            flash(_("You are logged in."), "success")
            return redirect(safe_next(request.args.get("next")) or url_for("public.home"))
    return render_template("auth/login.html", form=form)


@bp.errorhandler(429)
def too_many_attempts(error):
    """Locked out of the login form: say so beside the password and keep the email, not a bare error page."""
    if request.endpoint == "auth.forgot_password":
        from marketplace.auth.recovery_views import forgot_password_limited

        return forgot_password_limited()
    if request.endpoint != "auth.login":
        return render_error(429)
    form = LoginForm()
    form.password.errors = [_("Too many failed attempts. Please wait a few minutes, then try again.")]
    return render_template("auth/login.html", form=form), 429


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    ConfirmForm()  # CSRF is checked globally; the form only documents the intent
    services.end_session(current_user)
    db.session.commit()
    logout_user()
    locale = session.get("locale")
    session.clear()
    if locale:
        session["locale"] = locale
    flash(_("You are logged out."), "info")
    return redirect(url_for("public.home"))


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def change_password():
    form = PasswordChangeForm()
    if form.validate_on_submit():
        try:
            services.change_password(current_user, form.current_password.data, form.new_password.data)
        except services.AccountError as error:
            getattr(form, error.field).errors.append(error.message)
        else:
            user = current_user._get_current_object()
            _begin_session(user)  # every other session ended; this one continues afresh
            db.session.commit()
            flash(_("Your password has been changed. Other devices have been logged out."), "success")
            return redirect(url_for("auth.account"))
    return render_template("auth/password.html", form=form)


@bp.route("/account")
@login_required
def account():
    return render_template("auth/account.html", confirm_form=ConfirmForm())


def _require_owner() -> None:
    if current_user.org is None or not current_user.is_owner:
        abort(403)


def _member_or_404(user_id: int) -> User:
    member = db.session.get(User, user_id)
    if member is None or member.org_id != current_user.org_id:
        abort(404)
    return member


@bp.route("/account/members", methods=["GET", "POST"])
@login_required
def members():
    if current_user.org is None:
        abort(403)
    form = MemberForm()
    if form.validate_on_submit():
        _require_owner()
        try:
            services.add_member(current_user, name=form.name.data, email=form.email.data,
                                password=form.password.data, org_role=form.org_role.data)
            db.session.commit()
        except services.AccountError as error:
            getattr(form, error.field).errors.append(error.message)
        except IntegrityError:  # the same email added (or registered) at the same moment
            db.session.rollback()
            form.email.errors.append(services.EMAIL_TAKEN)
        else:
            flash(_("Member added."), "success")
            return redirect(url_for("auth.members"))
    people = db.session.scalars(sa.select(User).where(User.org_id == current_user.org_id).order_by(User.id)).all()
    return render_template("auth/members.html", form=form, people=people, role_form=RoleForm(), confirm_form=ConfirmForm())


@bp.route("/account/members/<int:user_id>/role", methods=["POST"])
@login_required
def member_role(user_id: int):
    _require_owner()
    member = _member_or_404(user_id)
    form = RoleForm()
    if form.validate_on_submit():
        try:
            services.set_member_role(current_user, member, form.org_role.data)
        except services.AccountError as error:
            flash(str(error.message), "danger")
        else:
            db.session.commit()
            flash(_("Role updated."), "success")
    return redirect(url_for("auth.members"))


@bp.route("/account/members/<int:user_id>/deactivate", methods=["POST"])
@login_required
def member_deactivate(user_id: int):
    _require_owner()
    member = _member_or_404(user_id)
    name = member.name  # read before the commit expires it
    try:
        services.deactivate_member(current_user, member)
    except services.AccountError as error:
        flash(str(error.message), "danger")
    else:
        db.session.commit()
        flash(_("%(name)s can no longer log in.", name=name), "success")
    return redirect(url_for("auth.members"))


from marketplace.auth import recovery_views  # noqa: E402,F401  (routes on the same blueprint)
