"""`/healthz`: is the database reachable, is Redis reachable (JSON, as the API answers)."""
from __future__ import annotations

import logging

from flask import Blueprint
from spectree import Response
from sqlalchemy import text

from ..extensions import db_session, redis_conn
from ..responses import Health, dump
from .spec import spec

bp = Blueprint("health", __name__)
ADDRESS = "/healthz"
log = logging.getLogger(__name__)


@bp.get(ADDRESS)
@spec.validate(resp=Response("HTTP_400", "HTTP_414", HTTP_200=(Health, "The database and Redis answer."),
                             HTTP_503=(Health, "The database or Redis is down: the answer says which.")),
               operation_id="getHealth", security=[], skip_validation=True)
def healthz():
    """Whether Puente can serve: its database and its Redis."""
    parts = {}
    try:
        db_session().execute(text("SELECT 1"))
        parts["database"] = "ok"
    except Exception as exc:  # noqa: BLE001 - any failure means "down"; the class name is enough to debug
        log.warning("health: database %s", type(exc).__name__)
        parts["database"] = "down"
    try:
        redis_conn().ping()
        parts["redis"] = "ok"
    except Exception as exc:  # noqa: BLE001 - any failure means "down"
        log.warning("health: redis %s", type(exc).__name__)
        parts["redis"] = "down"
    ok = all(v == "ok" for v in parts.values())
    return dump(Health(status="ok" if ok else "down", **parts)), 200 if ok else 503
