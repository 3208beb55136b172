"""Forms for chain demand lists published by a bureau on behalf of its firms."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, HiddenField, SelectField, SelectMultipleField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from marketplace.demands.forms import DemandForm, amount_field
from marketplace.once import OnceField


class ChainListForm(FlaskForm):
    title = StringField(_l("Title"), validators=[DataRequired(_l("Please enter a title.")), Length(max=200)],
                        description=_l("e.g. 潍坊市动力装备产业链AI应用需求清单"))
    chain_id = SelectField(_l("Industrial chain"), coerce=int, validators=[DataRequired(_l("Please choose the chain."))])
    city_id = SelectField(_l("City"), coerce=int, validators=[DataRequired(_l("Please choose a city."))])
    description = TextAreaField(_l("Description"), validators=[Length(max=5000)], render_kw={"rows": 3})
    nonce = OnceField()
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
    nonce = OnceField()
    submit = SubmitField(_l("Save"))

    # The same rules as a firm's own demand form.
    validate_budget_max = DemandForm.validate_budget_max
    validate_deadline = DemandForm.validate_deadline


class WithdrawForm(FlaskForm):
    reason = TextAreaField(_l("Why is it withdrawn?"), validators=[DataRequired(_l("Please give a reason.")), Length(max=2000)],
                           render_kw={"rows": 2}, description=_l("The firm and any bidders see this reason."))
    version = HiddenField()
    submit = SubmitField(_l("Withdraw from the list"))
