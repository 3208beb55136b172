"""The form for a new personal access token."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectMultipleField, StringField, SubmitField, widgets
from wtforms.validators import DataRequired, Length

from marketplace.api.tokens import SCOPE_LABELS


class TokenForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(_l("Please name the token.")), Length(max=80)],
                       description=_l("What the token is for, e.g. CRM sync."))
    scopes = SelectMultipleField(_l("Scopes"), choices=list(SCOPE_LABELS.items()),
                                 validators=[DataRequired(_l("Choose at least one scope."))],
                                 widget=widgets.ListWidget(prefix_label=False), option_widget=widgets.CheckboxInput())
    submit = SubmitField(_l("Create token"))
