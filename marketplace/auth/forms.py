"""Registration, login, password and member forms."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, PasswordField, RadioField, SelectField, StringField, SubmitField
from wtforms.validators import DataRequired, Email, EqualTo, Length, Optional, ValidationError

from marketplace.auth import passwords
from marketplace.orgs import credit_code


def password_policy(form, field) -> None:
    value = field.data or ""
    if len(value) < passwords.MIN_LENGTH:
        raise ValidationError(_l("Use at least %(n)d characters.", n=passwords.MIN_LENGTH))
    if len(value) > passwords.MAX_LENGTH:
        raise ValidationError(_l("Use at most %(n)d characters.", n=passwords.MAX_LENGTH))
    if passwords.is_common(value):
        raise ValidationError(_l("This password is too common and easy to guess. Please choose another."))


def valid_credit_code(form, field) -> None:
    field.data = credit_code.normalize(field.data)
    if not credit_code.is_valid(field.data):
        raise ValidationError(
            _l("This is not a valid unified social credit code (18 characters, check digit per GB 32100-2015).")
        )


class RegistrationForm(FlaskForm):
    org_kind = RadioField(
        _l("We are"),
        choices=[("manufacturer", _l("A manufacturer looking for AI solutions")),
                 ("provider", _l("An AI solution provider"))],
        validators=[DataRequired(_l("Please choose one."))],
    )
    org_name = StringField(_l("Organisation name"), validators=[DataRequired(_l("Please enter the organisation name.")), Length(max=200)])
    credit_code = StringField(_l("Unified social credit code"), validators=[DataRequired(_l("Please enter the unified social credit code.")), valid_credit_code],
                              description=_l("18 characters, as printed on the business licence."))
    city_id = SelectField(_l("City"), coerce=int, validators=[Optional()],
                          description=_l("Leave empty if your organisation is based outside Shandong."))
    industry_id = SelectField(_l("Industry"), coerce=int, validators=[Optional()])
    size = SelectField(_l("Company size"), choices=[("small", _l("Small")), ("micro", _l("Micro")), ("medium", _l("Medium")), ("large", _l("Large"))])
    name = StringField(_l("Your name"), validators=[DataRequired(_l("Please enter your name.")), Length(max=80)])
    email = EmailField(_l("Email"), validators=[DataRequired(_l("Please enter your email address.")), Email(_l("Please enter a valid email address.")), Length(max=254)])
    password = PasswordField(_l("Password"), validators=[DataRequired(_l("Please choose a password.")), password_policy],
                             description=_l("At least 8 characters. A long phrase is easier to remember and harder to guess."))
    confirm = PasswordField(_l("Repeat password"), validators=[DataRequired(_l("Please repeat the password.")), EqualTo("password", _l("The two passwords do not match."))])
    submit = SubmitField(_l("Register"))


class LoginForm(FlaskForm):
    email = EmailField(_l("Email"), validators=[DataRequired(_l("Please enter your email address.")), Length(max=254)])
    password = PasswordField(_l("Password"), validators=[DataRequired(_l("Please enter your password.")), Length(max=passwords.MAX_LENGTH)])
    remember = BooleanField(_l("Keep me logged in on this device"))
    submit = SubmitField(_l("Log in"))


class PasswordChangeForm(FlaskForm):
    current_password = PasswordField(_l("Current password"), validators=[DataRequired(_l("Please enter your current password."))])
    new_password = PasswordField(_l("New password"), validators=[DataRequired(_l("Please choose a new password.")), password_policy])
    confirm = PasswordField(_l("Repeat new password"), validators=[DataRequired(_l("Please repeat the new password.")), EqualTo("new_password", _l("The two passwords do not match."))])
    submit = SubmitField(_l("Change password"))


class MemberForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(_l("Please enter a name.")), Length(max=80)])
    email = EmailField(_l("Email"), validators=[DataRequired(_l("Please enter an email address.")), Email(_l("Please enter a valid email address.")), Length(max=254)])
    password = PasswordField(_l("Initial password"), validators=[DataRequired(_l("Please set an initial password.")), password_policy],
                             description=_l("Give it to your colleague; they can change it after logging in."))
    org_role = SelectField(_l("Role"), choices=[("member", _l("Member")), ("owner", _l("Owner"))])
    submit = SubmitField(_l("Add member"))


class RoleForm(FlaskForm):
    org_role = SelectField(_l("Role"), choices=[("member", _l("Member")), ("owner", _l("Owner"))])
    submit = SubmitField(_l("Save"))


class ConfirmForm(FlaskForm):
    """An empty form: just the CSRF token, for buttons that change state."""

    submit = SubmitField(_l("Confirm"))


class ForgotPasswordForm(FlaskForm):
    email = EmailField(_l("Email"), filters=[lambda value: value.strip() if value else value], validators=[DataRequired(_l("Please enter your email address.")),
                                                Email(_l("Please enter a valid email address.")), Length(max=254)])
    submit = SubmitField(_l("Send me a reset link"))


class NewPasswordForm(FlaskForm):
    """Choosing a password without the current one: from a reset link, or at first login."""

    new_password = PasswordField(_l("New password"), validators=[DataRequired(_l("Please choose a new password.")), password_policy],
                                 description=_l("At least 8 characters. A long phrase is easier to remember and harder to guess."))
    confirm = PasswordField(_l("Repeat new password"), validators=[DataRequired(_l("Please repeat the new password.")), EqualTo("new_password", _l("The two passwords do not match."))])
    submit = SubmitField(_l("Save the new password"))
