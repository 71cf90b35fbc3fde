"""Extensions, created unbound here and bound to the app in the factory."""
from __future__ import annotations

import logging

from flask import current_app, g
from flask_wtf import CSRFProtect
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

log = logging.getLogger(__name__)

csrf = CSRFProtect()


def database():
    """Return the app's `models.Database` (its engine and session factory)."""
    return current_app.extensions["puente_db"]


def db_session() -> Session:
    """Return this request's database session (opened on first use, closed at teardown)."""
    if "db_session" not in g:
        g.db_session = database().sessionmaker()
    return g.db_session


def redis_conn():
    """Return the app's Redis connection (connects lazily, on first command)."""
    return current_app.extensions["puente_redis"]


def settings():
    """Return the app's `config.Settings`."""
    return current_app.extensions["puente_settings"]


def knowledge():
    """Return the app's mobility knowledge base (`matching.knowledge.KnowledgeBase`)."""
    return current_app.extensions["puente_knowledge"]


def close_session(_exc=None) -> None:
    """Give this request's connection back (at teardown, after the answer was made).

    A connection the database dropped cannot be rolled back on its way back to the pool:
    it is thrown away instead. Raising here would turn an answer already made into the
    server's bare 500, outside every error handler.
    """
    discard_session()


def discard_session() -> None:
    """Close this request's session now (at teardown, or in an error handler after a database
    error, so that an error page's own reads start on a fresh connection); a connection that
    cannot be given back is thrown away. Never raises."""
    session = g.pop("db_session", None)
    if session is None:
        return
    try:
        session.close()
    except SQLAlchemyError as exc:
        log.warning("database connection lost (%s): discarded", type(exc).__name__)
        try:
            session.invalidate()
        except SQLAlchemyError as again:   # nothing left to give back
            log.warning("database connection not discarded cleanly (%s)", type(again).__name__)
