"""The organisation's webhooks on the account page: owners add and remove endpoints; members see the delivery log."""
from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from marketplace.extensions import db
from marketplace.webhooks import services
from marketplace.webhooks.forms import EVENT_LABELS, WebhookForm
from marketplace.webhooks.models import WebhookDelivery, WebhookEndpoint

bp = Blueprint("webhooks", __name__, url_prefix="/account/webhooks")


def _require_org():
    if current_user.org is None:
        abort(403)


@bp.route("/", methods=["GET", "POST"])
@login_required
def index():
    _require_org()
    form = WebhookForm()
    secret = None
    if form.validate_on_submit():
        if not current_user.is_owner:
            abort(403)
        try:
            endpoint = services.register(current_user.org, current_user, form.url.data, form.events.data,
                                         float(form.min_score.data))
        except services.WebhookError as error:
            getattr(form, error.field or "url").errors.append(error.message)
        else:
            db.session.commit()
            secret = endpoint.secret
            flash(_("Webhook added. Copy its signing secret now: it is shown only once."), "success")
    endpoints = db.session.scalars(sa.select(WebhookEndpoint).where(WebhookEndpoint.org_id == current_user.org_id)
                                   .order_by(WebhookEndpoint.id)).all()
    deliveries = db.session.scalars(sa.select(WebhookDelivery).join(WebhookEndpoint).where(
        WebhookEndpoint.org_id == current_user.org_id).order_by(WebhookDelivery.id.desc()).limit(20)).all()
    return render_template("webhooks/index.html", form=form, endpoints=endpoints, deliveries=deliveries, secret=secret,
                           labels=EVENT_LABELS), 400 if form.errors else 200


@bp.route("/<int:endpoint_id>/delete", methods=["POST"])
@login_required
def delete(endpoint_id: int):
    endpoint = db.session.get(WebhookEndpoint, endpoint_id)
    if endpoint is None or endpoint.org_id != current_user.org_id:
        abort(404)
    if not current_user.is_owner:
        abort(403)
    services.remove(endpoint, current_user)
    db.session.commit()
    flash(_("Webhook removed."), "success")
    return redirect(url_for("webhooks.index"))
