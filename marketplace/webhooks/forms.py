"""The form for a new webhook endpoint."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DecimalField, SelectMultipleField, StringField, SubmitField
from wtforms.validators import DataRequired, Length, NumberRange

EVENT_LABELS = {
    "bid.received": _l("A bid was received on one of our demands"),
    "bid.decided": _l("The firm shortlisted, declined or awarded our bid"),
    "invitation.received": _l("A firm invited us to bid"),
    "application.decided": _l("A bureau admitted or rejected our pool application"),
    "demand.matched": _l("A new demand matches one of our offerings"),
    "offering.matched": _l("A new offering matches one of our open demands"),
}


class WebhookForm(FlaskForm):
    url = StringField(_l("Address (https://…)"), validators=[DataRequired(_l("Please enter the address.")), Length(max=500)])
    # Drawn as checkboxes by templates/webhooks/index.html.
    events = SelectMultipleField(_l("Events"), choices=list(EVENT_LABELS.items()),
                                 validators=[DataRequired(_l("Choose at least one event."))])
    min_score = DecimalField(_l("Lowest match score"), default=0.5, places=2,
                             validators=[NumberRange(min=0, max=1, message=_l("The minimum score is between 0 and 1."))],
                             description=_l("For the match events only: 0 to 1."))
    submit = SubmitField(_l("Add webhook"))
