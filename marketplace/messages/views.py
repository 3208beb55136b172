"""Bid threads (firm ↔ provider), their attachments, a bid's proposal PDF and a demand's photos
and drawings. Every file is served only after the same check as the object it belongs to."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from marketplace.bids.models import Bid
from marketplace.bids.views import get_bid
from marketplace.demands import access
from marketplace.demands.models import Demand
from marketplace.demands.views import get_own_demand
from marketplace.errors import fail
from marketplace.extensions import db
from marketplace import files
from marketplace.messages import services, uploads
from marketplace.messages.forms import MessageForm, UploadForm
from marketplace.messages.models import FileAttachment

bp = Blueprint("messages", __name__)


@bp.app_template_global()
def unread_messages() -> int:
    return sum(services.unread_by_bid(current_user).values())


@bp.app_template_global()
def attached_files(**owner):
    return services.files_of(**owner)


@bp.route("/messages/")
@login_required
def inbox():
    if current_user.org_id is None:
        abort(403)
    return render_template("messages/inbox.html", threads=services.threads(current_user),
                           unread_counts=services.unread_by_bid(current_user))


def _render_thread(bid: Bid, form: MessageForm, problems=(), status: int = 200):
    return render_template("messages/thread.html", bid=bid, form=form, messages=services.thread(bid),
                           problems=problems, is_firm=access.can_see_bids(current_user, bid.demand)), status


@bp.route("/bids/<int:bid_id>/messages", methods=["GET", "POST"])
@login_required
def thread(bid_id: int):
    bid = get_bid(bid_id)  # 404 unless the user's organisation is the bidder or the demand's firm
    form = MessageForm()
    if request.method == "POST":
        if not form.validate_on_submit():
            return _render_thread(bid, form, status=400)
        checked, problems = uploads.check_files(request.files.getlist(form.files.name), ("pdf", "png", "jpeg"))
        if problems:
            return _render_thread(bid, form, problems, 400)  # the typed message is kept
        try:
            services.send_message(current_user, bid, form.body.data, checked)
        except services.MessageError as error:
            db.session.rollback()
            return _render_thread(bid, form, [str(error.message)], error.status)
        db.session.commit()
        return redirect(url_for("messages.thread", bid_id=bid.id) + "#latest")
    services.mark_read(current_user, bid)  # opening the thread reads it, as in any mail program
    db.session.commit()
    return _render_thread(bid, form)


def _upload(owner: dict, allowed: tuple[str, ...], back: str):
    form = UploadForm()
    if not form.validate_on_submit():
        fail(400)
    checked, problems = uploads.check_files(request.files.getlist("files"), allowed)
    for problem in problems:
        flash(problem, "danger")
    if checked and not problems:
        try:
            services.attach(checked, current_user, **owner)
        except services.MessageError as error:
            db.session.rollback()
            flash(str(error.message), "danger")
        else:
            db.session.commit()
            flash(_("Uploaded: %(names)s.", names=", ".join(c.name for c in checked)), "success")
    elif not checked and not problems:
        flash(_("Choose a file to upload."), "warning")
    return redirect(back)


@bp.route("/bids/<int:bid_id>/proposal", methods=["POST"])
@login_required
def upload_proposal(bid_id: int):
    bid = get_bid(bid_id)
    if bid.provider_org_id != current_user.org_id:
        abort(403)
    if not bid.is_live:
        fail(409, _("Files can be added only to a live bid."))
    return _upload({"bid_id": bid.id}, ("pdf",), url_for("bids.detail", bid_id=bid.id) + "#files")


@bp.route("/demands/<int:demand_id>/files", methods=["POST"])
@login_required
def upload_demand_files(demand_id: int):
    demand = get_own_demand(demand_id)
    return _upload({"demand_id": demand.id}, ("png", "jpeg", "pdf"), url_for("demands.detail", demand_id=demand.id) + "#files")


@bp.route("/files/<int:file_id>")
def download(file_id: int):
    attachment = db.session.get(FileAttachment, file_id) or abort(404)
    if attachment.demand_id is not None:
        demand = db.session.get(Demand, attachment.demand_id)
        if not access.can_view(current_user, demand):
            abort(404)
    else:
        bid = db.session.get(Bid, attachment.bid_id or attachment.message.bid_id)
        if not services.is_party(current_user, bid):
            abort(404)
    return files.send(attachment.stored)
