"""Forgotten password, email verification, and the own password an account created by someone
else must choose at first login. Routes on the auth blueprint."""
from __future__ import annotations

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from marketplace.auth import recovery, services
from marketplace.auth.forms import ConfirmForm, ForgotPasswordForm, NewPasswordForm
from marketplace.auth.views import _begin_session, bp
from marketplace.errors import fail
from marketplace.extensions import db, limiter


def _reset_account_key() -> str:
    return "reset-account:" + services.normalize_email(request.form.get("email", ""))


@bp.route("/password/forgot", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config.get("RESET_LIMIT_PER_ADDRESS", "10 per hour"), methods=["POST"])
@limiter.limit(lambda: current_app.config.get("RESET_LIMIT_PER_ACCOUNT", "3 per hour"), key_func=_reset_account_key,
               methods=["POST"])
def forgot_password():
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        recovery.request_reset(form.email.data)
        db.session.commit()
        # The same answer whether or not the address has an account.
        flash(_("If an account uses %(email)s, we have sent it a link to choose a new password. The link works once, for one hour. "
                "Check your spam folder if it does not arrive within a few minutes.", email=form.email.data), "info")
        return redirect(url_for("auth.login"))
    return render_template("auth/forgot.html", form=form)


def forgot_password_limited():
    form = ForgotPasswordForm()
    form.email.errors = [_("Too many reset requests. Please wait an hour, then try again.")]
    return render_template("auth/forgot.html", form=form), 429


@bp.route("/password/reset/<token>", methods=["GET", "POST"])
def reset_password(token: str):
    found, problem = recovery.check(token, "reset")
    if problem:
        return render_template("auth/link_problem.html", message=recovery.PROBLEMS[problem]), 410 if problem != "invalid" else 404
    form = NewPasswordForm()
    if form.validate_on_submit():
        try:
            user = recovery.reset_password(found, form.new_password.data)
        except ValueError:
            db.session.rollback()
            return render_template("auth/link_problem.html", message=recovery.PROBLEMS["used"]), 410
        _begin_session(user)
        db.session.commit()
        flash(_("Your new password is saved and you are logged in. Other devices have been logged out."), "success")
        return redirect(url_for("public.home"))
    return render_template("auth/reset.html", form=form, user=found.user)


@bp.route("/account/verify", methods=["POST"])
@login_required
def resend_verification():
    ConfirmForm()
    if current_user.email_verified_at:
        flash(_("Your email address is already confirmed."), "info")
    else:
        recovery.send_verification(current_user)
        db.session.commit()
        flash(_("We have sent a confirmation link to %(email)s.", email=current_user.email), "success")
    return redirect(url_for("auth.account"))


@bp.route("/verify/<token>", methods=["GET", "POST"])
def verify_email(token: str):
    """GET asks, POST confirms: a mail scanner opening the link does not confirm anything."""
    found, problem = recovery.check(token, "verify")
    if problem:
        return render_template("auth/link_problem.html", message=recovery.PROBLEMS[problem]), 410 if problem != "invalid" else 404
    form = ConfirmForm()
    if form.validate_on_submit():
        recovery.verify(found)
        db.session.commit()
        flash(_("Thank you: your email address is confirmed."), "success")
        return redirect(url_for("auth.account") if current_user.is_authenticated else url_for("auth.login"))
    return render_template("auth/verify.html", form=form, user=found.user)


# ---------------------------------------------------------------- first login

ALLOWED_BEFORE_OWN_PASSWORD = {"auth.first_password", "auth.logout", "static", "public.set_language"}


@bp.before_app_request
def require_own_password():
    if not (current_user and current_user.is_authenticated and current_user.must_set_password):
        return None
    if request.endpoint in ALLOWED_BEFORE_OWN_PASSWORD:
        return None
    if request.method == "GET":
        return redirect(url_for("auth.first_password"))
    fail(403, _("Please choose your own password first."))


@bp.route("/account/first-password", methods=["GET", "POST"])
@login_required
def first_password():
    if not current_user.must_set_password:
        return redirect(url_for("public.home"))
    form = NewPasswordForm()
    if form.validate_on_submit():
        try:
            recovery.set_own_password(current_user, form.new_password.data)
        except services.AccountError as error:
            form.new_password.errors.append(error.message)
        else:
            _begin_session(current_user._get_current_object())
            db.session.commit()
            flash(_("Your password is saved. Welcome!"), "success")
            return redirect(url_for("public.home"))
    return render_template("auth/first_password.html", form=form)
