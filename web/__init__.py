"""The Flask front end: validate, save, enqueue, render. It never loads a model.

Two rooms: the JSON API (`web.api`, always JSON) and the pages (`web.pages`, always HTML).
Below both: extensions, constants, auth and sessions, security, i18n, the input and
input and output models (`schemas`, `responses`), the services. See docs/architecture.md.
"""
from __future__ import annotations

import logging

import click
from flask import Flask, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from config import Settings, load_settings
from config.mobility import load_knowledge_base
from models import Database, upgrade
from worker.queueing import connect

from . import api, pages
from .auth import init_auth
from .extensions import close_session, csrf
from .i18n import init_i18n
from .security import init_security

__all__ = ["create_app"]


def create_app(settings: Settings | None = None) -> Flask:
    """Build the app.

    Args:
        settings: a `config.Settings`; default: read from the environment.
    """
    settings = settings or load_settings()
    app = Flask(__name__)
    app.config.from_mapping(settings.flask_config())
    app.json.sort_keys = False
    app.extensions["puente_settings"] = settings
    register_extensions(app, settings)
    register_blueprints(app)
    register_errorhandlers(app)
    register_commands(app)
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    return app


def register_extensions(app: Flask, settings: Settings) -> None:
    # Validated now: a broken data file stops start-up with the file, field and reason.
    app.extensions["puente_knowledge"] = load_knowledge_base(settings.mobility_dir)
    app.extensions["puente_db"] = Database(settings.database_url)
    app.extensions["puente_redis"] = connect(settings.redis_url)
    csrf.init_app(app)
    init_security(app, settings)
    init_auth(app)
    init_i18n(app)
    app.teardown_appcontext(close_session)


def register_blueprints(app: Flask) -> None:
    api.register_api(app)
    pages.register_pages(app)


def register_errorhandlers(app: Flask) -> None:
    """The API's blueprints answer their own errors as JSON (web/api/errors.py); the app's
    handlers are the pages' (web/pages/errors.py), and take the rest."""
    app.register_error_handler(CSRFError, pages.errors.csrf_error)
    app.register_error_handler(HTTPException, lambda exc: _room().http_error(exc))
    app.register_error_handler(Exception, lambda exc: _room().unexpected_error(exc))


def _room():
    """The error handlers of the pages, or of the API for a request that no route took
    (a 404 or 405 from routing has no blueprint to ask: its address says whose it is)."""
    return api.errors if request.blueprint is None and api.owns_address() else pages.errors


def register_commands(app: Flask) -> None:
    @app.cli.command("db-upgrade")
    def db_upgrade():
        """Run the database migrations."""
        upgrade(app.extensions["puente_settings"].database_url)
        click.echo("database up to date")
