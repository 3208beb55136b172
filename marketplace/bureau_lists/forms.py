"""Forms for chain demand lists published by a bureau on behalf of its firms."""
from __future__ import annotations

from datetime import date

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, HiddenField, SelectField, SelectMultipleField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from marketplace.demands.forms import amount_field


class ChainListForm(FlaskForm):
    title = StringField(_l("Title"), validators=[DataRequired(_l("Please enter a title.")), Length(max=200)],
                        description=_l("e.g. 潍坊市动力装备产业链AI应用需求清单"))
    chain_id = SelectField(_l("Industrial chain"), coerce=int, validators=[DataRequired(_l("Please choose the chain."))])
    city_id = SelectField(_l("City"), coerce=int, validators=[DataRequired(_l("Please choose a city."))])
    description = TextAreaField(_l("Description"), validators=[Length(max=5000)], render_kw={"rows": 3})
    nonce = HiddenField()
    submit = SubmitField(_l("Save"))


class ListedDemandForm(FlaskForm):
    firm_id = SelectField(_l("Firm"), coerce=int, validators=[Optional()],
                          description=_l("The firm whose need this is. If it has not registered yet, leave it unassigned: "
                                         "the firm can claim the demand after registering."))
    title = StringField(_l("Title"), validators=[DataRequired(_l("Please enter a title.")), Length(max=200)])
    description = TextAreaField(_l("Description"), validators=[DataRequired(_l("Please describe the need.")), Length(max=10000)],
                                render_kw={"rows": 5})
    industry_id = SelectField(_l("Industry"), coerce=int, validators=[DataRequired(_l("Please choose an industry."))])
    stage_id = SelectField(_l("Process stage"), coerce=int, validators=[Optional()])
    scenario_ids = SelectMultipleField(_l("Scenarios"), coerce=int, validators=[Optional()],
                                       description=_l("Hold Ctrl (or ⌘) to choose several."))
    budget_min = amount_field(_l("Budget from"))
    budget_max = amount_field(_l("Budget up to"))
    deadline = DateField(_l("Deadline for bids"), validators=[Optional()], render_kw={"type": "date"})
    version = HiddenField()
    nonce = HiddenField()
    submit = SubmitField(_l("Save"))

    def validate_budget_max(self, field) -> None:
        if field.data is not None and self.budget_min.data is not None and field.data < self.budget_min.data:
            raise ValidationError(_l("The upper budget must not be lower than the lower budget."))

    def validate_deadline(self, field) -> None:
        if field.data is not None and field.data < date.today():
            raise ValidationError(_l("The deadline must not be in the past."))
