"""Login sessions of employers and case workers, ended on the server.

Flask's session is a signed cookie: Flask refuses one signed longer ago than
PERMANENT_SESSION_LIFETIME, but every answer signs it anew, so a session in use would
never end, and a copy of the cookie taken before a logout would keep working. So a login
writes into the session when it began, a random id, and a mark of the password hash, and
each request checks them:

- older than PUENTE_SESSION_HOURS (default 8) since the login: ended, however busy;
- logged out: its id is kept in Redis until it would have expired anyway, and refused;
- the password changed, the account was deactivated or deleted: ended.

If Redis cannot be reached, a logout still clears the browser's cookie, and sessions
are not checked against the logged-out ids until Redis is back (a copied cookie then
works until its 8 hours are over): refusing every login while Redis is away would stop
the case workers' work, which Puente keeps going without Redis.
"""
from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
import time

from flask import current_app, session
from flask_login import login_user, logout_user
from redis.exceptions import RedisError

from .extensions import redis_conn, settings

log = logging.getLogger(__name__)

__all__ = ["end_session", "session_user_ok", "start_session"]

STARTED, SID, PASSWORD = "puente_login_at", "puente_sid", "puente_pw"
ENDED = "puente:session-ended:{}"


def _password_mark(user) -> str:
    """A keyed digest of the password hash: a new password ends the sessions of the old."""
    key = str(current_app.secret_key).encode()
    return hmac.new(key, user.password_hash.encode(), hashlib.sha256).hexdigest()[:32]


def start_session(user) -> None:
    """Log `user` in for PUENTE_SESSION_HOURS (no "remember me" cookie)."""
    session.clear()   # nothing from before the login is carried into it
    login_user(user, remember=False)
    session.permanent = True
    session[STARTED] = int(time.time())
    session[SID] = secrets.token_urlsafe(18)
    session[PASSWORD] = _password_mark(user)


def _forget() -> None:
    for key in (STARTED, SID, PASSWORD):
        session.pop(key, None)


def end_session() -> None:
    """Log out: this session id is refused from now on, wherever its cookie was copied."""
    sid = session.get(SID)
    if isinstance(sid, str):
        try:
            redis_conn().set(ENDED.format(sid), 1, ex=settings().session_lifetime)
        except RedisError as exc:
            log.warning("logout not recorded in Redis (%s): the cookie is cleared only in this browser",
                        type(exc).__name__)
    logout_user()
    session.clear()


def _ended(sid: str) -> bool:
    try:
        return bool(redis_conn().exists(ENDED.format(sid)))
    except RedisError as exc:
        log.warning("logged-out sessions not checked: Redis unavailable (%s)", type(exc).__name__)
        return False


def session_user_ok(user) -> bool:
    """Whether this request's session may still act as `user`; if not, it is emptied."""
    started, sid, mark = session.get(STARTED), session.get(SID), session.get(PASSWORD)
    now = time.time()
    ok = (user is not None and user.active and isinstance(started, int) and isinstance(sid, str)
          and isinstance(mark, str) and started - 60 <= now < started + settings().session_lifetime
          and hmac.compare_digest(mark, _password_mark(user)) and not _ended(sid))
    if not ok:
        session.pop("_user_id", None)
        session.pop("_fresh", None)
        _forget()
    return ok
