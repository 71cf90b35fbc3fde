"""Turn the language-neutral steps of an explanation into sentences for a person.

Stored explanations hold codes and parameters only; the sentence is made when shown,
in the reader's language (es, pt, en).
"""
from __future__ import annotations

import gettext
from functools import lru_cache

__all__ = ["describe_steps", "country_name", "language_name", "LOCALES"]

LOCALES = ("es", "pt", "en")

_STEPS = {
    "work_permit": {
        "es": "Obtener un permiso de trabajo en {country}.",
        "pt": "Obter uma autorização de trabalho em {country}.",
        "en": "Get a work permit in {country}.",
    },
    "regularise": {
        "es": "Regularizar su situación migratoria en {country} para trabajar formalmente.",
        "pt": "Regularizar sua situação migratória em {country} para trabalhar formalmente.",
        "en": "Regularise your migration status in {country} to work formally.",
    },
    "recognise_degree": {
        "es": "Convalidar en {country} el título obtenido en {issued_in}.",
        "pt": "Revalidar em {country} o diploma obtido em {issued_in}.",
        "en": "Have your degree from {issued_in} recognised in {country}.",
    },
    "learn_language": {
        "es": "Mejorar su nivel de {language}.",
        "pt": "Melhorar seu nível de {language}.",
        "en": "Improve your {language}.",
    },
}


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
    name = _translations("iso639-3", locale).gettext(lang.name)
    # Spanish and Portuguese write language names in lower case mid-sentence.
    return name if locale == "en" else name.lower()


def describe_steps(steps: list[dict], locale: str = "es") -> list[str]:
    """Write each step as a sentence.

    Args:
        steps: the `steps` of a stored explanation.
        locale: "es", "pt" or "en"; anything else falls back to Spanish.

    Returns:
        One sentence per known step, in order.
    """
    locale = locale if locale in LOCALES else "es"
    out = []
    for step in steps:
        template = _STEPS.get(step.get("code", ""), {}).get(locale)
        if template is None:
            continue
        params = {
            "country": country_name(step.get("country", ""), locale),
            "issued_in": country_name(step.get("issued_in", ""), locale),
            "language": language_name(step.get("language", ""), locale),
        }
        out.append(template.format(**params))
    return out
