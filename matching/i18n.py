"""The languages Puente speaks, defined once for every room (core, worker, web), and the
core's way to translate.

Spanish is the default and the source language of the texts: a text the core shows a
person (a step, a reason) is written in Spanish in the code, marked with `N_` where it is
defined, and translated when shown with `translate(text, locale)`, from the gettext domain
`matching`: matching/translations/<locale>/LC_MESSAGES/matching.po, compiled to .mo, both
committed (the web's pages have their own catalogues under web/translations). Names of
countries and languages come from CLDR through Babel (`matching.explain`); facts that differ
per country (a permit's name, a procedure) are data in config/countries/, in three languages.

After changing a marked text, from the repository's root:

    .venv/bin/pybabel extract -F babel-matching.cfg --no-default-keywords -k N_ --add-comments=TRANSLATORS: --project=Puente \\
        --no-location --sort-output -o matching/translations/matching.pot .
    .venv/bin/pybabel update -D matching -i matching/translations/matching.pot -d matching/translations
    (translate the new entries in the .po files)
    .venv/bin/pybabel compile -D matching -d matching/translations

tests/test_i18n_core.py fails while a text is not extracted, translated or compiled.
"""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from babel.support import NullTranslations, Translations

__all__ = [
    "DEFAULT_LOCALE",
    "DOMAIN",
    "LOCALES",
    "N_",
    "TRANSLATIONS_DIR",
    "supported_locale",
    "translate",
    "translations",
]

LOCALES = ("es", "pt", "en")
DEFAULT_LOCALE = "es"
DOMAIN = "matching"
TRANSLATIONS_DIR = Path(__file__).resolve().parent / "translations"


def supported_locale(code: str | None, default: str = DEFAULT_LOCALE) -> str:
    """Return `code` when Puente speaks it, else `default`.

    Args:
        code: a language code such as "pt", or None.
        default: what to answer for a language Puente does not speak.

    Returns:
        One of LOCALES (or `default`).
    """
    return code if code in LOCALES else default


def N_(message: str) -> str:
    """Mark a text for extraction; it is translated where it is shown, with `translate`.

    Args:
        message: the text in Spanish.

    Returns:
        The same text.
    """
    return message


@lru_cache(maxsize=len(LOCALES))
def translations(locale: str) -> NullTranslations:
    """Return the core's catalogue for a language (read once per process).

    Args:
        locale: a language code; one Puente does not speak reads as Spanish.

    Returns:
        The catalogue; for Spanish, the source language, one that answers each text as is.

    Raises:
        FileNotFoundError: the compiled catalogue of a language Puente speaks is missing.
    """
    locale = supported_locale(locale)
    if locale == DEFAULT_LOCALE:
        return NullTranslations()
    found = Translations.load(str(TRANSLATIONS_DIR), [locale], DOMAIN)
    if not isinstance(found, Translations):
        raise FileNotFoundError(f"{TRANSLATIONS_DIR}/{locale}/LC_MESSAGES/{DOMAIN}.mo (see matching/i18n.py)")
    return found


def translate(message: str, locale: str) -> str:
    """Translate a text marked with `N_`.

    Args:
        message: the text in Spanish, as marked.
        locale: the reader's language.

    Returns:
        The text in that language.
    """
    return translations(locale).gettext(message)
