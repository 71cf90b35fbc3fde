"""Extensions, created unbound here and bound to the app in the factory."""
from __future__ import annotations

from flask import current_app, g
from flask_wtf import CSRFProtect
from sqlalchemy.orm import Session

csrf = CSRFProtect()


def db_session() -> Session:
    """Return this request's database session (opened on first use, closed at teardown)."""
    if "db_session" not in g:
        g.db_session = current_app.extensions["puente_db"].sessionmaker()
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
    session = g.pop("db_session", None)
    if session is not None:
        session.close()
