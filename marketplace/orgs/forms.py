"""The organisation's profile form."""
from __future__ import annotations

import re

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, HiddenField, StringField, SubmitField, TextAreaField
from wtforms.validators import Email, Length, Optional, ValidationError

from marketplace.offerings.formkit import TermsField

PHONE = re.compile(r"^[0-9+()\-\s]{5,40}$")


def phone_number(form, field) -> None:
    if field.data and not PHONE.match(field.data.strip()):
        raise ValidationError(_l("Enter a phone number: digits, spaces, +, - and brackets only."))


def web_address(form, field) -> None:
    value = (field.data or "").strip()
    if value and not re.match(r"^https?://[^\s/$.?#][^\s]*$", value, re.IGNORECASE):
        raise ValidationError(_l("Enter a web address starting with http:// or https://."))


class ProfileForm(FlaskForm):
    intro = TextAreaField(_l("Company introduction"), validators=[Length(max=5000)], render_kw={"rows": 5},
                          description=_l("Who you are, your team, and what you have delivered."))
    capabilities = TextAreaField(_l("Capabilities"), validators=[Length(max=5000)], render_kw={"rows": 4},
                                 description=_l("Technologies, models, hardware partners, industries you know well."))
    service_city_ids = TermsField(_l("Cities served"), kind="city", size=8)
    certifications = TextAreaField(_l("Certifications"), validators=[Length(max=2000)], render_kw={"rows": 3},
                                   description=_l("E.g. ISO 9001, ISO 27001, 高新技术企业, 专精特新."))
    contact_name = StringField(_l("Contact person"), validators=[Length(max=80)])
    contact_phone = StringField(_l("Contact phone"), validators=[Length(max=40), phone_number])
    contact_email = EmailField(_l("Contact email"), validators=[Optional(), Email(_l("Please enter a valid email address.")), Length(max=254)])
    website = StringField(_l("Website"), validators=[Length(max=300), web_address])
    fingerprint = HiddenField()
    submit = SubmitField(_l("Save profile"))
