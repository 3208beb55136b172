"""JSON → the same Flask-WTF forms the pages use, so the API checks exactly the pages' rules."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from werkzeug.datastructures import MultiDict

from marketplace.api.problems import fail, invalid
from marketplace.taxonomy.services import by_code


def term_id(kind: str, code, field: str, errors: list) -> int:
    if not code:
        return 0
    found = by_code(kind, code)
    if found is None or not found.active:
        errors.append({"field": field, "message": str(_l("Unknown code “%(code)s”.", code=code))})
        return 0
    return found.id


def to_multidict(values: dict) -> MultiDict:
    md = MultiDict()
    for name, value in values.items():
        if value is None:
            continue
        if isinstance(value, list):
            for item in value:
                md.add(name, str(item))
        else:
            md.add(name, str(value))
    return md


def check(form, names: dict[str, str]) -> None:
    """Validate the form; 422 with the form's own (translated) messages under the API's field names."""
    if form.validate():
        return
    errors = []
    for field, messages in form.errors.items():
        for message in messages if isinstance(messages, list) else [messages]:
            errors.append({"field": names.get(field, field), "message": str(message)})
    invalid(errors)


def service_error(error, names: dict[str, str] | None = None):
    """A service refused: beside a field it is bad input (422); otherwise the object's state forbids it (409)."""
    if getattr(error, "field", None):
        invalid([{"field": (names or {}).get(error.field, error.field), "message": str(error.message)}])
    fail(getattr(error, "status", None) if getattr(error, "status", None) in (400, 403, 404, 409, 422) else 409,
         str(error.message))
