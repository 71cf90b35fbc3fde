"""Languages of the pages: Spanish (the default and the source language of the texts),
Portuguese and English, through Flask-Babel.

The reader's choice comes from `?lang=` (remembered in a cookie for a year), then the
cookie, then the browser's Accept-Language, then Spanish. Texts are marked in templates
with `_()` and in Python with `gettext`/`lazy_gettext`; the catalogues are
web/translations/<locale>/LC_MESSAGES/messages.po (compiled to .mo, both committed).
Update them with:

    .venv/bin/pybabel extract -F babel.cfg -k lazy_gettext -k _l --no-location --sort-output -w 100 \
        -o web/translations/messages.pot .
    .venv/bin/pybabel update --no-fuzzy-matching -w 100 -i web/translations/messages.pot -d web/translations
    (translate the new entries in the .po files)
    .venv/bin/pybabel compile -d web/translations

Validation messages (web/validation.py) are in the same catalogues, marked with `N_`.
"""
from __future__ import annotations

from babel import Locale
from flask import g, request
from flask_babel import Babel, get_locale

from matching.i18n import LOCALES

__all__ = ["LOCALES", "LOCALE_NAMES", "init_i18n", "locale"]

# Each language named in itself, from CLDR (Español, Português, English).
LOCALE_NAMES = {code: Locale.parse(code).get_display_name(code).capitalize() for code in LOCALES}
COOKIE = "lang"


def _select() -> str:
    chosen = request.args.get("lang")
    if chosen in LOCALES:
        g.set_lang_cookie = chosen
        return chosen
    if request.cookies.get(COOKIE) in LOCALES:
        return request.cookies[COOKIE]
    return request.accept_languages.best_match(LOCALES) or "es"


def locale() -> str:
    """The reader's language code: es, pt or en."""
    return str(get_locale() or "es")


def init_i18n(app) -> None:
    Babel(app, locale_selector=_select, default_locale="es", default_translation_directories="translations")

    @app.after_request
    def remember(response):
        chosen = g.pop("set_lang_cookie", None)
        if chosen:
            response.set_cookie(COOKIE, chosen, max_age=365 * 24 * 3600, samesite="Lax",
                                secure=app.config.get("SESSION_COOKIE_SECURE", False), httponly=True)
        return response

    @app.context_processor
    def languages():
        return {"locale": locale(), "locales": LOCALE_NAMES}
