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

__all__ = ["LOCALES", "PREPOSITIONS", "country_in", "country_name", "country_phrase", "language_name"]

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


# "in/of/from <country>": Portuguese joins the preposition to the country's article ("no
# Peru", "da Colômbia", "nos Estados Unidos"); a country named without one takes "em"/"de"
# ("em Cuba", "de Portugal"). English puts "the" before a few names ("in the Dominican Republic").
_PT_ARTICLE = {
    "o": {"BR", "CA", "CL", "EC", "EG", "HT", "JP", "MA", "MX", "PA", "PE", "PY", "SN", "UY",
          "GB", "VN", "LB", "IQ", "IR", "PK", "NP", "SR"},
    "a": {"AR", "BO", "CN", "CO", "CR", "DO", "GY", "VE", "DE", "ES", "FR", "IT", "GT", "NI", "GF", "IN", "RU",
          "CH", "SY", "TR", "UA", "NG", "BE", "SE", "NO", "PL", "GR", "JM", "AU", "NZ", "ZA", "KR", "IE"},
    "os": {"US", "NL", "AE"},
    "as": {"PH", "BS"},
}
_PT_ARTICLE_BY_CODE = {code: art for art, codes in _PT_ARTICLE.items() for code in codes}
_PT_JOIN = {"in": "n", "of": "d", "from": "d"}
_PT_BARE = {"in": "em", "of": "de", "from": "de"}
_ES = {"in": "en", "of": "de", "from": "de"}
_EN_THE = {"DO", "US", "GB", "NL", "PH", "AE", "BS", "CF", "KY", "VG", "TC"}
PREPOSITIONS = ("in", "of", "from")


def country_phrase(code: str, locale: str = "es", preposition: str = "in", name: str | None = None) -> str:
    """Say "in/of/from <country>" in the reader's language: "en Perú", "no Peru", "da Colômbia".

    Args:
        code: an ISO 3166 alpha-2 code, in either case.
        locale: the reader's language.
        preposition: "in", "of" or "from".
        name: the name to use (default: `country_name`), such as the knowledge base's.

    Returns:
        The phrase, with Portuguese's contractions (no/na/nos/nas, do/da/dos/das, else
        em/de) and English's "the" where the name takes one.
    """
    locale = supported_locale(locale)
    code = (code or "").upper()
    name = name or country_name(code, locale)
    if locale == "pt":
        article = _PT_ARTICLE_BY_CODE.get(code)
        return f"{_PT_JOIN[preposition]}{article} {name}" if article else f"{_PT_BARE[preposition]} {name}"
    if locale == "en":
        return f"{preposition} the {name}" if code in _EN_THE else f"{preposition} {name}"
    return f"{_ES[preposition]} {name}"


def country_in(code: str, locale: str = "es", name: str | None = None) -> str:
    """Say "in <country>" in the reader's language (see `country_phrase`)."""
    return country_phrase(code, locale, "in", name)


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
