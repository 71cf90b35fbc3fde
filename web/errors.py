"""What the error handlers of both rooms share: telling the database's troubles from a bug.

Two troubles, both a 503 with Retry-After, and never a 500 (a transaction never half-saves):

- AWAY: the database cannot be reached (refused, dropped, restarting, a connection cut by
  the server or a fail-over). Try again in a minute.
- BUSY: the database refused this transaction for another one (a deadlock, a serialization
  failure, a lock or statement timeout, SQLite's "database is locked", the pool out of
  connections). The database is there; trying again at once will most likely work.

An error page must not meet the same trouble again: `discard_session` drops the request's
session before the handler renders anything, and the pages' handler renders the page a
second time without the account menu if the first rendering still fails
(web/pages/errors.py).
"""
from __future__ import annotations

import logging

from flask import request
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from models.base import retryable, sqlstate

from .extensions import discard_session

__all__ = ["AWAY", "BUSY", "RETRY_AFTER", "RETRY_AFTER_BUSY", "database_trouble", "log_unexpected",
           "retry_after"]

log = logging.getLogger("web.errors")

AWAY, BUSY = "away", "busy"
RETRY_AFTER = "60"       # seconds: a database restart or fail-over
RETRY_AFTER_BUSY = "1"   # a deadlock or serialization failure: the other transaction is done by then

# Besides a conflict the transaction lost (models.retryable: a deadlock, a serialization
# failure, SQLite busy), PostgreSQL's lock_not_available (lock_timeout) and query_canceled
# (statement_timeout).
TIMEOUT_SQLSTATES = frozenset({"55P03", "57014"})


def _causes(exc: BaseException):
    """`exc`, what it was raised from or during, and the original exception of a 500 that
    Flask made of an error raised inside an error handler."""
    seen = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        yield exc
        exc = getattr(exc, "original_exception", None) or exc.__cause__ or exc.__context__


def _kind(exc: BaseException) -> str | None:
    if isinstance(exc, PoolTimeout):
        return BUSY
    if not isinstance(exc, DBAPIError):
        return None
    if retryable(exc) or (not exc.connection_invalidated and sqlstate(exc) in TIMEOUT_SQLSTATES):
        return BUSY
    if exc.connection_invalidated or isinstance(exc, OperationalError | InterfaceError):
        return AWAY
    return None


def database_trouble(exc: BaseException) -> str | None:
    """AWAY, BUSY, or None when `exc` (or what it came from) is not the database's trouble."""
    for cause in _causes(exc):
        kind = _kind(cause)
        if kind:
            return kind
    return None


def retry_after(trouble: str) -> str:
    return RETRY_AFTER_BUSY if trouble == BUSY else RETRY_AFTER


def log_unexpected(exc: Exception) -> str | None:
    """Log an unhandled exception by its class name only (its text may carry personal data);
    return the database's trouble (AWAY or BUSY: not a bug), or None. On a trouble the
    request's session is dropped, so that the error page starts on a fresh connection."""
    trouble = database_trouble(exc)
    if trouble:
        discard_session()
        level = logging.WARNING if trouble == BUSY else logging.ERROR
        log.log(level, "database %s (%s) on %s %s", trouble, type(exc).__name__, request.method, request.url_rule)
        return trouble
    log.error("unhandled %s on %s %s", type(exc).__name__, request.method, request.url_rule)
    return None
