"""Forms for demands, demand lists and list imports."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import BooleanField, DateField, DecimalField, HiddenField, SelectField, SelectMultipleField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional, StopValidation, ValidationError

from marketplace.once import OnceField

MAX_AMOUNT = Decimal("1000000")  # 万元: 100 亿元 is beyond any single retrofit


def attach_error(form, error) -> None:
    """Show a service's error (with .message and optional .field) beside its field, or above the form."""
    if error.field and hasattr(form, error.field):
        getattr(form, error.field).errors.append(error.message)
    else:
        form.form_errors.append(error.message)


def is_stale(form, obj, message) -> bool:
    """Whether the form was filled in on an out-of-date page. If so, the form keeps what was typed, says why,
    and carries the current version, so saving again is a deliberate overwrite."""
    if form.version.data == str(obj.version):
        return False
    form.form_errors.append(message)
    form.version.data = obj.version
    return True


def parsed(form, field) -> None:
    """Stop here when the number could not be read: the field already says so, and a range message would repeat it."""
    if field.data is None:
        raise StopValidation()


def amount_field(label):
    return DecimalField(
        label, places=2, validators=[Optional(), parsed, NumberRange(min=0, max=MAX_AMOUNT, message=_l("Enter an amount between 0 and 1,000,000 (万元)."))],
        description=_l("In 万元 (10,000 CNY)."),
    )


class DemandForm(FlaskForm):
    title = StringField(_l("Title"), validators=[DataRequired(_l("Please enter a title.")), Length(max=200)],
                        description=_l("One line that says what you need, e.g. 铸件表面缺陷在线检测."))
    description = TextAreaField(_l("Description"), validators=[DataRequired(_l("Please describe the need.")), Length(max=10000)],
                                description=_l("The problem today, the process, data you have, and what a good result looks like."),
                                render_kw={"rows": 6})
    industry_id = SelectField(_l("Industry"), coerce=int, validators=[DataRequired(_l("Please choose an industry."))])
    chain_id = SelectField(_l("Industrial chain"), coerce=int, validators=[Optional()])
    stage_id = SelectField(_l("Process stage"), coerce=int, validators=[Optional()])
    scenario_ids = SelectMultipleField(_l("Scenarios"), coerce=int, validators=[Optional()],
                                       description=_l("Hold Ctrl (or ⌘) to choose several."))
    city_id = SelectField(_l("City"), coerce=int, validators=[DataRequired(_l("Please choose a city."))])
    budget_min = amount_field(_l("Budget from"))
    budget_max = amount_field(_l("Budget up to"))
    deadline = DateField(_l("Deadline for bids"), validators=[Optional()], render_kw={"type": "date"})
    voucher_ids = SelectMultipleField(_l("Vouchers you plan to use"), coerce=int, validators=[Optional()])
    visibility = SelectField(_l("Who can see it"), choices=[("public", _l("Everyone")), ("pool", _l("Members of one provider pool only"))])
    pool_id = SelectField(_l("Pool"), coerce=int, validators=[Optional()],
                          description=_l("Required when only pool members may see the demand."))
    list_id = SelectField(_l("Demand list"), coerce=int, validators=[Optional()])
    version = HiddenField()
    # "1" once the form has shown the scenarios suggested from the text (demands/suggestions.py)
    terms_reviewed = HiddenField()
    nonce = OnceField()
    submit = SubmitField(_l("Save draft"))
    publish = SubmitField(_l("Save and publish"))

    def validate_budget_max(self, field) -> None:
        if field.data is not None and self.budget_min.data is not None and field.data < self.budget_min.data:
            raise ValidationError(_l("The upper budget must not be lower than the lower budget."))

    def validate_deadline(self, field) -> None:
        if field.data is not None and field.data < date.today():
            raise ValidationError(_l("The deadline must not be in the past."))

    def validate_pool_id(self, field) -> None:
        if self.visibility.data == "pool" and not field.data:
            raise ValidationError(_l("Choose the pool whose members may see this demand."))


class ReasonForm(FlaskForm):
    reason = TextAreaField(_l("Reason"), validators=[DataRequired(_l("Please give a reason.")), Length(max=2000)], render_kw={"rows": 3})
    submit = SubmitField(_l("Confirm"))


class DemandListForm(FlaskForm):
    title = StringField(_l("Title"), validators=[DataRequired(_l("Please enter a title.")), Length(max=200)])
    description = TextAreaField(_l("Description"), validators=[Length(max=5000)], render_kw={"rows": 3})
    chain_id = SelectField(_l("Industrial chain"), coerce=int, validators=[Optional()])
    city_id = SelectField(_l("City"), coerce=int, validators=[Optional()])
    nonce = OnceField()
    submit = SubmitField(_l("Save"))


class AddToListForm(FlaskForm):
    demand_id = SelectField(_l("Demand"), coerce=int, validators=[DataRequired(_l("Please choose a demand."))])
    submit = SubmitField(_l("Add to list"))


class ImportForm(FlaskForm):
    file = FileField(_l("Excel or CSV file"), description=_l(".xlsx or .csv (UTF-8 or GBK), up to 5,000 rows and 5 MB."))
    submit = SubmitField(_l("Check the file"))

    def validate_file(self, field) -> None:
        if not field.data or not getattr(field.data, "filename", ""):
            raise ValidationError(_l("Please choose a file."))


class ImportConfirmForm(FlaskForm):
    publish = BooleanField(_l("Publish the imported demands now (otherwise they are saved as drafts)"), default=True)
    submit = SubmitField(_l("Import the valid rows"))
