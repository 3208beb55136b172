"""The operator's rules: verification, account status, staff accounts. Flush, never commit."""
from __future__ import annotations

from marketplace.audit.services import record
from marketplace.auth import services as accounts
from marketplace.auth.models import User
from marketplace.extensions import db
from marketplace.orgs.models import Organisation


def set_verified(admin: User, org: Organisation, verified: bool) -> None:
    org.verified = verified
    record("org.verified" if verified else "org.unverified", org, actor=admin)


def set_active(admin: User, user: User, active: bool) -> None:
    from flask_babel import lazy_gettext as _l

    if user.id == admin.id and not active:
        raise accounts.AccountError(_l("You cannot deactivate your own account."))
    user.active = active
    if not active:
        accounts.end_all_sessions(user)
    record("user.activated" if active else "user.deactivated", user, actor=admin)


def create_staff_user(admin: User, *, kind: str, bureau: Organisation | None, new_bureau_name: str | None,
                      city_id: int | None, name: str, email: str, password: str) -> User:
    from flask_babel import lazy_gettext as _l

    if accounts.email_taken(email):
        raise accounts.AccountError(_l("An account with this email already exists."), "email")
    if kind == "admin":
        org = admin.org
    elif bureau is not None:
        org = bureau
    else:
        org = Organisation(kind="bureau", name=new_bureau_name.strip(), city_id=city_id or None, verified=True)
        db.session.add(org)
        db.session.flush()
        record("org.created", org, actor=admin, kind="bureau")
    user = accounts.create_user(email=email, name=name, password=password, org=org, org_role="owner",
                                is_admin=kind == "admin")
    user.must_set_password = True  # the admin chose this password; the officer chooses their own
    record("user.created", user, actor=admin, kind=kind)
    return user
