"""Application, withdrawal and appeal forms."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, MultipleFileField, SelectMultipleField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length, ValidationError

from marketplace.applications import files


def checked_pdfs(form, field) -> None:
    """Read every chosen file, keep the good ones in `field.uploads`, refuse the rest by name."""
    chosen = [f for f in (field.data or []) if getattr(f, "filename", "")]
    if len(chosen) > files.MAX_FILES:
        raise ValidationError(_l("Attach at most %(n)d files.", n=files.MAX_FILES))
    field.uploads, problems = [], []
    for storage in chosen:
        upload, problem = files.read_upload(storage)
        if problem:
            problems.append(problem)
        else:
            field.uploads.append(upload)
    if problems:
        raise ValidationError(" ".join(str(p) for p in problems))
    if sum(len(upload.data) for upload in field.uploads) > files.MAX_TOTAL_BYTES:
        field.uploads = []
        raise ValidationError(files.TOO_LARGE_TOGETHER)


class ApplicationForm(FlaskForm):
    offering_ids = SelectMultipleField(
        _l("Offerings you apply with"), coerce=int,
        validators=[DataRequired(_l("Choose at least one of your published offerings."))],
        description=_l("Only published offerings can be chosen."),
    )
    statement = TextAreaField(
        _l("Statement"), render_kw={"rows": 8},
        validators=[DataRequired(_l("Please write a statement.")), Length(min=20, max=5000, message=_l("Write between %(min)d and %(max)d characters."))],
        description=_l("Why your company fits this pool: relevant projects, team, service capacity in the city."),
    )
    attachments = MultipleFileField(
        _l("Attachments (PDF, optional)"), validators=[checked_pdfs],
        # app.js refuses too many or too big files before sending, so the typed statement is never lost to a 413.
        render_kw={"accept": "application/pdf,.pdf", "data-max-total": files.MAX_TOTAL_BYTES, "data-max-files": files.MAX_FILES,
                   "data-too-large": files.TOO_LARGE_TOGETHER, "data-too-many": _l("Attach at most %(n)d files.", n=files.MAX_FILES)},
        description=_l("Up to 5 PDF files, 10 MB in total: qualifications, certificates, case reports. Choose them again if the form shows an error."),
    )
    submit = SubmitField(_l("Submit application"))


class VersionForm(FlaskForm):
    """A state change on an application: just CSRF and the version the user saw."""

    version = HiddenField()
    submit = SubmitField(_l("Withdraw application"))


class AppealForm(FlaskForm):
    text = TextAreaField(_l("Why should the decision be reviewed?"), render_kw={"rows": 4},
                         validators=[DataRequired(_l("Please explain why the decision should be reviewed.")), Length(max=5000)])
    submit = SubmitField(_l("Send appeal"))
