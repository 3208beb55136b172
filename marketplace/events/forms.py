"""Forms of the events area: the event with its sessions, registration, requests, answers,
schedule edits, check-in and feedback."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (BooleanField, DateField, FieldList, Form, FormField, HiddenField, IntegerField, RadioField,
                     SelectField, SelectMultipleField, StringField, SubmitField, TextAreaField, TimeField)
from wtforms.validators import DataRequired, Length, NumberRange, Optional, ValidationError

from marketplace.demands.forms import parsed

SESSION_ROWS = 4
DATE = {"type": "date"}


class SessionRowForm(Form):
    name = StringField(_l("Session"), validators=[Optional(), Length(max=100)])
    starts_at = TimeField(_l("Starts"), validators=[Optional()])
    ends_at = TimeField(_l("Ends"), validators=[Optional()])
    slot_minutes = IntegerField(_l("Minutes per meeting"), default=20,
                                validators=[Optional(), parsed, NumberRange(min=5, max=240, message=_l("Between 5 and 240."))])

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        if (self.name.data or "").strip() and (self.starts_at.data is None or self.ends_at.data is None):
            self.ends_at.errors = list(self.ends_at.errors) + [str(_l("Give the session’s start and end times."))]
            valid = False
        return valid


class EventForm(FlaskForm):
    title = StringField(_l("Title"), validators=[DataRequired(_l("Please enter the event’s title.")), Length(max=200)],
                        description=_l("e.g. 潍坊动力装备产业链AI供需对接会"))
    description = TextAreaField(_l("Programme and purpose"), validators=[Length(max=10000)], render_kw={"rows": 4})
    city_id = SelectField(_l("City"), coerce=int, validators=[DataRequired(_l("Please choose a city."))])
    venue = StringField(_l("Venue"), validators=[Length(max=200)])
    online = BooleanField(_l("Held online"))
    event_date = DateField(_l("Date of the event"), validators=[DataRequired(_l("Please give the date."))], render_kw=DATE)
    registration_closes_on = DateField(_l("Registration closes on"), validators=[Optional()], render_kw=DATE)
    booking_opens_on = DateField(_l("Meeting booking opens on"), validators=[Optional()], render_kw=DATE)
    booking_closes_on = DateField(_l("Meeting booking closes on"), validators=[Optional()], render_kw=DATE)
    needs_approval = BooleanField(_l("Registrations need my approval"))
    tables = IntegerField(_l("Tables for meetings"), default=10,
                          validators=[DataRequired(_l("How many tables?")), parsed, NumberRange(min=1, max=500, message=_l("Between 1 and 500."))])
    scheduling = RadioField(_l("Scheduling"), default="auto", choices=[
        ("auto", _l("I schedule accepted meetings automatically")),
        ("pick", _l("Participants pick a free slot when they accept"))])
    chain_ids = SelectMultipleField(_l("Industrial chains"), coerce=int, validators=[Optional()])
    industry_ids = SelectMultipleField(_l("Industries"), coerce=int, validators=[Optional()])
    scenario_ids = SelectMultipleField(_l("Scenarios"), coerce=int, validators=[Optional()])
    demand_list_id = SelectField(_l("Demand list released at the event"), coerce=int, validators=[Optional()])
    sessions = FieldList(FormField(SessionRowForm), min_entries=SESSION_ROWS, max_entries=SESSION_ROWS)
    version = HiddenField()
    create_token = HiddenField()
    submit = SubmitField(_l("Save"))

    def validate_booking_closes_on(self, field) -> None:
        if field.data and self.booking_opens_on.data and field.data < self.booking_opens_on.data:
            raise ValidationError(_l("Booking cannot close before it opens."))

    def session_rows(self) -> list[dict]:
        return [{"name": row.form.name.data.strip(), "starts_at": row.form.starts_at.data,
                 "ends_at": row.form.ends_at.data, "slot_minutes": row.form.slot_minutes.data or 20}
                for row in self.sessions if (row.form.name.data or "").strip()]

    def data_dict(self) -> dict:
        return {name: getattr(self, name).data for name in (
            "title", "description", "city_id", "venue", "online", "event_date", "registration_closes_on",
            "booking_opens_on", "booking_closes_on", "needs_approval", "tables", "scheduling", "chain_ids",
            "industry_ids", "scenario_ids", "demand_list_id")}


class RegistrationForm(FlaskForm):
    session_ids = SelectMultipleField(_l("Sessions you attend"), coerce=int,
                                      validators=[DataRequired(_l("Choose at least one session you will attend."))])
    demand_ids = SelectMultipleField(_l("Demands you bring"), coerce=int, validators=[Optional()],
                                     description=_l("The matcher suggests providers for these."))
    offering_ids = SelectMultipleField(_l("Offerings you bring"), coerce=int, validators=[Optional()],
                                       description=_l("The matcher suggests firms whose demands they fit."))
    note = TextAreaField(_l("What you seek or offer, in a few words"), validators=[Length(max=1000)], render_kw={"rows": 3})
    submit = SubmitField(_l("Register"))


class DecisionForm(FlaskForm):
    reason = TextAreaField(_l("Reason (required to refuse)"), validators=[Length(max=2000)], render_kw={"rows": 2})
    approve = SubmitField(_l("Approve"))
    reject = SubmitField(_l("Refuse"))


class MeetingRequestForm(FlaskForm):
    to_id = HiddenField(validators=[DataRequired()])
    note = TextAreaField(_l("A short note"), validators=[Length(max=1000)], render_kw={"rows": 2},
                         description=_l("What you would like to talk about."))
    submit = SubmitField(_l("Request a meeting"))


class AnswerForm(FlaskForm):
    version = HiddenField()
    slot_id = SelectField(_l("Time slot"), coerce=int, validators=[Optional()])
    accept = SubmitField(_l("Accept"))
    decline = SubmitField(_l("Decline"))


class MoveForm(FlaskForm):
    version = HiddenField()
    slot_id = SelectField(_l("Slot"), coerce=int)
    table_no = IntegerField(_l("Table"), validators=[DataRequired(), parsed, NumberRange(min=1, max=500)])
    submit = SubmitField(_l("Move and lock"))


class CancelForm(FlaskForm):
    reason = TextAreaField(_l("Why is it cancelled?"), validators=[DataRequired(_l("Say why; participants are told.")),
                                                                   Length(max=2000)], render_kw={"rows": 2})
    submit = SubmitField(_l("Cancel the event"))


class CheckinForm(FlaskForm):
    code = StringField(_l("Check-in code or QR link"), validators=[DataRequired(_l("Scan or type the code.")), Length(max=300)])
    submit = SubmitField(_l("Check in"))


class FeedbackForm(FlaskForm):
    rating = RadioField(_l("How useful was the meeting?"), coerce=int, choices=[(n, str(n)) for n in range(1, 6)],
                        validators=[DataRequired(_l("Choose a rating from 1 to 5."))])
    follow_up = BooleanField(_l("We will follow up (a bid, a visit, a trial)"))
    comment = TextAreaField(_l("Comment"), validators=[Length(max=2000)], render_kw={"rows": 2})
    submit = SubmitField(_l("Save feedback"))
