"""Offering and case-study forms."""
from __future__ import annotations

from datetime import date

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DecimalField, HiddenField, IntegerField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from marketplace.offerings.formkit import SubmitTokenField, TermsField, amount_order

PRICE_HELP = _l("In 万元 (10,000 CNY). Leave empty if you quote case by case.")


class OfferingForm(FlaskForm):
    title = StringField(_l("Title"), validators=[DataRequired(_l("Please enter a title.")), Length(max=200)])
    summary = StringField(_l("One-line summary"), validators=[Length(max=300)],
                          description=_l("Shown on cards and in search results."))
    description = TextAreaField(_l("Description"), validators=[DataRequired(_l("Please describe the offering.")), Length(max=10000)],
                                render_kw={"rows": 6})
    capabilities = TextAreaField(_l("Capabilities"), validators=[Length(max=5000)], render_kw={"rows": 3},
                                 description=_l("Techniques, models, hardware and integrations you bring."))
    scenario_ids = TermsField(_l("Scenarios"), kind="scenario", size=8,
                              validators=[DataRequired(_l("Choose at least one scenario."))])
    industry_ids = TermsField(_l("Industries"), kind="industry", size=8)
    chain_ids = TermsField(_l("Industrial chains"), kind="chain")
    stage_ids = TermsField(_l("Process stages"), kind="stage")
    deployment_ids = TermsField(_l("Deployment"), kind="deployment", size=3)
    voucher_ids = TermsField(_l("Vouchers accepted"), kind="voucher", size=4,
                             description=_l("The Shandong AI vouchers your offering is eligible for."))
    price_min = DecimalField(_l("Price from"), places=2, description=PRICE_HELP,
                             validators=[Optional(), NumberRange(min=0, max=9999999, message=_l("Enter an amount of 0 or more."))])
    price_max = DecimalField(_l("Price up to"), places=2,
                             validators=[Optional(), NumberRange(min=0, max=9999999, message=_l("Enter an amount of 0 or more.")),
                                         amount_order("price_min", "price_max",
                                                      _l("The upper price must not be below the lower price."))])
    version = HiddenField()
    submit_token = SubmitTokenField()
    submit = SubmitField(_l("Save"))


class CaseStudyForm(FlaskForm):
    title = StringField(_l("Title"), validators=[DataRequired(_l("Please enter a title.")), Length(max=200)])
    client_name = StringField(_l("Client"), validators=[Length(max=200)],
                              description=_l("May be anonymised, e.g. “a chemical plant in Zibo”."))
    client_industry_id = SelectField(_l("Client industry"), coerce=int, validators=[Optional()])
    problem = TextAreaField(_l("Problem"), validators=[DataRequired(_l("Please describe the client's problem.")), Length(max=5000)],
                            render_kw={"rows": 3})
    result = TextAreaField(_l("Result"), validators=[DataRequired(_l("Please describe the result.")), Length(max=5000)],
                           render_kw={"rows": 3}, description=_l("Measurable if possible: defect rate, hours saved, energy used."))
    year = IntegerField(_l("Year"), validators=[Optional(), NumberRange(min=1990, max=date.today().year + 1,
                                                                        message=_l("Enter a year between %(min)s and %(max)s."))])
    submit_token = SubmitTokenField()
    submit = SubmitField(_l("Save case study"))
