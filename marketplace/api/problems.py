"""RFC 9457 problem details: every error under /api/ is `application/problem+json` with a translated message."""
from __future__ import annotations

from flask import abort, current_app, json
from flask_babel import lazy_gettext as _l

PROBLEM_TYPE = "about:blank"
TITLES = {
    400: _l("Bad request"),
    401: _l("Authentication required"),
    403: _l("Forbidden"),
    404: _l("Not found"),
    405: _l("Method not allowed"),
    406: _l("Not acceptable"),
    409: _l("Conflict"),
    412: _l("Precondition failed"),
    413: _l("Request too large"),
    415: _l("Unsupported media type"),
    422: _l("Unprocessable content"),
    428: _l("Precondition required"),
    429: _l("Too many requests"),
    500: _l("Internal server error"),
}
DETAILS = {
    400: _l("The request could not be understood."),
    401: _l("Send a valid personal access token: Authorization: Bearer <token>."),
    403: _l("You do not have permission to see or change this."),
    404: _l("There is nothing at this address, or you may not see it."),
    405: _l("This address does not accept that method."),
    406: _l("This address answers with JSON only."),
    409: _l("Someone changed this at the same time. Fetch it again and retry."),
    412: _l("This object has changed since you fetched it. Fetch it again (for its new ETag) and retry."),
    413: _l("The request body is larger than allowed."),
    415: _l("Send the request body as application/json."),
    422: _l("The request is not valid: see errors."),
    428: _l("Send an If-Match header with the ETag you fetched, so a stale change cannot overwrite a newer one."),
    429: _l("Too many requests. Wait as long as Retry-After says, then try again."),
    500: _l("An unexpected error occurred. It has been logged; please try again later."),
}


def problem_response(status: int, detail=None, **extra):
    status = status if status in TITLES else (500 if status >= 500 else 400)
    body = {"type": PROBLEM_TYPE, "title": str(TITLES[status]), "status": status,
            "detail": str(detail if detail is not None else DETAILS[status])}
    body.update(extra)
    response = current_app.response_class(json.dumps(body, ensure_ascii=False), status=status,
                                          mimetype="application/problem+json")
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="api"'
    return response


def fail(status: int, detail=None, **extra):
    """Stop the request with a problem-details answer."""
    abort(problem_response(status, detail, **extra))


def invalid(errors: list[dict], detail=None):
    """422 with one entry per field: {"field": ..., "message": ...}."""
    fail(422, detail, errors=errors)
