"""Organisation profile writes. Flush, never commit."""
from __future__ import annotations

import hashlib
import json

from marketplace.audit.services import record
from marketplace.extensions import db
from marketplace.orgs.models import Organisation
from marketplace.taxonomy.services import by_ids

PROFILE_FIELDS = ("intro", "capabilities", "certifications", "contact_name", "contact_phone", "contact_email", "website")


def fingerprint(org: Organisation) -> str:
    """A short hash of the saved profile. Organisations have no version column, so the form
    carries this instead and a stale edit (someone saved meanwhile) is noticed."""
    state = [getattr(org, name) or "" for name in PROFILE_FIELDS] + [sorted(t.id for t in org.service_cities)]
    return hashlib.sha256(json.dumps(state, ensure_ascii=False).encode()).hexdigest()[:20]


def update_profile(org: Organisation, user, data: dict) -> list[str]:
    """Apply the profile fields in `data`; return the names of those that changed (audited)."""
    changed = []
    for name in PROFILE_FIELDS:
        value = (data.get(name) or "").strip()
        if getattr(org, name) != value:
            setattr(org, name, value)
            changed.append(name)
    cities = by_ids(data.get("service_city_ids") or [])
    if sorted(t.id for t in cities) != sorted(t.id for t in org.service_cities):
        org.service_cities = cities
        changed.append("service_cities")
    if changed:
        db.session.flush()
        record("org.profile_updated", org, actor=user, fields=changed)
    return changed
