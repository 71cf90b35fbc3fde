"""The pages for people: always HTML, in their language, with their own error handlers."""
from __future__ import annotations

import datetime as dt
from urllib.parse import urlencode

from flask import Flask
from flask_babel import format_date, format_datetime, format_decimal, format_percent, gettext, ngettext
from flask_babel import lazy_gettext as _l

from matching.explain import country_in, country_name, language_name

from ..i18n import locale
from . import accounts, admin, applications, errors, home, insights, learning, profiles, vacancies
from .forms import EDUCATION_LABELS, LEVEL_SHORT

__all__ = ["errors", "occupation_label", "register_pages"]

BLUEPRINTS = (home, profiles, applications, vacancies, accounts, admin, learning, insights)


def register_pages(app: Flask) -> None:
    """The pages' blueprints, the queue monitor, and what their templates call."""
    for module in BLUEPRINTS:
        app.register_blueprint(module.bp)
    admin.mount_rq_dashboard(app, app.extensions["puente_settings"])
    register_template_helpers(app)


def occupation_label(occupation: dict | None, lang: str | None = None) -> str:
    """The ESCO label of a linked occupation in the reader's language (else Spanish, else English)."""
    if not occupation:
        return ""
    labels = occupation.get("labels") or {}
    for code in (lang or locale(), "es", "pt", "en"):
        if labels.get(code):
            return labels[code]
    return ""


def _years(value) -> str:
    value = float(value or 0)
    return ngettext("%(count)s año", "%(count)s años", 1 if value == 1 else 2,
                    count=format_decimal(value, "#,##0.#"))


def months(value) -> str:
    """A procedure's typical time: "menos de un mes", "alrededor de 1 mes", "alrededor de 3 meses"."""
    value = float(value or 0)
    if value < 0.75:
        return gettext("menos de un mes")
    return ngettext("alrededor de %(num)d mes", "alrededor de %(num)d meses", max(1, round(value)))


# The scoring dimensions as people read them: the score bars and the case workers' learning page.
DIMENSION_LABELS = {"semantic": _l("Perfil"), "skills": _l("Habilidades"), "occupation": _l("Ocupación"),
                    "experience": _l("Experiencia"), "education": _l("Estudios"), "language": _l("Idiomas"),
                    "location": _l("Ubicación"), "eligibility": _l("Trámites")}


def register_template_helpers(app: Flask) -> None:
    app.jinja_env.globals.update(
        country_name=lambda code: country_name(code, locale()) if code else "",
        country_in=lambda code: country_in(code, locale()) if code else "",
        language_name=lambda code: language_name(code, locale()).capitalize() if code else "",
        education_label=lambda level: str(EDUCATION_LABELS.get(level or "", "")),
        level_short=lambda level: str(LEVEL_SHORT.get(level or "", level)),
        years=_years,
        months=months,
        occupation_label=occupation_label,
        dimension_labels=lambda: {key: str(label) for key, label in DIMENSION_LABELS.items()},
    )
    app.jinja_env.filters.update(
        pct=lambda value: format_percent(float(value or 0)),
        num=lambda value: format_decimal(value),
        when=lambda value: format_datetime(value, "medium"),
        day=lambda value: format_date(dt.date.fromisoformat(value) if isinstance(value, str) else value, "long"),
        merge_lang=lambda args, code: urlencode({**args.to_dict(), "lang": code}),
    )
