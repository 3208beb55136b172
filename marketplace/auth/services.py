"""Account rules: registration, authentication, passwords, members. Flush, never commit."""
from __future__ import annotations

from functools import lru_cache

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from marketplace.audit.services import record
from marketplace.auth import passwords
from marketplace.auth.models import LoginSession, User
from marketplace.db import utc_now
from marketplace.extensions import db
from marketplace.orgs.models import Organisation


EMAIL_TAKEN = _l("An account with this email already exists.")
EMAIL_TAKEN_AT_REGISTRATION = _l("An account with this email already exists. Log in instead?")
CREDIT_CODE_TAKEN = _l("An organisation with this credit code is already registered. Ask its owner to add you as a member.")


class AccountError(ValueError):
    """A rule was broken; `field` names the form field the message belongs to."""

    def __init__(self, message, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


def normalize_email(email: str) -> str:
    return (email or "").strip().lower()


def find_user(email: str) -> User | None:
    return db.session.scalar(sa.select(User).where(User.email == normalize_email(email)))


def email_taken(email: str) -> bool:
    return find_user(email) is not None


def credit_code_taken(code: str) -> bool:
    return db.session.scalar(sa.select(Organisation.id).where(Organisation.credit_code == code)) is not None


def create_user(*, email: str, name: str, password: str, org: Organisation | None, org_role: str = "member",
                is_admin: bool = False) -> User:
    user = User(email=normalize_email(email), name=name.strip(), password_hash=passwords.hash_password(password),
                org=org, org_role=org_role, is_admin=is_admin)
    db.session.add(user)
    db.session.flush()
    return user


def register_organisation(*, kind: str, org_name: str, credit_code: str, city_id: int | None,
                          industry_id: int | None, size: str | None, name: str, email: str, password: str) -> User:
    """Create an organisation with its first user, the owner."""
    if kind not in ("manufacturer", "provider"):
        raise AccountError(_l("Only manufacturers and providers can register here."), "org_kind")
    if email_taken(email):
        raise AccountError(EMAIL_TAKEN_AT_REGISTRATION, "email")
    if credit_code_taken(credit_code):
        raise AccountError(CREDIT_CODE_TAKEN, "credit_code")
    org = Organisation(kind=kind, name=org_name.strip(), credit_code=credit_code, city_id=city_id or None,
                       industry_id=industry_id or None, size=size)
    db.session.add(org)
    db.session.flush()
    user = create_user(email=email, name=name, password=password, org=org, org_role="owner")
    record("org.registered", org, actor=user, kind=kind)
    return user


def authenticate(email: str, password: str) -> User | None:
    user = find_user(email)
    if user is None:
        # Spend the same time as a real check so timing does not reveal which emails exist.
        passwords.verify_password(_dummy_hash(), password)
        return None
    if not user.active or not passwords.verify_password(user.password_hash, password):
        return None
    if passwords.needs_rehash(user.password_hash):
        user.password_hash = passwords.hash_password(password)
    user.last_login_at = utc_now()
    return user


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    return passwords.hash_password("not-a-real-password")


def start_session(user: User, ip_address: str = "", user_agent: str = "") -> LoginSession:
    login_session = LoginSession(user_id=user.id, ip_address=ip_address[:45], user_agent=user_agent[:300])
    db.session.add(login_session)
    db.session.flush()
    user.login_session_id = login_session.id
    return login_session


def end_session(user: User) -> None:
    if user.login_session_id:
        db.session.execute(sa.delete(LoginSession).where(LoginSession.id == user.login_session_id))


def end_all_sessions(user: User) -> None:
    db.session.execute(sa.delete(LoginSession).where(LoginSession.user_id == user.id))


def change_password(user: User, current: str, new: str) -> None:

    if not passwords.verify_password(user.password_hash, current):
        raise AccountError(_l("The current password is not correct."), "current_password")
    user.password_hash = passwords.hash_password(new)
    end_all_sessions(user)  # other devices are logged out; the caller logs this one in again
    record("user.password_changed", user, actor=user)


def explain_duplicate_registration(email: str, credit_code: str) -> AccountError:
    """Which unique field a registration that lost a race collided on (called after the rollback)."""
    if credit_code_taken(credit_code) and not email_taken(email):
        return AccountError(CREDIT_CODE_TAKEN, "credit_code")
    return AccountError(EMAIL_TAKEN_AT_REGISTRATION, "email")


def add_member(owner: User, *, name: str, email: str, password: str, org_role: str) -> User:
    if email_taken(email):
        raise AccountError(EMAIL_TAKEN, "email")
    user = create_user(email=email, name=name, password=password, org=owner.org, org_role=org_role)
    user.must_set_password = True  # the owner chose this password; the member chooses their own
    record("org.member_added", user, actor=owner, role=org_role)
    return user


def owners_of(org: Organisation) -> list[User]:
    return [u for u in org.users if u.org_role == "owner" and u.active]


def set_member_role(owner: User, member: User, org_role: str) -> None:

    if member.org_role == "owner" and org_role != "owner" and len(owners_of(member.org)) <= 1:
        raise AccountError(_l("An organisation needs at least one owner."), "org_role")
    member.org_role = org_role
    record("org.member_role_changed", member, actor=owner, role=org_role)


def deactivate_member(owner: User, member: User) -> None:

    if member.org_role == "owner" and len(owners_of(member.org)) <= 1:
        raise AccountError(_l("An organisation needs at least one owner."))
    member.active = False
    end_all_sessions(member)
    record("org.member_deactivated", member, actor=owner)
