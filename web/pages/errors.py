"""Error pages for people, in their language: the pages' handlers (always HTML)."""
from __future__ import annotations

from flask import render_template, request
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from ..errors import RETRY_AFTER, log_unexpected
from .admin import import_too_large
from .profiles import profile_or_none
from .profiles import render_form as profile_form
from .vacancies import render_form as vacancy_form

__all__ = ["csrf_error", "http_error", "unexpected_error"]

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

_EXPIRED = _l("El formulario caducó por seguridad. Revise sus datos y pulse de nuevo el botón para enviarlo.")


def http_error(exc: HTTPException):
    code = exc.code or 500
    if code == 413 and request.endpoint == "admin.import_csv":
        page = import_too_large()   # the import page, with the file's size named where it belongs
        if page is not None:
            return page
    # What the error tells the client beyond its body: Allow on a 405 (RFC 9110), Retry-After, WWW-Authenticate.
    headers = [(k, v) for k, v in exc.get_headers() if k.lower() != "content-type"]
    return render_template("error.html", code=code, message=_PAGES.get(code, exc.name)), code, headers


def unexpected_error(exc: Exception):
    if log_unexpected(exc):
        return render_template("error.html", code=503, message=_PAGES[503]), 503, {"Retry-After": RETRY_AFTER}
    return render_template("error.html", code=500, message=_PAGES[500]), 500


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
