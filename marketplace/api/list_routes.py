"""/api/v1/demand-lists: read, create and publish lists; import a spreadsheet (start → poll → confirm)."""
from __future__ import annotations

import base64
import binascii
from typing import Optional

import sqlalchemy as sa
from flask import request, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from pydantic import BaseModel, Field

from marketplace.api import schemas, serializers
from marketplace.api.cursors import page
from marketplace.api.formdata import check, service_error, to_multidict
from marketplace.api.guard import endpoint
from marketplace.api.problems import fail, invalid
from marketplace.api.spec import responses, spec
from marketplace.api.views import v1
from marketplace.demands import access, importer, imports, services
from marketplace.demands.forms import DemandListForm
from marketplace.demands.list_views import _list_form, get_own_list, get_visible_list
from marketplace.demands.models import Demand, DemandList
from marketplace.extensions import db
from marketplace.taxonomy.services import by_code

TAG = "demand lists"
IMPORT_MAX_BODY = importer.MAX_BYTES * 4 // 3 + 64 * 1024  # a base64 file of the largest allowed size


class DemandListOut(BaseModel):
    id: int
    title: str
    description: str
    status: str
    publisher: schemas.OrgRef
    chain: Optional[schemas.Term]
    city: Optional[schemas.Term]
    demand_ids: list[int] = Field(description="The list's demands that you may see.")
    published_at: Optional[str]


class DemandListPage(BaseModel):
    items: list[DemandListOut]
    next_cursor: Optional[str]


class DemandListCreate(schemas.Strict):
    title: str = Field(max_length=200)
    description: str = Field("", max_length=5000)
    chain: Optional[str] = Field(None, max_length=40)
    city: Optional[str] = Field(None, max_length=40)


class ImportStart(schemas.Strict):
    filename: str = Field(max_length=200, description="Its ending says the format: .xlsx or .csv.")
    content_base64: str = Field(description="The file, base64-encoded (at most 5 MB and 5,000 rows).")


class ImportState(BaseModel):
    token: str
    status: str = Field(description="checking, refused (see message), ready (check errors, then confirm), importing, "
                                    "done or failed.")
    total: int = Field(description="Data rows in the file.")
    valid_rows: int
    errors: list[dict] = Field(description="While ready: rows that will not be imported (line, column, message).")
    done: int = Field(description="Demands imported.")
    message: Optional[str] = None


class ImportConfirm(schemas.Strict):
    publish: bool = True


def _list(dl: DemandList) -> dict:
    ids = db.session.scalars(sa.select(Demand.id).where(Demand.list_id == dl.id, access.visible_filter(current_user))
                             .order_by(Demand.id)).all()
    return {"id": dl.id, "title": dl.title, "description": dl.description, "status": dl.status,
            "publisher": serializers.org(dl.publisher), "chain": serializers.term(dl.chain), "city": serializers.term(dl.city),
            "demand_ids": list(ids), "published_at": serializers.when(dl.published_at)}


@v1.route("/demand-lists")
@endpoint("demands")
@spec.validate(query=schemas.ListQuery, resp=responses(HTTP_200=DemandListPage), tags=[TAG])
def list_index():
    """Published demand lists, and your organisation's drafts."""
    args = request.context.query
    visible = DemandList.status == "published"
    if current_user.is_authenticated:
        visible = sa.or_(visible, DemandList.publisher_org_id == current_user.org_id)
    query = sa.select(DemandList).where(visible).order_by(DemandList.id.desc())
    items, cursor = page(query, args.cursor, args.limit, "lists")
    return {"items": [_list(dl) for dl in items], "next_cursor": cursor}


@v1.route("/demand-lists/<int:list_id>")
@endpoint("demands")
@spec.validate(resp=responses(HTTP_200=DemandListOut), tags=[TAG])
def list_read(list_id: int):
    """One demand list with the ids of its demands you may see."""
    return _list(get_visible_list(list_id))


@v1.route("/demand-lists", methods=["POST"])
@endpoint("demands")
@spec.validate(json=DemandListCreate, resp=responses(HTTP_201=DemandListOut), tags=[TAG])
def list_create():
    """Create a demand list (manufacturers and bureaus)."""
    body = request.context.json
    errors = []
    values = {"title": body.title, "description": body.description, "chain_id": 0, "city_id": 0}
    for name in ("chain", "city"):
        code = getattr(body, name)
        if code:
            found = by_code(name, code)
            if found is None:
                errors.append({"field": name, "message": str(_l("Unknown code “%(code)s”.", code=code))})
            else:
                values[f"{name}_id"] = found.id
    if errors:
        invalid(errors)
    form = _list_form(DemandListForm(formdata=to_multidict(values), meta={"csrf": False}))
    check(form, {"chain_id": "chain", "city_id": "city"})
    try:
        created = services.create_list(current_user, form.title.data, form.description.data, form.chain_id.data,
                                       form.city_id.data)
    except services.DemandError as error:
        fail(403, str(error.message))
    db.session.commit()
    return _list(created), 201, {"Location": url_for("api.v1.list_read", list_id=created.id)}


@v1.route("/demand-lists/<int:list_id>/publish", methods=["POST"])
@endpoint("demands")
@spec.validate(json=schemas.Empty, resp=responses(HTTP_200=DemandListOut), tags=[TAG])
def list_publish(list_id: int):
    """Publish your list; its drafts are opened for bids."""
    demand_list = get_own_list(list_id)
    try:
        services.publish_list(demand_list)
    except services.DemandError as error:
        db.session.rollback()
        service_error(error)
    db.session.commit()
    return _list(demand_list)


def _state(imp) -> dict:
    status = imports.state(imp)
    errors = []
    if status == "ready" and imp.preview:
        preview = imports.preview_from_json(imp.preview)
        errors = [{"line": e.line, "column": e.column, "message": str(e.message)} for e in preview.errors]
    return {"token": imp.token, "status": status, "total": imp.total, "valid_rows": imp.valid, "errors": errors,
            "done": imp.imported, "message": imp.message if status == "refused" else None}


def _own_import(demand_list: DemandList, token: str):
    imp = imports.find(token, current_user.id, demand_list.id)
    if imp is None:
        fail(404)
    return imp


@v1.route("/demand-lists/<int:list_id>/imports", methods=["POST"])
@endpoint("demands")
@spec.validate(json=ImportStart, resp=responses(HTTP_202=ImportState), tags=[TAG])
def import_start(list_id: int):
    """Upload a spreadsheet (the page's template and rules). A job checks it; poll the Location until
    the status is `ready` (see each bad row in `errors`) or `refused` (see `message`)."""
    demand_list = get_own_list(list_id)
    body = request.context.json
    try:
        data = base64.b64decode(body.content_base64, validate=True)
    except (binascii.Error, ValueError):
        invalid([{"field": "content_base64", "message": str(_l("This is not valid base64."))}])
    if len(data) > importer.MAX_BYTES:
        fail(413)
    token = imports.start_check(current_user, demand_list, body.filename, data).token
    db.session.commit()
    imp = _own_import(demand_list, token)
    return _state(imp), 202, {"Location": url_for("api.v1.import_state", list_id=demand_list.id, token=token)}


@v1.route("/demand-lists/<int:list_id>/imports/<token>")
@endpoint("demands")
@spec.validate(resp=responses(HTTP_200=ImportState), tags=[TAG])
def import_state(list_id: int, token: str):
    """Poll an import: checking → ready (or refused) → importing → done (or failed)."""
    return _state(_own_import(get_own_list(list_id), token))


@v1.route("/demand-lists/<int:list_id>/imports/<token>/confirm", methods=["POST"])
@endpoint("demands")
@spec.validate(json=ImportConfirm, resp=responses(HTTP_202=ImportState), tags=[TAG])
def import_confirm(list_id: int, token: str):
    """Import the valid rows of a checked file, once (a second confirm is 409). A job imports them all or none."""
    demand_list = get_own_list(list_id)
    imp = _own_import(demand_list, token)
    if imp.status != "ready":
        fail(409, _l("This file is already being imported; it is imported once.") if imp.status in ("importing", "done")
             else None)
    if not imp.valid:
        fail(409, _l("There are no valid rows to import."))
    if not imports.start_import(imp, request.context.json.publish):
        db.session.rollback()
        fail(409, _l("This file is already being imported; it is imported once."))
    db.session.commit()
    return _state(_own_import(demand_list, token)), 202
