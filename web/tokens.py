"""API tokens with scopes: issue, revoke, and the check on API views.

A token is `pt_` and 256 random bits, shown once when it is made; only its SHA-256 is
kept. API clients send it as `Authorization: Bearer pt_...`. Every request looks the
token up in the database (no cache), so a revoked token stops working at once.
"""
from __future__ import annotations

import secrets
from collections.abc import Iterable
from datetime import timedelta
from functools import wraps

from flask import g, request
from sqlalchemy import select
from sqlalchemy.orm import Session

from models import ADMIN, ApiToken, User, utcnow
from models.token import token_digest

from .errors import error_response
from .extensions import db_session

__all__ = [
    "ADMIN_SCOPES",
    "SCOPES",
    "TOKEN_PREFIX",
    "allowed_scopes",
    "authenticate",
    "bearer",
    "issue_token",
    "require_scope",
    "revoke_token",
    "unauthorized",
]

TOKEN_PREFIX = "pt_"

SCOPES = {
    "profiles:write": "Submit job seekers' profiles on their behalf (case workers only).",
    "vacancies:write": "Post vacancies for the token owner's organisation.",
    "candidates:read": "See the candidates of the organisation's own vacancies.",
}
# Submitting people's data on their behalf is for case workers, never for employers.
ADMIN_SCOPES = frozenset({"profiles:write"})

# A token outlives the session that made it, so it expires too: 90 days unless asked
# otherwise, a year at most. A leaked one stops working by itself.
DEFAULT_DAYS = 90
MAX_DAYS = 365
TOUCH_EVERY = timedelta(minutes=1)   # last_used_at is for people; a write per request is not worth it


def allowed_scopes(user: User) -> set[str]:
    """The scopes this account may hold."""
    return set(SCOPES) if user.role == ADMIN else set(SCOPES) - ADMIN_SCOPES


def _scope_list(scopes: str | Iterable[str]) -> list[str]:
    """Scopes from a space-separated string or a list, in order, once each; unknown ones refused."""
    names = scopes.split() if isinstance(scopes, str) else [str(s).strip() for s in scopes]
    names = list(dict.fromkeys(n for n in names if n))
    unknown = [n for n in names if n not in SCOPES]
    if unknown:
        raise ValueError(f"unknown scope: {', '.join(unknown)} (known: {', '.join(SCOPES)})")
    if not names:
        raise ValueError("a token needs at least one scope")
    return names


def issue_token(session: Session, user: User, scopes: str | Iterable[str], name: str,
                expires_in_days: int | None = None) -> tuple[ApiToken, str]:
    """Make a token for `user` and commit it.

    Returns:
        The saved row and the token's text: the only time the text exists outside the
        client, since only its hash is stored.

    Raises:
        ValueError: an unknown scope, no scope, no name, or an expiry out of 1..MAX_DAYS days
            (none given: DEFAULT_DAYS).
        PermissionError: a scope this account may not hold (profiles:write for an employer).
    """
    wanted = _scope_list(scopes)
    refused = [s for s in wanted if s not in allowed_scopes(user)]
    if refused:
        raise PermissionError(f"this account may not hold: {', '.join(refused)}")
    name = " ".join((name or "").split())[:100]
    if not name:
        raise ValueError("a token needs a name")
    expires_in_days = DEFAULT_DAYS if expires_in_days is None else expires_in_days
    if not 1 <= expires_in_days <= MAX_DAYS:
        raise ValueError(f"expiry must be 1 to {MAX_DAYS} days")
    text = TOKEN_PREFIX + secrets.token_urlsafe(32)
    now = utcnow()
    row = ApiToken(user_id=user.id, name=name, prefix=text[:10], token_hash=token_digest(text),
                   scopes=" ".join(wanted), created_at=now,
                   expires_at=now + timedelta(days=expires_in_days))
    session.add(row)
    session.commit()
    return row, text


def revoke_token(session: Session, token_row: ApiToken) -> None:
    """Revoke a token and commit: the next request with it is refused."""
    if token_row.revoked_at is None:
        token_row.revoked_at = utcnow()
    session.commit()


def bearer() -> str | None:
    """The value of `Authorization: Bearer <value>`, if any."""
    scheme, _, value = request.headers.get("Authorization", "").partition(" ")
    return (value.strip() or None) if scheme.lower() == "bearer" else None


def unauthorized(message: str, fields: dict):
    """A 401 that tells the client to authenticate with a bearer token."""
    body, status = error_response(401, "unauthorized", message, fields)
    return body, status, {"WWW-Authenticate": "Bearer"}


def _find(session: Session, text: str) -> ApiToken | None:
    if not text.startswith(TOKEN_PREFIX) or len(text) > 200:
        return None
    # An index lookup by the hash: timing reveals nothing, as finding a hash's preimage is infeasible.
    return session.scalars(select(ApiToken).where(ApiToken.token_hash == token_digest(text))).first()


def authenticate(scope: str):
    """The request's token if it is live and holds `scope`: (token, None), else (None, the 401/403).

    Sets `g.api_token` and notes when the token was last used (at most once a minute).
    """
    text = bearer()
    if text is None:
        return None, unauthorized("This endpoint needs an API token: Authorization: Bearer pt_...",
                                  {"authorization": "missing"})
    s = db_session()
    token = _find(s, text)
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
