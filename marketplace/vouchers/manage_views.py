"""Bureau pages: schemes, the queue of applications (one by one or as a batch) and claims, the ledger."""
from __future__ import annotations

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from marketplace.extensions import db
from marketplace.pools.models import Pool
from marketplace.taxonomy.services import NONE, term_choices
from marketplace.offerings.formkit import fill_term_choices
from marketplace.vouchers import access, queries, services
from marketplace.vouchers.errors import VoucherError
from marketplace.vouchers.forms import BatchForm, DecisionForm, ReviewClaimForm, SchemeForm, VersionForm
from marketplace.vouchers.models import LedgerEntry, Voucher, VoucherClaim, VoucherScheme
from marketplace.vouchers.views import bp, render_detail


def add_error(field, message) -> None:
    """Put a message beside a field, whether or not the form was validated (errors start as a tuple)."""
    field.errors = list(field.errors) + [message]


def _own_schemes():
    query = sa.select(VoucherScheme)
    if not current_user.is_admin:
        query = query.where(VoucherScheme.bureau_org_id == current_user.org_id)
    return query


@bp.route("/manage")
@login_required
def manage():
    access.require_officer()
    schemes = db.session.scalars(_own_schemes().order_by(VoucherScheme.id.desc())).all()
    ids = [s.id for s in schemes]
    waiting = dict(db.session.execute(sa.select(Voucher.scheme_id, sa.func.count(Voucher.id))
                                      .where(Voucher.scheme_id.in_(ids), Voucher.status.in_(("applied", "claimed")))
                                      .group_by(Voucher.scheme_id)).all()) if ids else {}
    return render_template("vouchers/manage.html", schemes=schemes, positions=queries.positions(ids), waiting=waiting)


def _scheme_form(scheme=None, formdata=True) -> SchemeForm:
    form = SchemeForm(obj=scheme) if formdata else SchemeForm(formdata=None, obj=scheme)
    fill_term_choices(form)
    form.voucher_type_id.choices = term_choices("voucher", blank=str(NONE))
    form.city_id.choices = term_choices("city", blank=str(NONE))
    org_id = scheme.bureau_org_id if scheme else current_user.org_id
    pools = db.session.scalars(sa.select(Pool).where(Pool.bureau_org_id == org_id).order_by(Pool.name)).all()
    form.pool_ids.choices = [(p.id, p.name) for p in pools]
    if scheme is not None and request.method == "GET":
        form.industry_ids.data = [t.id for t in scheme.industries]
        form.chain_ids.data = [t.id for t in scheme.chains]
        form.pool_ids.data = [p.id for p in scheme.pools]
    return form


def _scheme_data(form: SchemeForm) -> dict:
    names = services.SCHEME_FIELDS + ("budget", "industry_ids", "chain_ids", "pool_ids")
    return {name: getattr(form, name).data for name in names}


@bp.route("/schemes/new", methods=["GET", "POST"])
@login_required
def new_scheme():
    access.require_officer()
    if current_user.org is None or current_user.org.kind != "bureau":
        abort(403)
    form = _scheme_form()
    if request.method == "GET":
        form.city_id.data = current_user.org.city_id or 0
    if form.validate_on_submit():
        try:
            scheme = services.create_scheme(current_user, _scheme_data(form))
        except VoucherError as error:
            db.session.rollback()
            add_error(getattr(form, error.field or "name"), error.message)
        else:
            db.session.commit()
            flash(_("Scheme saved as a draft. Publish it to take applications."), "success")
            return redirect(url_for("vouchers.queue", scheme_id=scheme.id))
    return render_template("vouchers/scheme_form.html", form=form, scheme=None), 400 if form.errors else 200


@bp.route("/schemes/<int:scheme_id>/edit", methods=["GET", "POST"])
@login_required
def edit_scheme(scheme_id: int):
    scheme = access.managed_scheme_or_404(scheme_id)
    form = _scheme_form(scheme)
    if request.method == "GET":
        form.version.data = scheme.version
    status = 200
    if form.validate_on_submit():
        try:
            services.update_scheme(scheme, form.version.data, _scheme_data(form))
        except VoucherError as error:
            db.session.rollback()
            status = error.status
            add_error(getattr(form, error.field) if error.field else form.name, error.message)
        else:
            db.session.commit()
            flash(_("Scheme saved."), "success")
            return redirect(url_for("vouchers.queue", scheme_id=scheme.id))
    elif form.errors:
        status = 400
    return render_template("vouchers/scheme_form.html", form=form, scheme=scheme), status


@bp.route("/schemes/<int:scheme_id>/<any(open, closed):status>", methods=["POST"])
@login_required
def set_status(scheme_id: int, status: str):
    scheme = access.managed_scheme_or_404(scheme_id)
    try:
        services.set_scheme_status(scheme, VersionForm().version.data, status)
    except VoucherError as error:
        db.session.rollback()
        flash(error.message, "danger")
    else:
        db.session.commit()
        flash(_("The scheme is published on the vouchers page.") if status == "open" else _("The scheme is closed to new applications."), "success")
    return redirect(url_for("vouchers.queue", scheme_id=scheme.id))


@bp.route("/schemes/<int:scheme_id>/queue")
@login_required
def queue(scheme_id: int):
    scheme = access.managed_scheme_or_404(scheme_id)
    return _render_queue(scheme)


def _render_queue(scheme, batch_form=None, status=200, chosen=()):
    vouchers = db.session.scalars(sa.select(Voucher).where(Voucher.scheme_id == scheme.id).order_by(Voucher.id)).all()
    return render_template("vouchers/queue.html", scheme=scheme, position=queries.positions([scheme.id])[scheme.id],
                           applied=[v for v in vouchers if v.status == "applied"],
                           claimed=[v for v in vouchers if v.status == "claimed"],
                           others=[v for v in vouchers if v.status not in ("applied", "claimed")],
                           batch_form=batch_form or BatchForm(formdata=None), chosen={int(i) for i in chosen},
                           version_form=VersionForm(formdata=None, version=scheme.version)), status


@bp.route("/schemes/<int:scheme_id>/batch", methods=["POST"])
@login_required
def batch(scheme_id: int):
    scheme = access.managed_scheme_or_404(scheme_id)
    form = BatchForm()
    chosen = [i for i in request.form.getlist("voucher_id") if i.isdigit()]
    vouchers = db.session.scalars(sa.select(Voucher).where(Voucher.scheme_id == scheme.id, Voucher.id.in_([int(i) for i in chosen]))
                                  .order_by(Voucher.id)).all() if chosen else []
    versions = {v.id: request.form.get(f"version_{v.id}") for v in vouchers}
    if not form.validate_on_submit():
        return _render_queue(scheme, form, 400, chosen)
    try:
        services.batch_decide(vouchers, versions, current_user, approve_all=bool(form.approve.data), reason=form.reason.data)
    except VoucherError as error:
        db.session.rollback()
        add_error(form.reason if error.field == "reason" else form.approve, error.message)
        return _render_queue(db.session.get(VoucherScheme, scheme_id), form, error.status, chosen)
    db.session.commit()
    if form.approve.data:
        flash(_("%(n)d vouchers were issued and their amounts reserved.", n=len(vouchers)), "success")
    else:
        flash(_("%(n)d applications were rejected; the firms have been told why.", n=len(vouchers)), "success")
    return redirect(url_for("vouchers.queue", scheme_id=scheme.id))


@bp.route("/<int:voucher_id>/decide", methods=["POST"])
@login_required
def decide(voucher_id: int):
    voucher, _who = access.voucher_or_404(voucher_id, "bureau")
    form = DecisionForm()
    try:
        if form.approve.data:
            services.approve(voucher, current_user, form.version.data)
        else:
            services.reject(voucher, current_user, form.version.data, form.reason.data)
    except VoucherError as error:
        db.session.rollback()
        voucher = db.session.get(Voucher, voucher_id)
        add_error(form.reason if error.field == "reason" else form.approve, error.message)
        form.version.data = voucher.version if error.status == 409 else form.version.data
        return render_detail(voucher, "bureau", decision_form=form, status=error.status)
    db.session.commit()
    flash(_("Voucher %(code)s issued; %(amount)s 万元 reserved.", code=voucher.code, amount=voucher.face_value)
          if voucher.status == "issued" else _("Application rejected; the firm has been told why."), "success")
    return redirect(url_for("vouchers.detail", voucher_id=voucher.id))


@bp.route("/claims/<int:claim_id>/review", methods=["POST"])
@login_required
def review_claim(claim_id: int):
    claim = db.session.get(VoucherClaim, claim_id)
    if claim is None:
        abort(404)
    voucher, _who = access.voucher_or_404(claim.voucher_id, "bureau")
    form = ReviewClaimForm()
    try:
        if form.pay.data:
            services.pay_claim(claim, current_user, form.version.data, form.payment_reference.data)
        else:
            services.return_claim(claim, current_user, form.version.data, form.reason.data)
    except VoucherError as error:
        db.session.rollback()
        add_error(form.reason if error.field == "reason" else form.pay, error.message)
        return render_detail(db.session.get(Voucher, voucher.id), "bureau", review_form=form, status=error.status)
    db.session.commit()
    flash(_("Payout of %(amount)s 万元 recorded.", amount=voucher.redeemed_amount) if claim.status == "approved"
          else _("Claim returned; the provider has been told what to correct."), "success")
    return redirect(url_for("vouchers.detail", voucher_id=voucher.id))


@bp.route("/schemes/<int:scheme_id>/ledger")
@login_required
def ledger_view(scheme_id: int):
    scheme = access.managed_scheme_or_404(scheme_id)
    entries = db.session.scalars(sa.select(LedgerEntry).where(LedgerEntry.scheme_id == scheme.id).order_by(LedgerEntry.id)).all()
    return render_template("vouchers/ledger.html", scheme=scheme, entries=entries, position=queries.positions([scheme.id])[scheme.id])
