"""Names of countries and languages in the reader's language (es, pt, en).

Stored explanations hold codes only; names and sentences are made when shown
(see `matching.eligibility.describe_step`).
"""
from __future__ import annotations

import gettext
from functools import lru_cache

__all__ = ["LOCALES", "country_name", "language_name"]

from .i18n import LOCALES

# Names the installed translations lack.
_NAMES = {("ht", "es"): "criollo haitiano", ("ht", "pt"): "crioulo haitiano", ("ht", "en"): "Haitian Creole"}


@lru_cache(maxsize=8)
def _translations(domain: str, locale: str):
    import pycountry

    if locale == "en":
        return gettext.NullTranslations()
    return gettext.translation(domain, pycountry.LOCALES_DIR, languages=[locale], fallback=True)


def country_name(code: str, locale: str = "es") -> str:
    """Return the country's common name in `locale` ('VE' -> 'Venezuela')."""
    import pycountry

    country = pycountry.countries.get(alpha_2=(code or "").upper())
    if country is None:
        return code
    name = getattr(country, "common_name", None) or country.name
    translated = _translations("iso3166-1", locale).gettext(name)
    return translated.split(",")[0]


def language_name(code: str, locale: str = "es") -> str:
    """Return the language's name in `locale` ('pt' -> 'portugués')."""
    import pycountry

    lang = pycountry.languages.get(alpha_2=(code or "").lower())
    if lang is None:
        return code
    if (code, locale) in _NAMES:
        return _NAMES[(code, locale)]
    name = _translations("iso639-3", locale).gettext(lang.name)
    # Spanish and Portuguese write language names in lower case mid-sentence.
    return name if locale == "en" else name.lower()
