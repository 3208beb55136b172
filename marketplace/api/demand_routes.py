"""/api/v1/demands: browse (the pages' filters), read, create, edit, publish, cancel; ranked matches."""
from __future__ import annotations

import sqlalchemy as sa
from flask import request, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from marketplace.api import http, schemas, serializers
from marketplace.api.cursors import page
from marketplace.api.formdata import check, service_error, term_id, to_multidict
from marketplace.api.guard import endpoint
from marketplace.api.problems import fail, invalid
from marketplace.api.spec import responses, spec
from marketplace.api.views import v1
from marketplace.demands import access, services
from marketplace.demands.forms import DemandForm
from marketplace.demands.models import Demand
from marketplace.demands.queries import filtered_demands, row_options
from marketplace.demands.views import _form_choices, _form_data, get_own_demand, get_visible_demand, require_manufacturer
from marketplace.extensions import db
from marketplace.matches import services as matches

TAG = "demands"
FIELD_NAMES = {"industry_id": "industry", "chain_id": "chain", "stage_id": "stage", "city_id": "city",
               "scenario_ids": "scenarios", "voucher_ids": "vouchers"}


def require_login() -> None:
    if not current_user.is_authenticated:
        fail(401)


@v1.route("/demands")
@endpoint("demands")
@spec.validate(query=schemas.DemandQuery, resp=responses(HTTP_200=schemas.DemandPage), tags=[TAG])
def demand_list():
    """List demands with the browse filters and keyword search.

    Everyone sees open public demands; members of a pool see that pool's demands; a firm sees its
    own in every status (`mine=true`); a city bureau sees its city's demands.
    """
    args = request.context.query
    if args.mine:
        require_login()
        base = sa.select(Demand).where(Demand.org_id == current_user.org_id)
    else:
        base = sa.select(Demand).where(access.visible_filter(current_user))
        if not args.status:
            base = base.where(Demand.status == "open")
    query = filtered_demands(base, args.model_dump(exclude_none=True)).options(*row_options())
    items, cursor = page(query, args.cursor, args.limit, f"demands:{args.sort}")
    return {"items": [serializers.demand(d) for d in items], "next_cursor": cursor}


@v1.route("/demands/<int:demand_id>")
@endpoint("demands")
@spec.validate(resp=responses(HTTP_200=schemas.Demand), tags=[TAG])
def demand_detail(demand_id: int):
    """One demand (404 if it does not exist or you may not see it). The ETag is its version."""
    demand = get_visible_demand(demand_id)
    return http.with_etag(serializers.demand(demand), demand)


def _formdata(body: dict, demand: Demand | None) -> tuple[dict, list]:
    errors: list = []
    values: dict = {}
    if demand is not None:
        values = {"title": demand.title, "description": demand.description, "industry_id": demand.industry_id or 0,
                  "chain_id": demand.chain_id or 0, "stage_id": demand.stage_id or 0, "city_id": demand.city_id or 0,
                  "scenario_ids": [t.id for t in demand.scenarios], "voucher_ids": [t.id for t in demand.vouchers],
                  "budget_min": demand.budget_min, "budget_max": demand.budget_max,
                  "deadline": demand.deadline.isoformat() if demand.deadline else None,
                  "visibility": demand.visibility, "pool_id": demand.pool_id or 0, "list_id": demand.list_id or 0}
    for name in ("title", "description", "budget_min", "budget_max", "visibility", "pool_id", "list_id"):
        if name in body:
            values[name] = body[name]
    if "deadline" in body:
        values["deadline"] = body["deadline"].isoformat() if body["deadline"] else None
    for api_name, kind in (("industry", "industry"), ("chain", "chain"), ("stage", "stage"), ("city", "city")):
        if api_name in body:
            values[f"{kind}_id"] = term_id(kind, body[api_name], api_name, errors)
    for api_name, kind in (("scenarios", "scenario"), ("vouchers", "voucher")):
        if api_name in body:
            values[f"{kind}_ids"] = [term_id(kind, code, api_name, errors) for code in body[api_name] or []]
    values.setdefault("visibility", "public")
    return values, errors


def _form(body: dict, demand: Demand | None) -> DemandForm:
    values, errors = _formdata(body, demand)
    if errors:
        invalid(errors)
    form = _form_choices(DemandForm(formdata=to_multidict(values), meta={"csrf": False}))
    check(form, FIELD_NAMES)
    return form


@v1.route("/demands", methods=["POST"])
@endpoint("demands")
@spec.validate(json=schemas.DemandCreate, resp=responses(HTTP_201=schemas.Demand), tags=[TAG])
def demand_create():
    """Create a demand (a draft, or published with `publish: true`). Send an Idempotency-Key to make retries safe."""
    require_manufacturer()
    replayed = http.replay()
    if replayed is not None:
        return replayed
    body = request.context.json.model_dump(exclude_unset=True)
    form = _form(body, None)
    try:
        demand = services.create_demand(current_user, _form_data(form), publish=bool(body.get("publish")))
    except services.DemandError as error:
        service_error(error, FIELD_NAMES)
    location = url_for("api.v1.demand_detail", demand_id=demand.id)
    result = serializers.demand(demand)
    http.remember(result, 201, location)
    db.session.commit()
    return http.with_etag(serializers.demand(demand), demand, 201, {"Location": location})


@v1.route("/demands/<int:demand_id>", methods=["PATCH"])
@endpoint("demands")
@spec.validate(json=schemas.DemandUpdate, resp=responses(HTTP_200=schemas.Demand), tags=[TAG])
def demand_update(demand_id: int):
    """Change some fields of a draft or open demand. Requires If-Match with the ETag you fetched (412 if stale)."""
    demand = get_own_demand(demand_id)
    http.check_if_match(demand, required=True)
    if demand.status not in services.EDITABLE_STATUSES:
        fail(409, _l("Only draft or open demands can be edited."))
    form = _form(request.context.json.model_dump(exclude_unset=True), demand)
    try:
        services.update_demand(demand, _form_data(form))
    except services.DemandError as error:
        service_error(error, FIELD_NAMES)
    db.session.commit()
    return http.with_etag(serializers.demand(demand), demand)


def _act(demand_id: int, action, *args):
    """A state change on the firm's own demand (If-Match optional), through the demand services."""
    demand = get_own_demand(demand_id)
    http.check_if_match(demand)
    try:
        action(demand, *args)
    except services.DemandError as error:
        service_error(error)
    db.session.commit()
    return http.with_etag(serializers.demand(demand), demand)


@v1.route("/demands/<int:demand_id>/publish", methods=["POST"])
@endpoint("demands")
@spec.validate(json=schemas.Empty, resp=responses(HTTP_200=schemas.Demand), tags=[TAG])
def demand_publish(demand_id: int):
    """Publish a draft (If-Match optional)."""
    return _act(demand_id, services.publish_demand)


@v1.route("/demands/<int:demand_id>/cancel", methods=["POST"])
@endpoint("demands")
@spec.validate(json=schemas.Reason, resp=responses(HTTP_200=schemas.Demand), tags=[TAG])
def demand_cancel(demand_id: int):
    """Cancel a draft or open demand with a reason; live bids are declined and their providers told."""
    return _act(demand_id, services.cancel_demand, request.context.json.reason)


@v1.route("/demands/<int:demand_id>/matches")
@endpoint("demands")
@spec.validate(query=schemas.MatchQuery, resp=responses(HTTP_200=schemas.MatchList), tags=["matches"])
def demand_matches(demand_id: int):
    """Offerings ranked for a demand, with scores and reasons in the requested language (the firm, its city's bureau)."""
    demand = get_visible_demand(demand_id)
    if not access.can_see_ranking(current_user, demand):
        fail(403)
    ranked = matches.offerings_for_demand(demand, current_user, limit=request.context.query.limit)
    return {"items": [serializers.match(item) for item in ranked]}
