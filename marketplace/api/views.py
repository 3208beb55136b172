"""API v1 under /api/v1/ (token-only, CSRF-exempt, problem details), its OpenAPI document and docs page,
and the account pages where people make and revoke their personal access tokens."""
from __future__ import annotations

from flask import Blueprint, Response, abort, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from marketplace.api import guard, tokens
from marketplace.api.forms import TokenForm
from marketplace.api.models import ApiToken
from marketplace.extensions import csrf, db

bp = Blueprint("api", __name__)
v1 = Blueprint("v1", __name__, url_prefix="/api/v1")
csrf.exempt(v1)  # token-only: a cookie never authenticates here, so there is nothing for CSRF to steal


@v1.before_request
def _guard():
    guard.check_ids()
    guard.check_body()
    guard.authenticate()


@v1.after_request
def _no_store(response):
    response.headers.setdefault("Cache-Control", "no-store")
    response.headers["Vary"] = "Authorization, Accept-Language"
    return response


@v1.route("/openapi.json")
def openapi():
    from marketplace.api.spec import document

    return jsonify(document())


@bp.route("/developers/api")
def docs():
    return render_template("api/docs.html")


# ---------------------------------------------------------------- personal access tokens (account page)

@bp.route("/account/tokens", methods=["GET", "POST"])
@login_required
def token_list():
    form = TokenForm()
    secret = None
    if form.validate_on_submit():
        token, secret = tokens.create_token(current_user, form.name.data, form.scopes.data)
        db.session.commit()
        flash(_("Token created. Copy it now: it is shown only once."), "success")
    return render_template("api/tokens.html", form=form, tokens=tokens.user_tokens(current_user), secret=secret,
                           labels=tokens.SCOPE_LABELS), 400 if form.errors else 200


@bp.route("/account/tokens/<int:token_id>/revoke", methods=["POST"])
@login_required
def token_revoke(token_id: int):
    token = db.session.get(ApiToken, token_id)
    if token is None or token.user_id != current_user.id:
        abort(404)
    tokens.revoke(token, current_user)
    db.session.commit()
    flash(_("Token “%(name)s” revoked. Programs using it can no longer connect.", name=token.name), "success")
    return redirect(url_for("api.token_list"))


@bp.route("/exports/ocds")
@login_required
def ocds_export():
    """A bureau downloads its city's open contracting data (the same package as /api/v1/ocds/releases?city=…)."""
    from marketplace.api.ocds import city_export

    org = current_user.org
    if org is None or org.kind != "bureau":
        abort(403)
    data, name = city_export(org)
    return Response(data, mimetype="application/json",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


from marketplace.api import routes  # noqa: E402,F401  (the v1 endpoints)

bp.register_blueprint(v1)
