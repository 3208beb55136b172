"""Demand lists (需求清单): create, add demands, publish, import from Excel/CSV, export."""
from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required
from werkzeug.exceptions import RequestEntityTooLarge

from marketplace import once
from marketplace.demands import access, exports, importer, imports, services
from marketplace.demands.forms import AddToListForm, DemandListForm, ImportConfirmForm, ImportForm
from marketplace.demands.models import Demand, DemandList
from marketplace.demands.queries import bid_counts, own_demands, row_options
from marketplace.demands.views import bp, require_manufacturer
from marketplace.errors import fail, render_error
from marketplace.extensions import db
from marketplace.pagination import paginate
from marketplace.taxonomy.services import NONE, term_choices

def _is_publisher(demand_list: DemandList) -> bool:
    return current_user.is_authenticated and current_user.org_id == demand_list.publisher_org_id


def get_visible_list(list_id: int) -> DemandList:
    demand_list = db.session.get(DemandList, list_id)
    if demand_list is None or not (demand_list.status == "published" or _is_publisher(demand_list)
                                   or (current_user.is_authenticated and current_user.is_admin)):
        abort(404)
    return demand_list


def get_own_list(list_id: int) -> DemandList:
    demand_list = get_visible_list(list_id)
    if not _is_publisher(demand_list):
        abort(403)
    return demand_list


def _list_form(form: DemandListForm) -> DemandListForm:
    form.chain_id.choices = term_choices("chain", blank=NONE)
    form.city_id.choices = term_choices("city", blank=NONE)
    return form


@bp.route("/lists/")
@login_required
def lists():
    require_manufacturer()
    counts = sa.select(sa.func.count(Demand.id)).where(Demand.list_id == DemandList.id).scalar_subquery()
    page = paginate(
        sa.select(DemandList, counts).where(DemandList.publisher_org_id == current_user.org_id)
        .order_by(DemandList.updated_at.desc(), DemandList.id.desc()),
        scalars=False,
    )
    return render_template("demands/lists.html", page=page)


@bp.route("/lists/new", methods=["GET", "POST"])
@login_required
def list_new():
    require_manufacturer()
    form = _list_form(DemandListForm())
    if request.method == "GET":
        form.city_id.data = current_user.org.city_id or 0
    elif form.validate_on_submit():
        earlier = once.claim(form.nonce.data)
        if earlier is not None:
            flash(_("This form was already sent; the list was created once."), "info")
            return redirect(earlier.url or url_for("demands.lists"))
        demand_list = services.create_list(current_user, form.title.data, form.description.data,
                                           form.chain_id.data, form.city_id.data)
        url = url_for("demands.list_detail", list_id=demand_list.id)
        once.done(form.nonce.data, url)
        db.session.commit()
        flash(_("Demand list created. Add demands one by one or import them from a spreadsheet."), "success")
        return redirect(url)
    return render_template("demands/list_form.html", form=form, demand_list=None)


@bp.route("/lists/<int:list_id>/edit", methods=["GET", "POST"])
@login_required
def list_edit(list_id: int):
    demand_list = get_own_list(list_id)
    form = _list_form(DemandListForm(obj=demand_list))
    if form.validate_on_submit():
        services.update_list(demand_list, form.title.data, form.description.data, form.chain_id.data, form.city_id.data)
        db.session.commit()
        flash(_("Demand list saved."), "success")
        return redirect(url_for("demands.list_detail", list_id=demand_list.id))
    return render_template("demands/list_form.html", form=form, demand_list=demand_list)


@bp.route("/lists/<int:list_id>")
def list_detail(list_id: int):
    demand_list = get_visible_list(list_id)
    query = sa.select(Demand).where(Demand.list_id == demand_list.id, access.visible_filter(current_user)).order_by(Demand.id)
    page = paginate(query)
    add_form = None
    if _is_publisher(demand_list):
        add_form = AddToListForm()
        add_form.demand_id.choices = [(0, NONE)] + [
            (d.id, d.title) for d in db.session.scalars(
                sa.select(Demand).where(Demand.org_id == current_user.org_id, Demand.list_id.is_(None),
                                        Demand.status.in_(services.EDITABLE_STATUSES)).order_by(Demand.id.desc()))
        ]
    return render_template("demands/list_detail.html", demand_list=demand_list, page=page, add_form=add_form,
                           is_publisher=_is_publisher(demand_list), bids=bid_counts([d.id for d in page.items]))


@bp.route("/lists/<int:list_id>/add", methods=["POST"])
@login_required
def list_add(list_id: int):
    demand_list = get_own_list(list_id)
    demand = db.session.get(Demand, request.form.get("demand_id", 0, type=int))
    if demand is None or demand.org_id != current_user.org_id:
        flash(_("Please choose a demand."), "danger")
    else:
        services.add_to_list(demand_list, demand)
        db.session.commit()
        flash(_("Added “%(title)s” to the list.", title=demand.title), "success")
    return redirect(url_for("demands.list_detail", list_id=demand_list.id))


@bp.route("/lists/<int:list_id>/publish", methods=["POST"])
@login_required
def list_publish(list_id: int):
    demand_list = get_own_list(list_id)
    try:
        opened = services.publish_list(demand_list)
    except services.DemandError as error:
        db.session.rollback()
        flash(error.message, "danger")
    else:
        db.session.commit()
        flash(_("List published; %(n)d draft demands were opened for bids.", n=opened), "success")
    return redirect(url_for("demands.list_detail", list_id=list_id))


# ---------------------------------------------------------------- spreadsheets

def _download(content: bytes, filename: str, mimetype: str) -> Response:
    from urllib.parse import quote

    response = Response(content, mimetype=mimetype)
    response.headers["Content-Disposition"] = f"attachment; filename=demands.{filename.rsplit('.', 1)[-1]}; filename*=UTF-8''{quote(filename)}"
    return response


@bp.route("/lists/template.xlsx")
def import_template():
    return _download(exports.template_xlsx(), "需求清单导入模板.xlsx", exports.XLSX_MIMETYPE)


def _export(demands, stem: str):
    rows = [exports.demand_row(d) for d in demands]
    if request.args.get("format") == "csv":
        return _download(exports.to_csv(rows), f"{stem}.csv", "text/csv; charset=utf-8")
    return _download(exports.to_xlsx(rows), f"{stem}.xlsx", exports.XLSX_MIMETYPE)


@bp.route("/lists/<int:list_id>/export")
def list_export(list_id: int):
    demand_list = get_visible_list(list_id)
    demands = db.session.scalars(
        sa.select(Demand).where(Demand.list_id == demand_list.id, access.visible_filter(current_user)).order_by(Demand.id)
        .options(*row_options())
    ).all()
    return _export(demands, f"{demand_list.title}-{date.today().isoformat()}")


@bp.route("/mine/export")
@login_required
def mine_export():
    require_manufacturer()
    # The same status, keyword and sort as the "My demands" page the link was on.
    demands = db.session.scalars(own_demands(current_user.org_id, request.args)).all()
    return _export(demands, f"{current_user.org.name}-{date.today().isoformat()}")


def _too_large_message() -> str:
    return _("The file is larger than 5 MB. Split the list into several files of at most 5 MB and 5,000 rows.")


@bp.errorhandler(RequestEntityTooLarge)
def too_large(error):
    """Uploads beyond the app-wide limit are refused before the view runs; say why in the same words."""
    if request.endpoint == "demands.list_import":
        return render_error(413, _too_large_message())
    return render_error(413)


@bp.route("/lists/<int:list_id>/import", methods=["GET", "POST"])
@login_required
def list_import(list_id: int):
    demand_list = get_own_list(list_id)
    if request.method == "POST" and (request.content_length or 0) > importer.MAX_BYTES + 64 * 1024:
        fail(413, _too_large_message())
    form = ImportForm()
    if form.validate_on_submit():
        data = form.file.data.read(importer.MAX_BYTES + 1)
        if len(data) > importer.MAX_BYTES:
            fail(413, _too_large_message())
        # The file is parsed by a job, never in the request (a hostile file must not hold a web worker).
        imp = imports.start_check(current_user, demand_list, form.file.data.filename, data)
        token = imp.token
        db.session.commit()
        imp = imports.find(token, current_user.id, demand_list.id)
        if imp.status == "refused":  # already checked (a fast worker, or jobs run immediately)
            form.file.errors.append(imp.message)
        else:
            return _to_import_state(demand_list, imp)
    return render_template("demands/import.html", form=form, demand_list=demand_list), 400 if form.errors else 200


def _to_import_state(demand_list: DemandList, imp):
    if imp.status == "ready":
        return redirect(url_for("demands.list_import_preview", list_id=demand_list.id, token=imp.token))
    return redirect(url_for("demands.list_import_progress", list_id=demand_list.id, token=imp.token))


def _import_or_404(demand_list: DemandList, token: str):
    imp = imports.find(token, current_user.id, demand_list.id)
    if imp is None:
        abort(404)
    return imp


@bp.route("/lists/<int:list_id>/import/<token>", methods=["GET", "POST"])
@login_required
def list_import_preview(list_id: int, token: str):
    demand_list = get_own_list(list_id)
    imp = _import_or_404(demand_list, token)
    if imp.status != "ready":
        if request.method == "POST" and imp.status in ("importing", "done"):
            flash(_("This file is already being imported; it is imported once."), "info")
        return _to_import_state(demand_list, imp)
    preview = imports.preview_from_json(imp.preview)
    form = ImportConfirmForm()
    if request.method == "POST" and request.form.get("action") == "discard":
        imports.discard(imp)
        db.session.commit()
        flash(_("Nothing was imported."), "info")
        return redirect(url_for("demands.list_detail", list_id=list_id))
    if form.validate_on_submit():
        if not preview.rows:
            flash(_("There are no valid rows to import."), "warning")
            return redirect(url_for("demands.list_import", list_id=list_id))
        if not imports.start_import(imp, bool(form.publish.data)):
            flash(_("This file is already being imported; it is imported once."), "info")
            db.session.rollback()
            return _to_import_state(demand_list, _import_or_404(demand_list, token))
        db.session.commit()
        imp = _import_or_404(demand_list, token)
        if imp.status == "done":  # a fast worker, or jobs run immediately
            flash(ngettext("%(num)d demand imported.", "%(num)d demands imported.", imp.imported), "success")
            return redirect(url_for("demands.list_detail", list_id=list_id))
        return redirect(url_for("demands.list_import_progress", list_id=list_id, token=token))
    return render_template("demands/import_preview.html", demand_list=demand_list, preview=preview, form=form, token=token)


@bp.route("/lists/<int:list_id>/import/<token>/progress")
@login_required
def list_import_progress(list_id: int, token: str):
    demand_list = get_own_list(list_id)
    imp = _import_or_404(demand_list, token)
    status = imports.state(imp)
    if request.args.get("format") == "json":
        return {"status": status, "done": imp.imported, "total": imp.valid or imp.total,
                "list_id": demand_list.id, "owner": imp.user_id}
    if status == "ready":
        return redirect(url_for("demands.list_import_preview", list_id=list_id, token=token))
    run = imp.import_run if imp.status == "importing" else imp.check_run
    return render_template("demands/import_progress.html", demand_list=demand_list, imp=imp, status=status, run=run)


@bp.route("/lists/<int:list_id>/import/<token>/retry", methods=["POST"])
@login_required
def list_import_retry(list_id: int, token: str):
    demand_list = get_own_list(list_id)
    imp = _import_or_404(demand_list, token)
    if imports.retry(imp):
        db.session.commit()
        flash(_("The import is queued again."), "success")
    else:
        flash(_("Only a stopped import can be retried."), "warning")
    return redirect(url_for("demands.list_import_progress", list_id=list_id, token=token))
