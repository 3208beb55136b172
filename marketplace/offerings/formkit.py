"""Form pieces shared by the provider's forms (offerings, case studies, profile, applications)."""
from __future__ import annotations

import secrets

from flask_babel import lazy_gettext as _l
from wtforms import HiddenField, SelectMultipleField
from wtforms.validators import ValidationError

from marketplace.taxonomy.services import by_ids, term_choices


class TermsField(SelectMultipleField):
    """Several taxonomy terms of one kind, chosen from a list (ids)."""

    def __init__(self, label=None, validators=None, kind: str = "", size: int = 6, **kwargs):
        super().__init__(label, validators, coerce=int, **kwargs)
        self.type = "SelectMultipleField"  # rendered like one by the shared macros
        self.term_kind = kind
        self.render_size = size

    def terms(self):
        return by_ids(self.data or [])


def fill_term_choices(form) -> None:
    """Give every TermsField of `form` the terms of its kind, labelled in the user's language."""
    for field in form:
        if isinstance(field, TermsField):
            field.choices = term_choices(field.term_kind)


def new_submit_token() -> str:
    return secrets.token_urlsafe(24)


class SubmitTokenField(HiddenField):
    """A one-time token issued with a blank create form; the database refuses it twice."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.type = "HiddenField"  # rendered like one by the shared macros

    def process(self, formdata, data=None, **kwargs):
        super().process(formdata, data, **kwargs)
        if not self.data:
            self.data = new_submit_token()

    def pre_validate(self, form):
        if not self.data or len(self.data) > 40:
            raise ValidationError(_l("The form has expired. Please submit it again."))


def amount_order(low_field: str, high_field: str, message):
    """Form-level check: the low amount is not above the high one (both optional)."""

    def check(form, field):
        low, high = form[low_field].data, form[high_field].data
        if low is not None and high is not None and low > high:
            raise ValidationError(message)

    return check
