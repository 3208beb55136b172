"""Flask-Login wiring. The id kept in the cookie is "<user id>:<login session id>"; the login
session row must still exist, so logout and password changes end sessions for good."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from marketplace.auth.models import LoginSession, User
from marketplace.extensions import db, login_manager

login_manager.login_view = "auth.login"
login_manager.login_message = _l("Please log in to continue.")
login_manager.login_message_category = "info"
login_manager.session_protection = "basic"


@login_manager.user_loader
def load_user(session_id: str):
    user_id, _, token = (session_id or "").partition(":")
    if not user_id.isdigit() or not token:
        return None
    login_session = db.session.get(LoginSession, token)
    if login_session is None or login_session.user_id != int(user_id):
        return None
    user = db.session.get(User, int(user_id))
    if user is None or not user.active:
        return None
    user.login_session_id = token
    return user
