"""Forms for running a pool: the pool itself, scoring, decisions, members, the notice."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (BooleanField, DateField, DecimalField, FieldList, Form, FormField, HiddenField, IntegerField,
                     MultipleFileField, RadioField, SelectField, SelectMultipleField, StringField, SubmitField, TextAreaField)
from wtforms.validators import DataRequired, Length, NumberRange, Optional, ValidationError

from marketplace.applications import files as pdf_files
from marketplace.applications.forms import checked_pdfs
from marketplace.demands.forms import parsed
from marketplace.once import OnceField

RUBRIC_ROWS = 8
DATE = {"type": "date"}


class RubricRowForm(Form):
    name = StringField(_l("Item"), validators=[Optional(), Length(max=200)])
    max_points = IntegerField(_l("Max points"), validators=[Optional(), parsed, NumberRange(min=1, max=1000, message=_l("Between 1 and 1000."))])

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        if self.name.data and self.name.data.strip() and self.max_points.data is None and not self.max_points.errors:
            self.max_points.errors = list(self.max_points.errors) + [str(_l("Give the item’s maximum points."))]
            valid = False
        if self.max_points.data is not None and not (self.name.data or "").strip():
            self.name.errors = list(self.name.errors) + [str(_l("Name the item, or clear its points."))]
            valid = False
        return valid


class PoolForm(FlaskForm):
    name = StringField(_l("Pool name"), validators=[DataRequired(_l("Please enter the pool’s name.")), Length(max=200)],
                       description=_l("e.g. 淄博市化工行业人工智能服务商资源池"))
    city_id = SelectField(_l("City"), coerce=int, validators=[DataRequired(_l("Please choose a city."))])
    description = TextAreaField(_l("Description"), validators=[Length(max=10000)], render_kw={"rows": 4})
    industry_ids = SelectMultipleField(_l("Industries covered"), coerce=int, validators=[Optional()],
                                       description=_l("Hold Ctrl (or ⌘) to choose several."))
    scenario_ids = SelectMultipleField(_l("Scenarios covered"), coerce=int, validators=[Optional()],
                                       description=_l("Hold Ctrl (or ⌘) to choose several."))
    criteria = TextAreaField(_l("Admission criteria"), validators=[Length(max=10000)], render_kw={"rows": 4},
                             description=_l("What an applicant must meet, e.g. registered capital, cases in the industry."))
    opens_on = DateField(_l("Applications open on"), validators=[Optional()], render_kw=DATE)
    closes_on = DateField(_l("Applications close on"), validators=[Optional()], render_kw=DATE)
    quota = IntegerField(_l("Quota (members admitted)"), validators=[Optional(), parsed, NumberRange(min=1, max=10000, message=_l("Between 1 and 10000."))],
                         description=_l("Leave empty for no limit."))
    recheck_months = IntegerField(_l("Re-check members every (months)"),
                                  validators=[Optional(), parsed, NumberRange(min=1, max=60, message=_l("Between 1 and 60."))])
    score_rule = SelectField(_l("Expert panel total"), default="mean",
                             choices=[("mean", _l("Mean of the reviewers’ sheets")),
                                      ("trimmed", _l("Trimmed mean: drop the highest and the lowest sheet (3 or more reviewers)"))],
                             description=_l("How an application’s total is made from its reviewers’ score sheets."))
    rubric = FieldList(FormField(RubricRowForm), min_entries=RUBRIC_ROWS, max_entries=RUBRIC_ROWS)
    version = HiddenField()
    nonce = OnceField()
    submit = SubmitField(_l("Save"))

    def validate_closes_on(self, field) -> None:
        if field.data and self.opens_on.data and field.data < self.opens_on.data:
            raise ValidationError(_l("The closing date must not be before the opening date."))

    def rubric_rows(self) -> list[tuple[str, int]]:
        return [(row.form.name.data.strip(), row.form.max_points.data) for row in self.rubric
                if row.form.name.data and row.form.name.data.strip()]


def score_form_class(items):
    """A form with a points and a comment field for each rubric item (points_<id>, comment_<id>)."""

    class ScoreForm(FlaskForm):
        version = HiddenField()
        submit = SubmitField(_l("Save scores"))

    for item in items:
        setattr(ScoreForm, f"points_{item.id}", DecimalField(
            _l("Points"), places=1,
            validators=[Optional(), parsed, NumberRange(min=0, max=item.max_points,
                                                message=_l("Between 0 and %(max)d.", max=item.max_points))],
            render_kw={"min": 0, "max": item.max_points, "step": "0.5", "inputmode": "decimal"}))
        setattr(ScoreForm, f"comment_{item.id}", TextAreaField(_l("Comment"), validators=[Length(max=2000)], render_kw={"rows": 2}))
    return ScoreForm


class DecisionForm(FlaskForm):
    decision = SelectField(_l("Decision"), choices=[("admit", _l("Admit")), ("reject", _l("Reject"))],
                           validators=[DataRequired()])
    reason = TextAreaField(_l("Reason"), validators=[Length(max=2000)], render_kw={"rows": 3},
                           description=_l("Required for a rejection; the provider sees it."))
    batch = StringField(_l("Batch"), validators=[Length(max=80)], description=_l("e.g. 首批入库"))
    version = HiddenField()
    submit = SubmitField(_l("Record decision"))

    def validate_reason(self, field) -> None:
        if self.decision.data == "reject" and not (field.data or "").strip():
            raise ValidationError(_l("Please give the reason for the rejection."))


class BatchAdmitForm(FlaskForm):
    batch = StringField(_l("Batch name"), validators=[DataRequired(_l("Please name the batch.")), Length(max=80)],
                        default="首批入库")
    submit = SubmitField(_l("Admit the selected applications"))


class MemberActionForm(FlaskForm):
    action = SelectField(_l("Action"), choices=[("suspend", _l("Suspend")), ("remove", _l("Remove from the pool")), ("reinstate", _l("Reinstate"))])
    reason = TextAreaField(_l("Reason"), validators=[Length(max=2000)], render_kw={"rows": 2})
    version = HiddenField()
    submit = SubmitField(_l("Carry out"))

    def validate_reason(self, field) -> None:
        if self.action.data in ("suspend", "remove") and not (field.data or "").strip():
            raise ValidationError(_l("Please give the reason."))


class RecheckForm(FlaskForm):
    passed = BooleanField(_l("The member still meets the criteria"), default=True)
    note = TextAreaField(_l("Note"), validators=[Length(max=2000)], render_kw={"rows": 2})
    version = HiddenField()
    submit = SubmitField(_l("Record the re-check"))

    def validate_note(self, field) -> None:
        if not self.passed.data and not (field.data or "").strip():
            raise ValidationError(_l("Please say why the member no longer meets the criteria."))


class AppealAnswerForm(FlaskForm):
    outcome = SelectField(_l("Answer"), choices=[("reopen", _l("Reopen the application for review")),
                                                  ("uphold", _l("Uphold the rejection"))])
    reason = TextAreaField(_l("Reason"), validators=[DataRequired(_l("Please give a reason.")), Length(max=2000)],
                           render_kw={"rows": 3})
    version = HiddenField()
    submit = SubmitField(_l("Answer the appeal"))


class AssignReviewersForm(FlaskForm):
    reviewer_ids = SelectMultipleField(_l("Reviewers"), coerce=int,
                                       validators=[DataRequired(_l("Choose at least one reviewer."))],
                                       description=_l("Users of your bureau. Each declares any conflict of interest before scoring."))
    submit = SubmitField(_l("Assign to the panel"))


class CoiForm(FlaskForm):
    coi = RadioField(_l("Conflict of interest"), validators=[DataRequired(_l("Please choose one."))],
                     choices=[("none", _l("I have no conflict of interest with this applicant")),
                              ("conflict", _l("I have a conflict of interest and withdraw from this review"))])
    coi_note = TextAreaField(_l("Describe the conflict"), validators=[Length(max=2000)], render_kw={"rows": 2},
                             description=_l("Required when you declare a conflict; the bureau sees it."))
    submit = SubmitField(_l("Declare"))

    def validate_coi_note(self, field) -> None:
        if self.coi.data == "conflict" and not (field.data or "").strip():
            raise ValidationError(_l("Please describe the conflict of interest."))


class NoticeForm(FlaskForm):
    notice_text = TextAreaField(_l("Notice text"), validators=[DataRequired(_l("Please write the notice.")), Length(max=10000)],
                                render_kw={"rows": 6})
    notice_starts_on = DateField(_l("Notice period from"), validators=[DataRequired(_l("Please give the first day."))], render_kw=DATE)
    notice_ends_on = DateField(_l("Notice period until"), validators=[DataRequired(_l("Please give the last day."))], render_kw=DATE)
    batch = StringField(_l("Batch"), validators=[Length(max=80)], description=_l("e.g. 首批入库; empty: the listed members’ batch"))
    version = HiddenField()
    submit = SubmitField(_l("Publish the notice"))

    def validate_notice_ends_on(self, field) -> None:
        if field.data and self.notice_starts_on.data and field.data < self.notice_starts_on.data:
            raise ValidationError(_l("The last day must not be before the first day."))


class ObjectionForm(FlaskForm):
    application_id = SelectField(_l("Objection against"), coerce=int,
                                 validators=[DataRequired(_l("Choose a provider listed in this notice."))])
    reasons = TextAreaField(_l("Reasons"), render_kw={"rows": 6},
                            validators=[DataRequired(_l("Please give the reasons for the objection.")), Length(max=10000)],
                            description=_l("Facts the bureau can check: what is wrong, since when, who can confirm it."))
    attachments = MultipleFileField(
        _l("Evidence (PDF, optional)"), validators=[checked_pdfs],
        render_kw={"accept": "application/pdf,.pdf", "data-max-total": pdf_files.MAX_TOTAL_BYTES,
                   "data-max-files": pdf_files.MAX_FILES, "data-too-large": pdf_files.TOO_LARGE_TOGETHER,
                   "data-too-many": _l("Attach at most %(n)d files.", n=pdf_files.MAX_FILES)},
        description=_l("Up to 5 PDF files, 10 MB in total. Choose them again if the form shows an error."))
    nonce = OnceField()
    submit = SubmitField(_l("Lodge the objection"))


class ObjectionAnswerForm(FlaskForm):
    outcome = RadioField(_l("Answer"), validators=[DataRequired(_l("Choose an answer."))],
                         choices=[("dismissed", _l("Dismiss: the provider stays in the batch")),
                                  ("sustained", _l("Sustain: take the provider out of the batch and review it again"))])
    reply = TextAreaField(_l("Reply to the objector"), validators=[DataRequired(_l("Please write the reply to the objector.")),
                                                                  Length(max=10000)], render_kw={"rows": 4})
    submit = SubmitField(_l("Answer the objection"))
