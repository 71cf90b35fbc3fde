"""What the error handlers of both rooms share: telling a database outage from a bug."""
from __future__ import annotations

import logging

from flask import request
from sqlalchemy.exc import DBAPIError, OperationalError

__all__ = ["RETRY_AFTER", "database_away", "log_unexpected"]

log = logging.getLogger("web.errors")

RETRY_AFTER = "60"   # seconds: a database restart or fail-over


def database_away(exc: Exception) -> bool:
    """Whether `exc` says the database cannot be reached (refused, dropped, restarting)."""
    return isinstance(exc, OperationalError) or (isinstance(exc, DBAPIError) and exc.connection_invalidated)


def log_unexpected(exc: Exception) -> bool:
    """Log an unhandled exception by its class name only (its text may carry personal data);
    return whether it is the database being away (not a bug: a transaction never half-saves)."""
    if database_away(exc):
        log.error("database unavailable (%s) on %s %s", type(exc).__name__, request.method, request.url_rule)
        return True
    log.error("unhandled %s on %s %s", type(exc).__name__, request.method, request.url_rule)
    return False
