"""`/healthz`: is the database reachable, is Redis reachable (JSON, as the API answers)."""
from __future__ import annotations

import logging

from flask import Blueprint
from sqlalchemy import text

from ..extensions import db_session, redis_conn

bp = Blueprint("health", __name__)
ADDRESS = "/healthz"
log = logging.getLogger(__name__)


@bp.get(ADDRESS)
def healthz():
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
    return {"status": "ok" if ok else "down", **parts}, 200 if ok else 503
