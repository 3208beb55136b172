"""One error renderer for HTTP errors: an HTML page in the user's language, or JSON."""
from __future__ import annotations

from flask import Flask, jsonify, render_template, request
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.exceptions import HTTPException, InternalServerError

from marketplace.commit import CommitUnconfirmed
from marketplace.extensions import db

MESSAGES = {
    400: (_l("Bad request"), _l("The request could not be understood. Please check what you entered and try again.")),
    403: (_l("Forbidden"), _l("You do not have permission to see or change this.")),
    404: (_l("Page not found"), _l("The page you asked for does not exist or has been removed.")),
    405: (_l("Method not allowed"), _l("This address does not accept that kind of request.")),
    409: (_l("Conflict"), _l("Someone changed this while you were editing it. Reload the page to see the latest version.")),
    413: (_l("Upload too large"), _l("The file or form you sent is larger than allowed. Please send a smaller one.")),
    429: (_l("Too many requests"), _l("You have tried too many times. Please wait a few minutes and try again.")),
    500: (_l("Something went wrong"), _l("An unexpected error occurred. It has been logged; please try again later.")),
    503: (_l("Database unavailable"), _l("The connection to the database was lost. What you sent was not saved; please try again.")),
}
CONFLICT = _l("This could not be saved because it conflicts with something saved at the same moment "
              "(for example the same email or the same item twice). Reload the page to see the current state.")
UNCONFIRMED = _l("The connection to the database was lost while saving, and it could not be confirmed whether your "
                 "changes were saved. Please check before sending them again.")


def wants_json() -> bool:
    if request.path.startswith("/api/"):
        return True
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return best == "application/json" and request.accept_mimetypes[best] > request.accept_mimetypes["text/html"]


def render_error(code: int, detail: str | None = None):
    if request.path.startswith("/api/"):  # the JSON API answers with RFC 9457 problem details
        from marketplace.api.problems import problem_response

        return problem_response(code, detail)
    title, message = MESSAGES.get(code, MESSAGES[500])
    message = detail or message
    if wants_json():
        return jsonify(error=str(title), message=str(message), status=code), code
    return render_template("errors/error.html", code=code, title=title, message=message), code


def fail(code: int, message: str | None = None):
    """Stop the request with the error page for `code` and a specific, translated message."""
    from flask import abort, make_response

    abort(make_response(render_error(code, message)))


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(HTTPException)
    def handle_http(error: HTTPException):
        if error.code is None:  # raised by fail(): carries its own response
            return error.get_response()
        if request.path.startswith("/api/"):
            return render_error(error.code)
        return render_error(error.code if error.code in MESSAGES else 500 if error.code >= 500 else 400)

    @app.errorhandler(CSRFError)
    def handle_csrf(error: CSRFError):
        from flask_babel import gettext as _

        return render_error(400, _("The form has expired or was sent from another site. Please reload the page and submit it again."))

    @app.errorhandler(StaleDataError)
    def handle_stale(error: StaleDataError):
        db.session.rollback()
        return render_error(409)

    @app.errorhandler(IntegrityError)
    def handle_integrity(error: IntegrityError):
        # A form that loses a race to a unique constraint says so (the views that can explain it better do).
        app.logger.warning("integrity error on %s %s: %s", request.method, request.path, error.orig)
        _rollback_quietly()
        return render_error(409, CONFLICT)

    @app.errorhandler(OperationalError)
    def handle_lost_database(error: OperationalError):
        app.logger.warning("database unavailable on %s %s: %s", request.method, request.path, error)
        _rollback_quietly()
        return render_error(503)

    @app.errorhandler(CommitUnconfirmed)
    def handle_unconfirmed(error: CommitUnconfirmed):
        app.logger.error("commit of transaction %s unconfirmed on %s %s", error, request.method, request.path)
        _rollback_quietly()
        return render_error(503, UNCONFIRMED)

    @app.errorhandler(Exception)
    def handle_unexpected(error: Exception):
        if isinstance(error, HTTPException):
            return handle_http(error)
        app.logger.exception("Unhandled error on %s %s", request.method, request.path)
        _rollback_quietly()
        return render_error(500)

    @app.errorhandler(InternalServerError)
    def handle_500(error):
        _rollback_quietly()
        return render_error(500)


def _rollback_quietly() -> None:
    try:
        db.session.rollback()
    except Exception:  # the connection is gone; the pool replaces it on the next checkout
        pass
