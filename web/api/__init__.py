"""The JSON API under /api/v1, and /healthz: always JSON, its own error handlers.

Who may do what: posting profiles needs an API token with `profiles:write`, posting
vacancies one with `vacancies:write` (web/api/auth.py). A vacancy's candidates need its
key or a `candidates:read` token of its organisation. A profile's own endpoints need only
its public id, which is the person's private capability. Everything else is open.
"""
from __future__ import annotations

from flask import Blueprint, Flask, request

from ..extensions import csrf
from . import (
    applications,
    errors,
    health,
    insights,
    mobility,
    openapi,
    placements,
    profiles,
    rankings,
    suggest,
    vacancies,
)
from .errors import register_errorhandlers

__all__ = ["URL_PREFIX", "bp", "errors", "owns_address", "register_api"]

URL_PREFIX = "/api/v1"

bp = Blueprint("api", __name__, url_prefix=URL_PREFIX)
AREAS = (profiles, vacancies, rankings, applications, mobility, insights, placements, suggest, openapi)
for _area in AREAS:
    bp.register_blueprint(_area.bp)
register_errorhandlers(bp)
register_errorhandlers(health.bp)


def register_api(app: Flask) -> None:
    # API clients send JSON, not forms; they hold no session cookie. Flask-WTF looks a
    # nested blueprint up by its own name, so each area is exempted.
    for blueprint in (bp, *(area.bp for area in AREAS)):
        csrf.exempt(blueprint)
    app.register_blueprint(bp)
    app.register_blueprint(health.bp)


def owns_address() -> bool:
    """Whether a request that no route took (a 404 or 405 from routing, before any blueprint
    is known) was meant for the API: the address is then all there is to go by."""
    return request.path.startswith(URL_PREFIX + "/") or request.path in (URL_PREFIX, health.ADDRESS)
