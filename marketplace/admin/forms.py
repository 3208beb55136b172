"""Forms of the platform operator's pages."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, RadioField, SelectField, StringField, SubmitField
from wtforms.validators import DataRequired, Email, Length, Optional, ValidationError

from marketplace.auth.forms import password_policy


class StaffUserForm(FlaskForm):
    """A bureau officer or a platform admin: they cannot register themselves."""

    kind = RadioField(_l("Account type"), choices=[("bureau", _l("Bureau officer")), ("admin", _l("Platform admin"))],
                      default="bureau", validators=[DataRequired()])
    bureau_id = SelectField(_l("Existing bureau"), coerce=int, validators=[Optional()])
    new_bureau_name = StringField(_l("…or a new bureau"), validators=[Optional(), Length(max=200)],
                                  description=_l("e.g. 淄博市工业和信息化局"))
    city_id = SelectField(_l("City of the new bureau"), coerce=int, validators=[Optional()])
    name = StringField(_l("Name"), validators=[DataRequired(_l("Please enter a name.")), Length(max=80)])
    email = EmailField(_l("Email"), validators=[DataRequired(_l("Please enter an email address.")),
                                                Email(_l("Please enter a valid email address.")), Length(max=254)])
    password = PasswordField(_l("Initial password"), validators=[DataRequired(_l("Please set an initial password.")), password_policy])
    submit = SubmitField(_l("Create account"))

    def validate_new_bureau_name(self, field) -> None:
        if self.kind.data != "bureau":
            return
        if not self.bureau_id.data and not (field.data or "").strip():
            raise ValidationError(_l("Choose an existing bureau or name a new one."))

    def validate_city_id(self, field) -> None:
        if self.kind.data == "bureau" and not self.bureau_id.data and self.new_bureau_name.data and not field.data:
            raise ValidationError(_l("A new bureau needs its city."))
