"""Redemption: the firm confirms acceptance (验收) with files, the provider files the claim."""
from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from marketplace.extensions import db
from marketplace.vouchers import access, services
from marketplace.vouchers.errors import VoucherError
from marketplace.vouchers.forms import AcceptanceForm, ClaimForm
from marketplace.vouchers.views import bp


def _attach(form, error: VoucherError) -> None:
    field = getattr(form, error.field, None) if error.field else None
    (field.errors if field is not None else form.submit.errors).append(error.message)


def _save(form, action, voucher, done: str, template: str):
    try:
        action()  # the files are stored in the same transaction, so a failure keeps none of them
    except VoucherError as error:
        db.session.rollback()
        _attach(form, error)
        return render_template(template, form=form, voucher=voucher), error.status
    db.session.commit()
    flash(done, "success")
    return redirect(url_for("vouchers.detail", voucher_id=voucher.id))


@bp.route("/<int:voucher_id>/accept", methods=["GET", "POST"])
@login_required
def accept(voucher_id: int):
    voucher, _who = access.voucher_or_404(voucher_id, "firm")
    form = AcceptanceForm()
    if request.method == "GET":
        form.version.data = voucher.version
    if form.validate_on_submit():
        return _save(form, lambda: services.accept_delivery(
            voucher, current_user, form.version.data, form.report.data, {"acceptance": form.acceptance.uploads}),
            voucher, _("Acceptance confirmed. The provider can now file the claim."), "vouchers/accept.html")
    return render_template("vouchers/accept.html", form=form, voucher=voucher), 400 if form.errors else 200


@bp.route("/<int:voucher_id>/claim", methods=["GET", "POST"])
@login_required
def claim(voucher_id: int):
    voucher, _who = access.voucher_or_404(voucher_id, "provider")
    form = ClaimForm()
    if request.method == "GET":
        form.version.data = voucher.version
    if form.validate_on_submit():
        return _save(form, lambda: services.file_claim(
            voucher, current_user, form.version.data, form.invoice_number.data, form.amount_paid.data,
            form.amount_claimed.data, form.uploads())[1],
            voucher, _("Claim filed. The bureau will verify it."), "vouchers/claim.html")
    return render_template("vouchers/claim.html", form=form, voucher=voucher), 400 if form.errors else 200
