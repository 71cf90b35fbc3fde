"""One JSON error shape for the API, and error pages for people."""
from __future__ import annotations

import logging

from flask import jsonify, render_template, request
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

log = logging.getLogger(__name__)


def error_response(status: int, error: str, message: str, fields: dict | None = None):
    """Return `{"error", "message", "fields"}` with `status`."""
    body = {"error": error, "message": message, "fields": fields or {}}
    return jsonify(body), status


def _wants_json() -> bool:
    return request.path.startswith("/api/") or request.path == "/healthz" or (
        request.accept_mimetypes.best == "application/json")


_PAGES = {
    400: _l("La solicitud no es válida."),
    404: _l("No encontramos esta página."),
    405: _l("Este método no está permitido aquí."),
    413: _l("Lo que envió es demasiado grande."),
    414: _l("Lo que envió es demasiado grande."),   # an address too long: the same words
    429: _l("Demasiadas solicitudes. Intente de nuevo en un momento."),
    500: _l("Algo falló de nuestro lado. Sus datos guardados están a salvo; intente de nuevo."),
    503: _l("Puente no está disponible por un momento y no se guardó nada. Vuelva atrás e intente de nuevo "
            "en unos minutos: lo que escribió sigue en el formulario."),
}
RETRY_AFTER = "60"   # seconds: a database restart or fail-over


_EXPIRED = _l("El formulario caducó por seguridad. Revise sus datos y pulse de nuevo el botón para enviarlo.")


def _database_away(exc: Exception) -> bool:
    """Whether `exc` says the database cannot be reached (refused, dropped, restarting)."""
    from sqlalchemy.exc import DBAPIError, OperationalError

    return isinstance(exc, OperationalError) or (isinstance(exc, DBAPIError) and exc.connection_invalidated)


def register_errorhandlers(app) -> None:
    """Answer every HTTP error as JSON under /api and as a page elsewhere."""

    def handle_http(exc: HTTPException):
        code = exc.code or 500
        if code == 413 and request.endpoint == "admin.import_csv" and not _wants_json():
            from .admin import import_too_large

            page = import_too_large()   # the import page, with the file's size named where it belongs
            if page is not None:
                return page
        # What the error tells the client beyond its body: Allow on a 405 (RFC 9110), Retry-After, WWW-Authenticate.
        headers = [(k, v) for k, v in exc.get_headers() if k.lower() != "content-type"]
        if _wants_json():
            name = (exc.name or "error").lower().replace(" ", "_")
            return (*error_response(code, name, exc.description or exc.name), headers)
        return render_template("error.html", code=code, message=_PAGES.get(code, exc.name)), code, headers

    def handle_unexpected(exc: Exception):
        # The class name only: exception texts may carry personal data.
        if _database_away(exc):   # not a bug: the database is down or restarting; a transaction never half-saves
            log.error("database unavailable (%s) on %s %s", type(exc).__name__, request.method, request.url_rule)
            if _wants_json():
                return (*error_response(503, "unavailable", "The database cannot be reached; nothing was saved. "
                                        "Try again in a minute."), {"Retry-After": RETRY_AFTER})
            return render_template("error.html", code=503, message=_PAGES[503]), 503, {"Retry-After": RETRY_AFTER}
        log.error("unhandled %s on %s %s", type(exc).__name__, request.method, request.url_rule)
        if _wants_json():
            return error_response(500, "internal_error", "Something failed on our side; nothing was half-saved.")
        return render_template("error.html", code=500, message=_PAGES[500]), 500

    def handle_csrf(exc: CSRFError):
        # A form left open too long on a phone: keep what was typed and ask to send again.
        from . import profiles, vacancies

        forms = {"profiles.new": profiles.render_form, "vacancies.new": vacancies.render_form}
        if request.endpoint in forms:
            return forms[request.endpoint]({"csrf": str(_EXPIRED)}, 400)
        if request.endpoint == "profiles.edit":   # the changes typed are kept too
            profile = profiles.profile_or_none((request.view_args or {}).get("public_id", ""))
            if profile is not None:
                return profiles.render_form({"csrf": str(_EXPIRED)}, 400, profile=profile)
        return handle_http(exc)

    app.register_error_handler(CSRFError, handle_csrf)
    app.register_error_handler(HTTPException, handle_http)
    app.register_error_handler(Exception, handle_unexpected)
