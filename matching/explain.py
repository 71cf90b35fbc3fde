"""Names of countries and languages in the reader's language (es, pt, en), from CLDR
through Babel.

Stored explanations hold codes only; names and sentences are made when shown
(see `matching.eligibility.describe_step`).
"""
from __future__ import annotations

from functools import lru_cache

import pycountry
from babel import Locale

from .i18n import LOCALES, supported_locale

__all__ = ["LOCALES", "country_name", "language_name"]

# CLDR's Portuguese name for Haitian Creole is "haitiano", which reads as the nationality.
_CLDR_GAPS = {("ht", "pt"): "crioulo haitiano"}


@lru_cache(maxsize=len(LOCALES))
def _cldr(locale: str) -> Locale:
    return Locale.parse(supported_locale(locale))


def country_name(code: str, locale: str = "es") -> str:
    """Name a country in the reader's language.

    Args:
        code: an ISO 3166 alpha-2 code, in either case.
        locale: the reader's language (Spanish when Puente does not speak it).

    Returns:
        The country's short name ('VE' -> 'Venezuela'), or `code` itself when it is not a
        country's code (CLDR also names regions such as '419', which are not).
    """
    country = pycountry.countries.get(alpha_2=(code or "").upper())
    if country is None:
        return code
    name = _cldr(locale).territories.get(country.alpha_2) or getattr(country, "common_name", None) or country.name
    # "Hong Kong, RAE da China" -> "Hong Kong".
    return name.split(",")[0]


def language_name(code: str, locale: str = "es") -> str:
    """Name a language in the reader's language.

    Args:
        code: an ISO 639-1 code, in either case.
        locale: the reader's language (Spanish when Puente does not speak it).

    Returns:
        The language's name ('pt' -> 'portugués'), in lower case in Spanish and Portuguese,
        which write it so mid-sentence; `code` itself when it is not a language's code.
    """
    lang = pycountry.languages.get(alpha_2=(code or "").lower())
    if lang is None:
        return code
    locale = supported_locale(locale)
    name = _CLDR_GAPS.get((lang.alpha_2, locale)) or _cldr(locale).languages.get(lang.alpha_2) or lang.name
    return name if locale == "en" else name.lower()
