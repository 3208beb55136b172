"""Rows → the JSON shapes in schemas.py. Only what the caller may see is passed in; these only shape it."""
from __future__ import annotations

from datetime import datetime

from marketplace.i18n import is_english


def money(value) -> str | None:
    return None if value is None else f"{value:.2f}"


def when(value):
    """Dates as YYYY-MM-DD; timestamps (stored naive UTC) as RFC 3339 with Z."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.replace(microsecond=0).isoformat() + "Z"
    return value.isoformat()


def term(t) -> dict | None:
    if t is None:
        return None
    return {"code": t.code, "label": t.label_en if is_english() else t.label_zh, "label_zh": t.label_zh, "label_en": t.label_en}


def terms(items) -> list[dict]:
    return [term(t) for t in items]


def org(o) -> dict:
    return {"id": o.id, "name": o.name, "kind": o.kind}


def demand(d) -> dict:
    return {
        "id": d.id, "title": d.title, "description": d.description, "status": d.status, "visibility": d.visibility,
        "org": org(d.org), "industry": term(d.industry), "chain": term(d.chain), "stage": term(d.stage), "city": term(d.city),
        "scenarios": terms(d.scenarios), "vouchers": terms(d.vouchers),
        "budget_min": money(d.budget_min), "budget_max": money(d.budget_max), "deadline": when(d.deadline),
        "pool_id": d.pool_id, "list_id": d.list_id, "cancel_reason": d.cancel_reason or None,
        "published_at": when(d.published_at), "updated_at": when(d.updated_at), "version": d.version, "is_demo": d.is_demo,
    }


def case_study(c) -> dict:
    return {"id": c.id, "title": c.title, "client_name": c.client_name, "client_industry": term(c.client_industry),
            "problem": c.problem, "result": c.result, "year": c.year}


def offering(o) -> dict:
    return {
        "id": o.id, "title": o.title, "summary": o.summary, "description": o.description, "capabilities": o.capabilities,
        "status": o.status, "org": org(o.org), "industries": terms(o.industries), "chains": terms(o.chains),
        "stages": terms(o.stages), "scenarios": terms(o.scenarios), "vouchers": terms(o.vouchers),
        "deployments": terms(o.deployments), "price_min": money(o.price_min), "price_max": money(o.price_max),
        "case_studies": [case_study(c) for c in o.case_studies], "published_at": when(o.published_at),
        "version": o.version, "is_demo": o.is_demo,
    }


def bid(b) -> dict:
    return {
        "id": b.id, "demand_id": b.demand_id, "demand_title": b.demand.title, "provider": org(b.provider),
        "offering_id": b.offering_id, "price": money(b.price), "duration_days": b.duration_days, "approach": b.approach,
        "status": b.status, "decline_reason": b.decline_reason or None, "created_at": when(b.created_at),
        "updated_at": when(b.updated_at), "version": b.version,
    }


def pool(p) -> dict:
    return {
        "id": p.id, "name": p.name, "status": p.status, "bureau": org(p.bureau), "city": term(p.city),
        "description": p.description, "criteria": p.criteria, "industries": terms(p.industries),
        "scenarios": terms(p.scenarios), "opens_on": when(p.opens_on), "closes_on": when(p.closes_on),
        "quota": p.quota, "version": p.version,
    }


def application(a) -> dict:
    return {
        "id": a.id, "pool_id": a.pool_id, "pool_name": a.pool.name, "provider": org(a.provider), "statement": a.statement,
        "status": a.status, "total_score": money(a.total_score), "decision_reason": a.decision_reason or None,
        "batch": a.batch or None, "offering_ids": [o.id for o in a.offerings], "submitted_at": when(a.submitted_at),
        "decided_at": when(a.decided_at), "version": a.version,
    }


def notification(n) -> dict:
    from marketplace.notifications.messages import render

    return {"id": n.id, "kind": n.kind, "text": render(n.kind, n.params), "link": n.link, "read": n.read_at is not None,
            "created_at": when(n.created_at)}


def match(item) -> dict:
    obj = item.obj
    is_demand = obj.__tablename__ == "demand"
    return {"score": round(float(item.score), 4), "percent": item.percent, "reasons": item.reason_texts(),
            "demand_id": obj.id if is_demand else None, "offering_id": None if is_demand else obj.id,
            "title": obj.title, "org": org(obj.org)}
