"""Forms for bids, decisions on bids, invitations and reviews."""
from __future__ import annotations

from decimal import Decimal

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DecimalField, HiddenField, IntegerField, RadioField, SelectField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, StopValidation

from marketplace.demands.forms import parsed


class BidForm(FlaskForm):
    offering_id = SelectField(_l("Offering"), coerce=int, validators=[Optional()],
                              description=_l("The published offering this bid is based on."))
    price = DecimalField(_l("Price"), places=2,
                         validators=[InputRequired(_l("Please enter your price.")), parsed,
                                     NumberRange(min=0, max=Decimal("1000000"), message=_l("Enter an amount between 0 and 1,000,000 (万元)."))],
                         description=_l("In 万元 (10,000 CNY)."))
    duration_days = IntegerField(_l("Duration (days)"),
                                 validators=[InputRequired(_l("Please enter how many days the work takes.")), parsed,
                                             NumberRange(min=1, max=3650, message=_l("Enter a number of days between 1 and 3650."))])
    approach = TextAreaField(_l("Approach"), validators=[DataRequired(_l("Please describe how you would solve it.")), Length(max=10000)],
                             description=_l("How you would solve it: method, hardware, data needed, milestones, what you need from the firm."),
                             render_kw={"rows": 7})
    version = HiddenField()
    submit = SubmitField(_l("Submit bid"))


class DeclineForm(FlaskForm):
    reason = TextAreaField(_l("Reason for declining"), validators=[DataRequired(_l("Please give a reason.")), Length(max=2000)],
                           description=_l("The provider sees this reason."), render_kw={"rows": 3})
    submit = SubmitField(_l("Decline bid"))


class InviteForm(FlaskForm):
    provider_org_id = HiddenField(validators=[DataRequired()])
    offering_id = HiddenField()
    message = TextAreaField(_l("Message"), validators=[Length(max=2000)], render_kw={"rows": 2})
    submit = SubmitField(_l("Invite to bid"))


def rating_in_range(form, field) -> None:
    if field.data not in range(1, 6):
        raise StopValidation(_l("Please choose a rating from 1 to 5."))


class ReviewForm(FlaskForm):
    # A plain RadioField (so the shared render_field macro draws it as radio buttons) that checks the range itself.
    rating = RadioField(_l("Rating"), coerce=int, choices=[(5, "★★★★★"), (4, "★★★★"), (3, "★★★"), (2, "★★"), (1, "★")],
                        validate_choice=False,
                        validators=[InputRequired(_l("Please choose a rating from 1 to 5.")), rating_in_range])
    comment = TextAreaField(_l("Comment"), validators=[DataRequired(_l("Please say a few words about the work.")), Length(max=5000)],
                            description=_l("Shown on the provider's public page."), render_kw={"rows": 4})
    submit = SubmitField(_l("Publish review"))
