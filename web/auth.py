"""Who is logged in (employers and case workers, through Flask-Login) and what they may see.

Below the pages and the admin area alike; sessions end on the server (web/sessions.py).
"""
from __future__ import annotations

from functools import wraps

from flask import abort
from flask_login import LoginManager, current_user

from models import ADMIN, User, Vacancy

from .extensions import db_session
from .sessions import session_user_ok

__all__ = ["admin_required", "init_auth", "is_admin", "login_manager", "owns"]

login_manager = LoginManager()
login_manager.login_view = "accounts.login"
login_manager.session_protection = "strong"


def init_auth(app) -> None:
    login_manager.init_app(app)
    login_manager.login_message = None


@login_manager.user_loader
def _load(user_id: str):
    if not user_id.isdigit():
        return None
    user = db_session().get(User, int(user_id))
    return user if session_user_ok(user) else None   # expired, logged out, new password, deactivated


def is_admin() -> bool:
    """Whether the request's account is a case worker's."""
    return current_user.is_authenticated and current_user.role == ADMIN


def owns(vacancy: Vacancy, key: str | None) -> bool:
    """Whether the request may see this vacancy's candidates: its private key, an account of
    its organisation, or a case worker."""
    if vacancy.owner_key_matches(key):
        return True
    if not current_user.is_authenticated:
        return False
    return current_user.role == ADMIN or (vacancy.employer_id is not None
                                          and vacancy.employer_id == current_user.employer_id)


def admin_required(view):
    """Only case workers (admins); others get the login page or a 403."""

    @wraps(view)
    def wrapped(*args, **kwargs):
        if not current_user.is_authenticated:
            return login_manager.unauthorized()
        if current_user.role != ADMIN:
            abort(403)
        return view(*args, **kwargs)
    return wrapped
