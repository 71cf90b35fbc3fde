"""The Flask front end: validate, save, enqueue, render. It never loads a model."""
from __future__ import annotations

import logging

from flask import Flask

from config import Settings, load_settings

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
    register_template_helpers(app)
    return app


def register_extensions(app: Flask, settings: Settings) -> None:
    from config.mobility import load_knowledge_base
    from models import Database
    from worker.queueing import connect

    from .extensions import close_session, csrf

    # Validated now: a broken data file stops start-up with the file, field and reason.
    app.extensions["puente_knowledge"] = load_knowledge_base(settings.mobility_dir)
    app.extensions["puente_db"] = Database(settings.database_url)
    app.extensions["puente_redis"] = connect(settings.redis_url)
    csrf.init_app(app)
    from .accounts import init_accounts
    from .security import init_security

    init_security(app, settings)
    init_accounts(app)
    app.teardown_appcontext(close_session)


def register_blueprints(app: Flask) -> None:
    from . import (
        accounts,
        admin,
        api,
        health,
        home,
        insights,
        mobility,
        openapi,
        profiles,
        suggest,
        vacancies,
    )
    from .extensions import csrf

    # API clients send JSON, not forms; they hold no session cookie
    for module in (api, mobility, insights):
        csrf.exempt(module.bp)
    for module in (home, profiles, vacancies, accounts, admin, api, mobility, insights, suggest, health,
                   openapi):
        app.register_blueprint(module.bp)
    admin.mount_rq_dashboard(app, app.extensions["puente_settings"])


def register_errorhandlers(app: Flask) -> None:
    from .errors import register_errorhandlers as register

    register(app)


def register_commands(app: Flask) -> None:
    import click

    @app.cli.command("db-upgrade")
    def db_upgrade():
        """Run the database migrations."""
        from models import upgrade

        upgrade(app.extensions["puente_settings"].database_url)
        click.echo("database up to date")


def occupation_label(occupation: dict | None, locale: str | None = None) -> str:
    """The ESCO label of a linked occupation in the reader's language (else Spanish, else English)."""
    from .i18n import locale as current

    if not occupation:
        return ""
    labels = occupation.get("labels") or {}
    for lang in (locale or current(), "es", "pt", "en"):
        if labels.get(lang):
            return labels[lang]
    return ""


def register_template_helpers(app: Flask) -> None:
    from urllib.parse import urlencode

    from flask_babel import format_datetime, format_decimal, format_percent, ngettext

    from matching.explain import country_name, language_name

    from .forms import EDUCATION_LABELS, LEVEL_SHORT
    from .i18n import init_i18n, locale

    init_i18n(app)

    def years(value) -> str:
        value = float(value or 0)
        return ngettext("%(count)s año", "%(count)s años", 1 if value == 1 else 2,
                        count=format_decimal(value, "#,##0.#"))

    app.jinja_env.globals.update(
        country_name=lambda code: country_name(code, locale()) if code else "",
        language_name=lambda code: language_name(code, locale()).capitalize() if code else "",
        education_label=lambda level: str(EDUCATION_LABELS.get(level or "", "")),
        level_short=lambda level: str(LEVEL_SHORT.get(level or "", level)),
        years=years,
        occupation_label=occupation_label,
    )
    app.jinja_env.filters.update(
        pct=lambda value: format_percent(float(value or 0)),
        num=lambda value: format_decimal(value),
        when=lambda value: format_datetime(value, "medium"),
        merge_lang=lambda args, code: urlencode({**args.to_dict(), "lang": code}),
    )
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
