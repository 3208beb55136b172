"""Vouchers: the public programme page, applying (firms), my vouchers, a voucher's page, files.

Bureau pages (schemes, decisions, claims, ledger) are in manage_views.py; acceptance and claims in
redeem_views.py; the dashboard and exports in report_views.py — all on this blueprint.
"""
from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from marketplace.bids.models import Bid
from marketplace.demands.models import Demand
from marketplace.extensions import db
from marketplace.pagination import paginate
from marketplace.vouchers import access, eligibility, labels, queries, services
from marketplace.vouchers.errors import VoucherError
from marketplace.vouchers.forms import DOCUMENT_LABELS, ApplyForm, DecisionForm, ReviewClaimForm, VersionForm
from marketplace.vouchers.models import VOUCHER_STATUSES, Voucher, VoucherFile, VoucherScheme

bp = Blueprint("vouchers", __name__, url_prefix="/vouchers")


@bp.app_template_global()
def usable_vouchers(offering):
    return queries.usable_voucher_types(offering)


@bp.app_template_global()
def vouchers_on_demand(demand):
    return queries.vouchers_on_demand(demand.id, current_user)


@bp.app_template_global()
def voucher_action(action):
    return labels.action_label(action)


@bp.app_template_global()
def ledger_kind(kind):
    from marketplace.vouchers.report_views import LEDGER_KIND_LABELS

    return str(LEDGER_KIND_LABELS.get(kind, kind))


@bp.app_template_global()
def voucher_status(status):
    return eligibility.status_text(status)


@bp.app_template_filter("voucher_size")
def voucher_size(size: str) -> str:
    return str(eligibility.SIZE_LABELS.get(size, size))


@bp.app_template_filter("pct")
def pct(value) -> str:
    """30.00 → "30", 12.50 → "12.5"."""
    from decimal import Decimal

    return f"{Decimal(value).normalize():f}"


@bp.app_template_filter("voucher_document")
def voucher_document(kind: str) -> str:
    return str(DOCUMENT_LABELS.get(kind, kind))


# ----------------------------------------------------------------------------- public

@bp.route("/")
def index():
    schemes = db.session.scalars(sa.select(VoucherScheme).where(VoucherScheme.status.in_(access.PUBLIC_SCHEME_STATUSES))
                                 .options(*queries.SCHEME_LOADS)
                                 .order_by(VoucherScheme.status.desc(), VoucherScheme.closes_on, VoucherScheme.id)).all()
    return render_template("vouchers/index.html", schemes=schemes, positions=queries.positions(s.id for s in schemes))


@bp.route("/schemes/<int:scheme_id>")
def scheme(scheme_id: int):
    item = access.public_scheme_or_404(scheme_id)
    return render_template("vouchers/scheme.html", scheme=item, position=queries.positions([item.id])[item.id],
                           can_manage=access.can_manage_scheme(current_user, item))


# ----------------------------------------------------------------------------- applying

def _contract_from(args) -> eligibility.Contract:
    """The firm's own contract named by ?bid= (an awarded bid) or ?demand= (before award)."""
    if current_user.org is None or current_user.org.kind != "manufacturer":
        abort(403)
    bid_id, demand_id = str(args.get("bid_id") or args.get("bid") or ""), str(args.get("demand_id") or args.get("demand") or "")
    if bid_id.isdigit():
        bid = db.session.get(Bid, int(bid_id))
        if bid is None or bid.demand.org_id != current_user.org_id:
            abort(404)
        return eligibility.Contract(bid.demand, bid)
    if demand_id.isdigit():
        demand = db.session.get(Demand, int(demand_id))
        if demand is None or demand.org_id != current_user.org_id:
            abort(404)
        awarded = db.session.scalar(sa.select(Bid).where(Bid.demand_id == demand.id, Bid.status == "awarded"))
        return eligibility.Contract(demand, awarded)
    abort(404)


def _render_apply(contract, form=None, status=200):
    verdicts = [eligibility.check(s, current_user.org, contract) for s in queries.open_schemes()]
    verdicts.sort(key=lambda v: (not v.eligible, v.scheme.id))
    return render_template("vouchers/apply.html", contract=contract, verdicts=verdicts, form=form or ApplyForm()), status


@bp.route("/apply", methods=["GET", "POST"])
@login_required
def apply():
    contract = _contract_from(request.form if request.method == "POST" else request.args)
    if request.method == "GET":
        return _render_apply(contract)
    form = ApplyForm()
    if not form.validate_on_submit() or not form.scheme_id.data.isdigit():
        return _render_apply(contract, form, 400)
    scheme = db.session.get(VoucherScheme, int(form.scheme_id.data))
    if scheme is None or scheme.status not in access.PUBLIC_SCHEME_STATUSES:
        abort(404)
    try:
        voucher = services.apply(current_user, scheme, contract, form.note.data)
    except VoucherError as error:
        db.session.rollback()
        flash(error.message, "danger")
        return _render_apply(_contract_from(request.form), form, error.status)
    db.session.commit()
    flash(_("Your application was sent to %(bureau)s. You will be told of the decision.", bureau=scheme.bureau.name), "success")
    return redirect(url_for("vouchers.detail", voucher_id=voucher.id))


# ----------------------------------------------------------------------------- lists and detail

@bp.route("/mine")
@login_required
def mine():
    if current_user.org is None or current_user.org.kind not in ("manufacturer", "provider"):
        abort(403)
    query = sa.select(Voucher).where(access.visible_filter(current_user))
    status = request.args.get("status", "")
    if status in VOUCHER_STATUSES:
        query = query.where(Voucher.status == status)
    page = paginate(query.order_by(Voucher.updated_at.desc(), Voucher.id.desc()))
    return render_template("vouchers/mine.html", page=page, statuses=VOUCHER_STATUSES, status=status)


@bp.route("/<int:voucher_id>")
@login_required
def detail(voucher_id: int):
    voucher, who = access.voucher_or_404(voucher_id)
    return render_detail(voucher, who)


def render_detail(voucher, who, decision_form=None, review_form=None, status=200):
    from marketplace.audit.models import AuditEvent

    history = db.session.scalars(sa.select(AuditEvent).where(
        sa.or_(sa.and_(AuditEvent.object_type == "voucher", AuditEvent.object_id == voucher.id),
               sa.and_(AuditEvent.object_type == "voucher_claim", AuditEvent.object_id.in_([c.id for c in voucher.claims] or [0]))))
        .order_by(AuditEvent.id)).all() if who in ("bureau", "firm", "provider") else []
    return render_template(
        "vouchers/detail.html", voucher=voucher, who=who, history=history,
        decision_form=decision_form or DecisionForm(formdata=None, version=voucher.version),
        review_form=review_form or ReviewClaimForm(formdata=None, version=voucher.open_claim.version if voucher.open_claim else ""),
        version_form=VersionForm(formdata=None, version=voucher.version),
        position=queries.positions([voucher.scheme_id])[voucher.scheme_id] if who == "bureau" else None,
    ), status


@bp.route("/<int:voucher_id>/withdraw", methods=["POST"])
@login_required
def withdraw(voucher_id: int):
    voucher, _who = access.voucher_or_404(voucher_id, "firm")
    form = VersionForm()
    try:
        services.withdraw(voucher, form.version.data)
    except VoucherError as error:
        db.session.rollback()
        flash(error.message, "danger")
        return render_detail(voucher, "firm", status=error.status)
    db.session.commit()
    flash(_("Your application was withdrawn."), "success")
    return redirect(url_for("vouchers.detail", voucher_id=voucher.id))


@bp.route("/files/<int:file_id>")
@login_required
def download(file_id: int):
    from marketplace import files

    item = db.session.get(VoucherFile, file_id)
    if item is None:
        abort(404)
    access.voucher_or_404(item.voucher_id)
    return files.send(item.file, download_name=item.original_name)



@bp.app_template_filter("wan")
def wan(value) -> str:
    """A voucher amount exactly, to the fen of 万元: "12.35 万元" (English adds the yuan)."""
    from decimal import Decimal

    from marketplace.i18n import is_english

    if value is None:
        return "—"
    value = Decimal(value)
    text = f"{value:,.2f} 万元"
    return f"{text} (¥{value * 10000:,.0f})" if is_english() else text


from marketplace.vouchers import manage_views, redeem_views, report_views  # noqa: E402,F401  (routes on bp)
