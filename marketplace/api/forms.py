"""The form for a new personal access token."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectMultipleField, StringField, SubmitField
from wtforms.validators import DataRequired, Length

from marketplace.api.tokens import SCOPE_LABELS


class TokenForm(FlaskForm):
    name = StringField(_l("Token name"), validators=[DataRequired(_l("Please name the token.")), Length(max=80)],
                       description=_l("What the token is for, e.g. CRM sync."))
    # Drawn as a list of checkboxes by templates/api/tokens.html.
    scopes = SelectMultipleField(_l("Scopes"), choices=list(SCOPE_LABELS.items()),
                                 validators=[DataRequired(_l("Choose at least one scope."))])
    submit = SubmitField(_l("Create token"))
