"""Asking and answering a question on a demand."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length


class QuestionForm(FlaskForm):
    body = TextAreaField(_l("Your question"), validators=[DataRequired(_l("Please write your question.")), Length(max=2000)],
                         description=_l("The firm sees which provider asked. If it answers publicly, others see the answer but not who asked."))
    submit = SubmitField(_l("Ask the firm"))


class AnswerForm(FlaskForm):
    answer = TextAreaField(_l("Answer"), validators=[DataRequired(_l("Please write the answer.")), Length(max=4000)])
    public = BooleanField(_l("Publish as a clarification for every bidder (the asker stays anonymous)"), default=True)
    submit = SubmitField(_l("Send the answer"))
