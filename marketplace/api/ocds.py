"""Open contracting data: awarded and closed public demands as OCDS 1.1 release packages.

Only what is public already is published: the demand as the firm posted it publicly, how many
providers bid, who won and for how much. Drafts, cancelled and pool-only demands never appear;
losing bids' prices and approaches stay private.
"""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from flask import current_app, request, url_for

from marketplace.api import schemas
from marketplace.api.cursors import page
from marketplace.api.guard import endpoint
from marketplace.api.spec import responses, spec
from marketplace.api.views import v1
from marketplace.bids.models import Bid
from marketplace.db import utc_now
from marketplace.demands.models import Demand
from marketplace.extensions import db
from marketplace.taxonomy.services import term_id_subquery

OCDS_STATUSES = ("awarded", "closed")
WAN = 10_000  # amounts are stored in 万元; OCDS values are in the currency's unit


def published_demands(city: str | None = None) -> sa.Select:
    query = sa.select(Demand).where(Demand.status.in_(OCDS_STATUSES), Demand.visibility == "public")
    if city:
        query = query.where(Demand.city_id == term_id_subquery("city", city))
    return query.order_by(Demand.id)


def _iso(value: datetime | None) -> str | None:
    return value.replace(microsecond=0).isoformat() + "Z" if value else None


def _party(org, roles: list[str]) -> dict:
    return {"id": f"org-{org.id}", "name": org.name, "roles": roles}


def _value(amount) -> dict | None:
    return {"amount": float(amount * WAN), "currency": "CNY"} if amount is not None else None


def release(demand: Demand, bids: list[Bid]) -> dict:
    ocid = f"{current_app.config.get('OCDS_PREFIX', 'ocds-sdaimf')}-{demand.id}"
    live = [b for b in bids if b.status != "withdrawn"]
    awarded = next((b for b in bids if b.status == "awarded"), None)
    parties = {demand.org_id: _party(demand.org, ["buyer", "procuringEntity"])}
    for bid in live:
        parties.setdefault(bid.provider_org_id, _party(bid.provider, ["tenderer"]))
    if awarded is not None:
        parties[awarded.provider_org_id]["roles"] = ["tenderer", "supplier"]
    date = demand.closed_at if demand.status == "closed" and demand.closed_at else demand.updated_at
    tender = {
        "id": f"demand-{demand.id}", "title": demand.title, "description": demand.description,
        "status": "complete", "mainProcurementCategory": "services",
        "procurementMethod": "open", "procurementMethodDetails": "Open call on the marketplace",
        "numberOfTenderers": len({b.provider_org_id for b in live}),
        "tenderers": [{"id": f"org-{b.provider_org_id}", "name": b.provider.name} for b in live],
        "items": [{"id": "1", "description": demand.title,
                   "classification": {"scheme": "X-GBT4754", "id": demand.industry.code,
                                      "description": demand.industry.label_zh}}] if demand.industry else [],
    }
    if demand.budget_max is not None:
        tender["value"] = _value(demand.budget_max)
    if demand.published_at:
        tender["tenderPeriod"] = {"startDate": _iso(demand.published_at)}
        if demand.deadline:
            tender["tenderPeriod"]["endDate"] = demand.deadline.isoformat() + "T23:59:59+08:00"
    data = {
        "ocid": ocid, "id": f"{ocid}-{demand.status}-{demand.version}", "date": _iso(date),
        "tag": ["award"] if demand.status == "awarded" else ["award", "contract"],
        "initiationType": "tender", "language": "zh",
        "parties": list(parties.values()),
        "buyer": {"id": f"org-{demand.org_id}", "name": demand.org.name},
        "tender": tender, "awards": [], "contracts": [],
    }
    if awarded is not None:
        supplier = {"id": f"org-{awarded.provider_org_id}", "name": awarded.provider.name}
        data["awards"].append({"id": f"bid-{awarded.id}", "status": "active", "date": _iso(awarded.updated_at),
                               "value": _value(awarded.price), "suppliers": [supplier],
                               "contractPeriod": {"durationInDays": awarded.duration_days}})
        if demand.status == "closed":
            data["contracts"].append({"id": f"contract-{awarded.id}", "awardID": f"bid-{awarded.id}",
                                      "status": "terminated", "value": _value(awarded.price),
                                      "period": {"endDate": _iso(demand.closed_at)} if demand.closed_at else None})
            data["contracts"][-1] = {k: v for k, v in data["contracts"][-1].items() if v is not None}
    return data


def package(demands: list[Demand]) -> dict:
    bids: dict[int, list[Bid]] = {}
    if demands:
        for bid in db.session.scalars(sa.select(Bid).where(Bid.demand_id.in_([d.id for d in demands])).order_by(Bid.id)):
            bids.setdefault(bid.demand_id, []).append(bid)
    return {
        "uri": request.url,
        "version": "1.1",
        "publishedDate": _iso(utc_now()),
        "publisher": {"name": current_app.config.get("OCDS_PUBLISHER", "AI + Manufacturing marketplace (Shandong)")},
        "license": current_app.config.get("OCDS_LICENSE", "https://creativecommons.org/licenses/by/4.0/"),
        "publicationPolicy": url_for("api.docs", _external=True),
        "releases": [release(d, bids.get(d.id, [])) for d in demands],
    }


class ReleaseQuery(schemas.ListQuery):
    city: str | None = None
    limit: int = schemas.Field(100, ge=1, le=1000)


class ReleasePackage(schemas.BaseModel):
    uri: str
    version: str
    publishedDate: str
    publisher: dict
    license: str
    publicationPolicy: str
    releases: list[dict]
    links: dict | None = None


@v1.route("/ocds/releases")
@endpoint("demands")
@spec.validate(query=ReleaseQuery, resp=responses(HTTP_200=ReleasePackage), tags=["open data"])
def releases():
    """Awarded and closed public demands as an OCDS 1.1 release package (`city=` a city code)."""
    args = request.context.query
    items, cursor = page(published_demands(args.city), args.cursor, args.limit, f"ocds:{args.city or ''}")
    body = package(items)
    if cursor:
        body["links"] = {"next": url_for("api.v1.releases", _external=True, **{**request.args.to_dict(), "cursor": cursor})}
    return body


def city_export(bureau_org) -> tuple[bytes, str]:
    """The whole package of the bureau's city, as a downloadable file."""
    import json

    from marketplace.taxonomy.models import TaxonomyTerm

    city = db.session.get(TaxonomyTerm, bureau_org.city_id) if bureau_org.city_id else None
    demands = list(db.session.scalars(published_demands(city.code if city else "__none__")))
    name = f"ocds-{city.code if city else 'none'}-{utc_now():%Y%m%d}.json"
    return json.dumps(package(demands), ensure_ascii=False, indent=1).encode("utf-8"), name

