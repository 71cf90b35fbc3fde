"""The API's one error shape, `{"error", "message", "fields"}`, and its error handlers:
every error of an API view is JSON, whatever the client asked for."""
from __future__ import annotations

from flask import jsonify
from werkzeug.exceptions import HTTPException

from ..errors import AWAY, BUSY, database_trouble, log_unexpected, retry_after
from ..responses import ErrorOut, dump

__all__ = ["database_error", "error_response", "http_error", "register_errorhandlers", "unexpected_error"]


def error_response(status: int, error: str, message: str, fields: dict | None = None):
    """Return `{"error", "message", "fields"}` with `status`."""
    return jsonify(dump(ErrorOut(error=error, message=message, fields=fields or {}))), status


def http_error(exc: HTTPException):
    """An HTTP error as JSON, with what it tells beyond its body: Allow on a 405 (RFC 9110),
    Retry-After, WWW-Authenticate. A 500 that Flask made of a database error raised inside
    an error handler is the 503 of that error."""
    if exc.code == 500 and database_trouble(exc):
        return unexpected_error(exc)
    code = exc.code or 500
    headers = [(k, v) for k, v in exc.get_headers() if k.lower() != "content-type"]
    name = (exc.name or "error").lower().replace(" ", "_")
    return (*error_response(code, name, exc.description or exc.name), headers)


_TROUBLE = {
    AWAY: ("unavailable", "The database cannot be reached; nothing was saved. Try again in a minute."),
    BUSY: ("busy", "The database was busy with other requests; nothing was saved. Try again."),
}


def database_error(trouble: str):
    """503 with Retry-After: the database away (a minute) or busy (a second)."""
    error, message = _TROUBLE[trouble]
    return (*error_response(503, error, message), {"Retry-After": retry_after(trouble)})


def unexpected_error(exc: Exception):
    trouble = log_unexpected(exc)
    if trouble:
        return database_error(trouble)
    return error_response(500, "internal_error", "Something failed on our side; nothing was half-saved.")


def register_errorhandlers(bp) -> None:
    """Answer every error of the blueprint's views as JSON."""
    bp.register_error_handler(HTTPException, http_error)
    bp.register_error_handler(Exception, unexpected_error)
