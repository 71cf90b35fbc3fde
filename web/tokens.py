"""API tokens with scopes: issue, revoke, find (the check on API views is web/api/auth.py).

A token is `pt_` and 256 random bits, shown once when it is made; only its SHA-256 is
kept. API clients send it as `Authorization: Bearer pt_...`. Every request looks the
token up in the database (no cache), so a revoked token stops working at once.
"""
from __future__ import annotations

import secrets
from collections.abc import Iterable
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import ADMIN, ApiToken, User, utcnow
from models.token import token_digest

from .constants import ADMIN_SCOPES, DEFAULT_DAYS, MAX_DAYS, SCOPES, TOKEN_PREFIX

__all__ = [
    "ADMIN_SCOPES",
    "SCOPES",
    "TOKEN_PREFIX",
    "allowed_scopes",
    "find_token",
    "issue_token",
    "revoke_token",
]

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


def find_token(session: Session, text: str) -> ApiToken | None:
    """The token row whose text this is, live or not; None for no such token."""
    if not text.startswith(TOKEN_PREFIX) or len(text) > 200:
        return None
    # An index lookup by the hash: timing reveals nothing, as finding a hash's preimage is infeasible.
    return session.scalars(select(ApiToken).where(ApiToken.token_hash == token_digest(text))).first()
