"""Offering rules and writes: create, edit, publish, case studies. Flush, never commit."""
from __future__ import annotations

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from marketplace.audit.services import record
from marketplace.db import utc_now
from marketplace.extensions import db
from marketplace.offerings.models import CaseStudy, Offering
from marketplace.taxonomy.services import by_ids

# The matcher (marketplace.matches) re-embeds changed offerings when the request commits.
TERM_FIELDS = {
    "scenario_ids": "scenarios",
    "industry_ids": "industries",
    "chain_ids": "chains",
    "stage_ids": "stages",
    "deployment_ids": "deployments",
    "voucher_ids": "vouchers",
}
TEXT_FIELDS = ("title", "summary", "description", "capabilities", "price_min", "price_max")
CASE_FIELDS = ("title", "client_name", "problem", "result", "year")


class OfferingError(ValueError):
    def __init__(self, message, field: str | None = None):
        super().__init__(str(message))
        self.message = message
        self.field = field


def _apply(offering: Offering, data: dict) -> None:
    for name in TEXT_FIELDS:
        if name in data:
            value = data[name]
            setattr(offering, name, value if name.startswith("price") else (value or "").strip())
    for field, relation in TERM_FIELDS.items():
        if field in data:
            setattr(offering, relation, by_ids(data[field] or []))


def find_by_token(model, token: str | None):
    if not token:
        return None
    return db.session.scalar(sa.select(model).where(model.submit_token == token))


def create_offering(org, user, data: dict, submit_token: str | None = None) -> Offering:
    offering = Offering(org_id=org.id, status="draft", submit_token=submit_token or None)
    _apply(offering, data)
    db.session.add(offering)
    db.session.flush()
    record("offering.created", offering, actor=user, title=offering.title)
    return offering


def update_offering(offering: Offering, user, data: dict) -> list[str]:
    before = {name: getattr(offering, name) for name in TEXT_FIELDS}
    before_terms = {rel: sorted(t.id for t in getattr(offering, rel)) for rel in TERM_FIELDS.values()}
    _apply(offering, data)
    changed = [n for n in TEXT_FIELDS if getattr(offering, n) != before[n]]
    changed += [r for r in TERM_FIELDS.values() if sorted(t.id for t in getattr(offering, r)) != before_terms[r]]
    if changed:
        offering.updated_at = utc_now()  # bumps the version even when only terms changed
        db.session.flush()
        record("offering.updated", offering, actor=user, fields=changed)
    return changed


def publish(offering: Offering, user) -> None:
    if offering.status == "published":
        raise OfferingError(_l("This offering is already published."))
    if not offering.scenarios or not (offering.description or "").strip():
        raise OfferingError(_l("Add a description and at least one scenario before publishing."))
    previous = offering.status
    offering.status = "published"
    offering.published_at = offering.published_at or utc_now()
    db.session.flush()
    record("offering.published", offering, actor=user, previous=previous)


def unpublish(offering: Offering, user) -> None:
    if offering.status != "published":
        raise OfferingError(_l("Only a published offering can be unpublished."))
    offering.status = "unpublished"
    db.session.flush()
    record("offering.unpublished", offering, actor=user)


def delete_draft(offering: Offering, user) -> None:
    """A draft that was never published is deleted outright; anything else is unpublished instead."""
    if offering.status != "draft" or offering.published_at is not None:
        raise OfferingError(_l("Only a draft that was never published can be deleted. Unpublish this offering instead."))
    record("offering.deleted", offering, actor=user, title=offering.title)
    db.session.delete(offering)
    db.session.flush()


def _apply_case(case: CaseStudy, data: dict) -> None:
    for name in CASE_FIELDS:
        if name in data:
            value = data[name]
            setattr(case, name, value if name == "year" else (value or "").strip())
    case.client_industry_id = data.get("client_industry_id") or None


def add_case_study(offering: Offering, user, data: dict, submit_token: str | None = None) -> CaseStudy:
    case = CaseStudy(offering_id=offering.id, submit_token=submit_token or None)
    _apply_case(case, data)
    db.session.add(case)
    db.session.flush()
    record("case_study.added", case, actor=user, offering_id=offering.id, title=case.title)
    return case


def update_case_study(case: CaseStudy, user, data: dict) -> None:
    _apply_case(case, data)
    db.session.flush()
    record("case_study.updated", case, actor=user, offering_id=case.offering_id)


def remove_case_study(case: CaseStudy, user) -> None:
    offering = case.offering
    record("case_study.removed", case, actor=user, offering_id=offering.id, title=case.title)
    offering.case_studies.remove(case)
    db.session.flush()
