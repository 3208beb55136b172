"""/api/v1/offerings writes: a provider creates, edits, publishes and unpublishes offerings and adds case studies."""
from __future__ import annotations

from typing import Optional

from flask import request, url_for
from flask_login import current_user
from pydantic import Field

from marketplace.api import http, schemas, serializers
from marketplace.api.formdata import check, service_error, term_id, to_multidict
from marketplace.api.guard import endpoint
from marketplace.api.problems import invalid
from marketplace.api.spec import responses, spec
from marketplace.api.views import v1
from marketplace.extensions import db
from marketplace.offerings import services
from marketplace.offerings.formkit import fill_term_choices
from marketplace.offerings.forms import OfferingForm
from marketplace.offerings.views import FORM_FIELDS, form_data, get_own_offering, provider_org_or_403
from marketplace.offerings.case_views import CASE_FORM_FIELDS, _case_form

TAG = "offerings"
# API field (a list of codes) → (form field, taxonomy kind)
TERM_LISTS = {"scenarios": ("scenario_ids", "scenario"), "industries": ("industry_ids", "industry"),
              "chains": ("chain_ids", "chain"), "stages": ("stage_ids", "stage"),
              "deployments": ("deployment_ids", "deployment"), "vouchers": ("voucher_ids", "voucher")}
FIELD_NAMES = {form_name: api_name for api_name, (form_name, _kind) in TERM_LISTS.items()}
Codes = Optional[list[str]]


class OfferingFields(schemas.Strict):
    title: Optional[str] = Field(None, max_length=200)
    summary: Optional[str] = Field(None, max_length=300)
    description: Optional[str] = Field(None, max_length=10000)
    capabilities: Optional[str] = Field(None, max_length=5000)
    scenarios: Codes = Field(None, max_length=schemas.MAX_LIST)
    industries: Codes = Field(None, max_length=schemas.MAX_LIST)
    chains: Codes = Field(None, max_length=schemas.MAX_LIST)
    stages: Codes = Field(None, max_length=schemas.MAX_LIST)
    deployments: Codes = Field(None, max_length=schemas.MAX_LIST)
    vouchers: Codes = Field(None, max_length=schemas.MAX_LIST)
    price_min: schemas.Amount = Field(None, description="万元")
    price_max: schemas.Amount = Field(None, description="万元")


class OfferingCreate(OfferingFields):
    title: str = Field(max_length=200)
    description: str = Field(max_length=10000)
    scenarios: list[str] = Field(max_length=schemas.MAX_LIST)


class CaseStudyCreate(schemas.Strict):
    title: str = Field(max_length=200)
    client_name: str = Field("", max_length=200)
    client_industry: Optional[str] = Field(None, max_length=40)
    problem: str = Field(max_length=5000)
    result: str = Field(max_length=5000)
    year: Optional[int] = Field(None, ge=-(2**31), le=2**31 - 1)


def _form(body: dict, offering=None) -> OfferingForm:
    values: dict = {}
    if offering is not None:
        values = {name: getattr(offering, name) for name in services.TEXT_FIELDS}
        values.update({form_name: [t.id for t in getattr(offering, services.TERM_FIELDS[form_name])]
                       for form_name, _kind in TERM_LISTS.values()})
    errors: list = []
    for name in services.TEXT_FIELDS:
        if name in body:
            values[name] = body[name]
    for api_name, (form_name, kind) in TERM_LISTS.items():
        if body.get(api_name) is not None:
            values[form_name] = [term_id(kind, code, api_name, errors) for code in body[api_name]]
    if errors:
        invalid(errors)
    form = OfferingForm(formdata=to_multidict(values), meta={"csrf": False})
    fill_term_choices(form)
    check(form, FIELD_NAMES)
    return form


@v1.route("/offerings", methods=["POST"])
@endpoint("offerings")
@spec.validate(json=OfferingCreate, resp=responses(HTTP_201=schemas.Offering), tags=[TAG])
def offering_create():
    """Create an offering as a draft (providers). Send an Idempotency-Key to make retries safe."""
    org = provider_org_or_403()
    replayed = http.replay()
    if replayed is not None:
        return replayed
    form = _form(request.context.json.model_dump(exclude_unset=True))
    offering = services.create_offering(org, current_user, form_data(form, FORM_FIELDS))
    location = url_for("api.v1.offering_detail", offering_id=offering.id)
    http.remember(serializers.offering(offering), 201, location)
    db.session.commit()
    return http.with_etag(serializers.offering(offering), offering, 201, {"Location": location})


@v1.route("/offerings/<int:offering_id>", methods=["PATCH"])
@endpoint("offerings")
@spec.validate(json=OfferingFields, resp=responses(HTTP_200=schemas.Offering), tags=[TAG])
def offering_update(offering_id: int):
    """Change some fields of your offering. Requires If-Match (412 if stale)."""
    offering = get_own_offering(offering_id)
    http.check_if_match(offering, required=True)
    form = _form(request.context.json.model_dump(exclude_unset=True), offering)
    services.update_offering(offering, current_user, form_data(form, FORM_FIELDS))
    db.session.commit()
    return http.with_etag(serializers.offering(offering), offering)


def _status_change(offering_id: int, action):
    offering = get_own_offering(offering_id)
    http.check_if_match(offering)
    try:
        action(offering, current_user)
    except services.OfferingError as error:
        service_error(error)
    db.session.commit()
    return http.with_etag(serializers.offering(offering), offering)


@v1.route("/offerings/<int:offering_id>/publish", methods=["POST"])
@endpoint("offerings")
@spec.validate(json=schemas.Empty, resp=responses(HTTP_200=schemas.Offering), tags=[TAG])
def offering_publish(offering_id: int):
    """Publish your offering: firms can find it and the matcher ranks it."""
    return _status_change(offering_id, services.publish)


@v1.route("/offerings/<int:offering_id>/unpublish", methods=["POST"])
@endpoint("offerings")
@spec.validate(json=schemas.Empty, resp=responses(HTTP_200=schemas.Offering), tags=[TAG])
def offering_unpublish(offering_id: int):
    """Hide your published offering from firms."""
    return _status_change(offering_id, services.unpublish)


@v1.route("/offerings/<int:offering_id>/case-studies", methods=["POST"])
@endpoint("offerings")
@spec.validate(json=CaseStudyCreate, resp=responses(HTTP_201=schemas.Offering), tags=[TAG])
def case_study_create(offering_id: int):
    """Add a case study to your offering; the answer is the offering with its case studies."""
    offering = get_own_offering(offering_id)
    body = request.context.json.model_dump(exclude_unset=True)
    errors: list = []
    values = {k: v for k, v in body.items() if k != "client_industry"}
    values["client_industry_id"] = term_id("industry", body.get("client_industry"), "client_industry", errors)
    if errors:
        invalid(errors)
    form = _case_form(formdata=to_multidict(values), meta={"csrf": False})
    check(form, {"client_industry_id": "client_industry"})
    services.add_case_study(offering, current_user, form_data(form, CASE_FORM_FIELDS))
    db.session.commit()
    db.session.refresh(offering)
    return http.with_etag(serializers.offering(offering), offering, 201)
