"""Forms of the voucher area: schemes, applications, decisions, acceptance and claims."""
from __future__ import annotations

from decimal import Decimal

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (BooleanField, DateField, DecimalField, HiddenField, IntegerField, MultipleFileField, SelectField,
                     SelectMultipleField, StringField, SubmitField, TextAreaField)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, ValidationError

from marketplace.applications import files
from marketplace.applications.forms import checked_pdfs
from marketplace.offerings.formkit import TermsField
from marketplace.vouchers.eligibility import SIZE_LABELS
from marketplace.vouchers.models import CLAIM_DOCUMENTS, FIRM_SIZES

DOCUMENT_LABELS = {
    "acceptance": _l("Acceptance report"),
    "invoice": _l("Invoice"),
    "payment_proof": _l("Proof of payment"),
    "contract": _l("Signed contract"),
}
MONEY = dict(places=2, validators=[InputRequired(_l("Please enter an amount.")),
                                   NumberRange(min=Decimal("0.01"), message=_l("Enter an amount above zero."))])
PDF_ATTRS = {"accept": "application/pdf,.pdf", "data-max-total": files.MAX_TOTAL_BYTES, "data-max-files": files.MAX_FILES,
             "data-too-large": files.TOO_LARGE_TOGETHER}


class SchemeForm(FlaskForm):
    version = HiddenField()
    name = StringField(_l("Scheme name"), validators=[DataRequired(_l("Please give the scheme a name.")), Length(max=200)])
    voucher_type_id = SelectField(_l("Voucher type"), coerce=int, validators=[DataRequired(_l("Choose the voucher type."))])
    city_id = SelectField(_l("City"), coerce=int, validators=[Optional()],
                          description=_l("Firms registered in this city may apply; leave empty for the whole province."))
    description = TextAreaField(_l("What the scheme funds"), render_kw={"rows": 4}, validators=[Length(max=5000)])
    industry_ids = TermsField(_l("Eligible industries"), kind="industry", description=_l("None chosen: every industry."))
    chain_ids = TermsField(_l("Eligible chains"), kind="chain", size=4, description=_l("None chosen: every chain."))
    firm_sizes = SelectMultipleField(_l("Eligible firm sizes"), choices=[(s, SIZE_LABELS[s]) for s in FIRM_SIZES],
                                     validators=[Optional()], description=_l("None chosen: every size."))
    pool_ids = SelectMultipleField(_l("Providers must be admitted members of"), coerce=int, validators=[Optional()],
                                   description=_l("None chosen: any provider may deliver."))
    share_percent = DecimalField(_l("Share of the amount paid covered (%)"), places=2, validators=[
        InputRequired(_l("Please enter the share.")), NumberRange(min=Decimal("0.01"), max=Decimal("100"), message=_l("Between 0.01 and 100."))])
    cap = DecimalField(_l("Cap per voucher (万元)"), **MONEY)
    budget = DecimalField(_l("Total budget (万元)"), **MONEY)
    opens_on = DateField(_l("Applications open on"), validators=[Optional()])
    closes_on = DateField(_l("Applications close on"), validators=[Optional()])
    validity_days = IntegerField(_l("Valid for (days after issue)"), default=180, validators=[
        InputRequired(_l("Please enter how long a voucher stays valid.")), NumberRange(min=1, max=1100, message=_l("Between 1 and 1100 days."))])
    allow_before_award = BooleanField(_l("Firms may apply for a demand before the award"))
    required_documents = SelectMultipleField(_l("Documents a claim needs"), choices=[(k, DOCUMENT_LABELS[k]) for k in CLAIM_DOCUMENTS],
                                             validators=[Optional()])
    submit = SubmitField(_l("Save scheme"))

    def validate_closes_on(self, field):
        if field.data and self.opens_on.data and field.data < self.opens_on.data:
            raise ValidationError(_l("The closing date is before the opening date."))

    def validate_cap(self, field):
        if field.data is not None and self.budget.data is not None and field.data > self.budget.data:
            raise ValidationError(_l("The cap per voucher cannot exceed the total budget."))


class ApplyForm(FlaskForm):
    scheme_id = HiddenField(validators=[DataRequired()])
    bid_id = HiddenField()
    demand_id = HiddenField()
    note = TextAreaField(_l("Note for the bureau (optional)"), render_kw={"rows": 3}, validators=[Length(max=2000)])
    submit = SubmitField(_l("Apply for this voucher"))


class DecisionForm(FlaskForm):
    version = HiddenField()
    reason = TextAreaField(_l("Reason (required to reject)"), render_kw={"rows": 2}, validators=[Length(max=2000)])
    approve = SubmitField(_l("Approve and issue"))
    reject = SubmitField(_l("Reject"))


class BatchForm(FlaskForm):
    reason = TextAreaField(_l("Reason (required to reject)"), render_kw={"rows": 2}, validators=[Length(max=2000)])
    approve = SubmitField(_l("Approve the chosen applications"))
    reject = SubmitField(_l("Reject the chosen applications"))


class VersionForm(FlaskForm):
    version = HiddenField()
    submit = SubmitField(_l("Confirm"))


class AcceptanceForm(FlaskForm):
    version = HiddenField()
    report = TextAreaField(_l("Acceptance report"), render_kw={"rows": 5},
                           validators=[DataRequired(_l("Please describe what was delivered and accepted.")), Length(max=5000)],
                           description=_l("What was delivered, when it was tested and what it achieved."))
    acceptance = MultipleFileField(_l("Signed acceptance report (PDF)"), validators=[checked_pdfs], render_kw=PDF_ATTRS)
    submit = SubmitField(_l("Confirm acceptance"))


class ClaimForm(FlaskForm):
    version = HiddenField()
    invoice_number = StringField(_l("Invoice number"), validators=[DataRequired(_l("Please enter the invoice number.")), Length(max=60)])
    amount_paid = DecimalField(_l("Amount actually paid by the firm (万元)"), **MONEY)
    amount_claimed = DecimalField(_l("Amount claimed (万元, optional)"), places=2, validators=[
        Optional(), NumberRange(min=Decimal("0.01"), message=_l("Enter an amount above zero."))],
        description=_l("Empty: the most the voucher covers for this payment."))
    invoice = MultipleFileField(DOCUMENT_LABELS["invoice"], validators=[checked_pdfs], render_kw=PDF_ATTRS)
    payment_proof = MultipleFileField(DOCUMENT_LABELS["payment_proof"], validators=[checked_pdfs], render_kw=PDF_ATTRS)
    contract = MultipleFileField(DOCUMENT_LABELS["contract"], validators=[checked_pdfs], render_kw=PDF_ATTRS)
    submit = SubmitField(_l("File the claim"))

    def uploads(self) -> dict[str, list]:
        return {kind: getattr(getattr(self, kind), "uploads", []) for kind in CLAIM_DOCUMENTS}


class ReviewClaimForm(FlaskForm):
    version = HiddenField()
    payment_reference = StringField(_l("Payment reference (optional)"), validators=[Length(max=80)])
    reason = TextAreaField(_l("What must be corrected (required to return)"), render_kw={"rows": 2}, validators=[Length(max=2000)])
    pay = SubmitField(_l("Approve and record the payout"))
    send_back = SubmitField(_l("Return to the provider"))
