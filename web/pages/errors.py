"""Error pages for people, in their language: the pages' handlers (always HTML)."""
from __future__ import annotations

import logging

from flask import render_template, request
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from ..auth import login_manager
from ..errors import BUSY, database_trouble, log_unexpected, retry_after
from ..extensions import discard_session
from .admin import import_too_large
from .profiles import profile_or_none
from .profiles import render_form as profile_form
from .vacancies import render_form as vacancy_form

__all__ = ["csrf_error", "error_page", "http_error", "unexpected_error"]

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

_BUSY = _l("Puente está muy ocupado en este momento y no se guardó nada. Vuelva atrás e intente de nuevo en unos "
           "segundos: lo que escribió sigue en el formulario.")

_EXPIRED = _l("El formulario caducó por seguridad. Revise sus datos y pulse de nuevo el botón para enviarlo.")


log = logging.getLogger("web.errors")


def error_page(code: int, message, headers=None):
    """The error page in the reader's language. If rendering it fails (every page reads the
    login's account, from the database that just failed), it is rendered again as for a
    visitor who is not logged in: an error page never raises out of its handler, where the
    server would answer a bare 500."""
    try:
        body = render_template("error.html", code=code, message=message)
    except Exception as exc:  # noqa: BLE001 - whatever failed, the visitor's page follows
        log.warning("error page %s rendered without the login (%s)", code, type(exc).__name__)
        discard_session()
        login_manager._update_request_context_with_user()   # Flask-Login's own: this request's user is anonymous
        body = render_template("error.html", code=code, message=message)
    return body, code, headers or {}


def http_error(exc: HTTPException):
    code = exc.code or 500
    if code == 500 and database_trouble(exc):   # a database error raised inside an error handler
        return unexpected_error(exc)
    if code == 413 and request.endpoint == "admin.import_csv":
        page = import_too_large()   # the import page, with the file's size named where it belongs
        if page is not None:
            return page
    # What the error tells the client beyond its body: Allow on a 405 (RFC 9110), Retry-After, WWW-Authenticate.
    headers = [(k, v) for k, v in exc.get_headers() if k.lower() != "content-type"]
    return error_page(code, _PAGES.get(code, exc.name), headers)


def unexpected_error(exc: Exception):
    trouble = log_unexpected(exc)
    if trouble:
        return error_page(503, _BUSY if trouble == BUSY else _PAGES[503], {"Retry-After": retry_after(trouble)})
    return error_page(500, _PAGES[500])


def csrf_error(exc: CSRFError):
    """A form left open too long on a phone: keep what was typed and ask to send again."""
    forms = {"profiles.new": profile_form, "vacancies.new": vacancy_form}
    if request.endpoint in forms:
        return forms[request.endpoint]({"csrf": str(_EXPIRED)}, 400)
    if request.endpoint == "profiles.edit":   # the changes typed are kept too
        profile = profile_or_none((request.view_args or {}).get("public_id", ""))
        if profile is not None:
            return profile_form({"csrf": str(_EXPIRED)}, 400, profile=profile)
    return http_error(exc)
