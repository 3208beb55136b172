"""The message form (text and files) and the upload form for proposals and demand files."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import MultipleFileField, SubmitField, TextAreaField
from wtforms.validators import Length


class MessageForm(FlaskForm):
    body = TextAreaField(_l("Your message"), validators=[Length(max=5000)])
    files = MultipleFileField(_l("Attachments"), description=_l("PDF, PNG or JPEG, up to 10 MB each, at most 5 files."))
    submit = SubmitField(_l("Send"))


class UploadForm(FlaskForm):
    files = MultipleFileField(_l("Files"))
    submit = SubmitField(_l("Upload"))
