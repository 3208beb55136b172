"""Saving a search: its name and how often to be alerted."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, SelectField, StringField, SubmitField
from wtforms.validators import Length

FREQUENCY_CHOICES = [("daily", _l("Daily")), ("weekly", _l("Weekly")), ("off", _l("No alerts"))]


class SaveSearchForm(FlaskForm):
    target = HiddenField()
    name = StringField(_l("Name of this search"), validators=[Length(max=120)])
    frequency = SelectField(_l("Email me new results"), choices=FREQUENCY_CHOICES, default="daily")
    submit = SubmitField(_l("Save this search"))


class FrequencyForm(FlaskForm):
    frequency = SelectField(_l("Alerts"), choices=FREQUENCY_CHOICES)
    submit = SubmitField(_l("Save"))
