"""Builders for stored matches (rows the match jobs would write)."""
from __future__ import annotations

from marketplace.extensions import db
from marketplace.matches.models import Match


def store_match(demand, offering, score: float, reasons=None) -> Match:
    row = Match(demand_id=demand.id, offering_id=offering.id, provider_org_id=offering.org_id, score=score,
                signals={"lexical": score}, reasons=reasons or [{"code": "test", "zh": "测试理由", "en": "test reason"}],
                model_name="test", matcher_version="test")
    db.session.add(row)
    db.session.flush()
    return row
