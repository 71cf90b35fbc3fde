"""Who may call an API view: a live API token holding a scope, sent as a bearer."""
from __future__ import annotations

from functools import wraps

from flask import g, request

from models import utcnow

from ..constants import SCOPES
from ..extensions import db_session
from ..tokens import TOUCH_EVERY, allowed_scopes, find_token
from .errors import error_response

__all__ = ["authenticate", "bearer", "require_scope", "unauthorized"]


def bearer() -> str | None:
    """The value of `Authorization: Bearer <value>`, if any."""
    scheme, _, value = request.headers.get("Authorization", "").partition(" ")
    return (value.strip() or None) if scheme.lower() == "bearer" else None


def unauthorized(message: str, fields: dict):
    """A 401 that tells the client to authenticate with a bearer token."""
    body, status = error_response(401, "unauthorized", message, fields)
    return body, status, {"WWW-Authenticate": "Bearer"}


def authenticate(scope: str):
    """The request's token if it is live and holds `scope`: (token, None), else (None, the 401/403).

    Sets `g.api_token` and notes when the token was last used (at most once a minute).
    """
    text = bearer()
    if text is None:
        return None, unauthorized("This endpoint needs an API token: Authorization: Bearer pt_...",
                                  {"authorization": "missing"})
    s = db_session()
    token = find_token(s, text)
    now = utcnow()
    if token is None or not token.user.active:
        return None, unauthorized("The API token is not valid.", {"authorization": "unknown token"})
    if token.revoked_at is not None:
        return None, unauthorized("The API token was revoked.", {"authorization": "revoked"})
    if not token.is_live(now):
        return None, unauthorized("The API token has expired.", {"authorization": "expired"})
    # An account that lost the right to a scope (a case worker made an employer) loses it here too.
    if scope not in token.scope_list or scope not in allowed_scopes(token.user):
        return None, error_response(403, "forbidden", f"This API token does not have the {scope} scope.",
                                    {"scope": f"needs {scope}"})
    if token.last_used_at is None or now - token.last_used_at >= TOUCH_EVERY:
        token.last_used_at = now
        s.commit()
    g.api_token = token
    return token, None


def require_scope(scope: str):
    """Let an API view run only for a live token that holds `scope` (see `authenticate`)."""
    if scope not in SCOPES:
        raise ValueError(f"unknown scope {scope!r}")

    def decorate(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            _token, err = authenticate(scope)
            return err if err else view(*args, **kwargs)
        return wrapped
    return decorate
