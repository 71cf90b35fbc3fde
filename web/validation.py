"""How a refused input reads: one message per kind of error, from the Babel catalogues.

The kind is pydantic's error *type* (`missing`, `string_too_long`, ...) or one of ours,
raised with that type by the models in web/schemas.py (`country_code`, `no_words`, ...),
and its *context* (the bounds of a number, the country of a status). Texts are written in
Spanish, the source language, marked with `N_` and translated in
web/translations/<locale>/LC_MESSAGES/messages.po like every text of the pages; they are
read here through Babel directly, so that a message can be written in any language
without a request (the API answers in English, a CSV import in the case worker's).
"""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from annotated_types import Ge, Gt, Le, Lt, MaxLen
from babel.support import NullTranslations, Translations
from pydantic import BaseModel, ValidationError

from matching.explain import country_name
from matching.i18n import LOCALES

__all__ = ["MESSAGES", "field_errors", "message"]

TRANSLATIONS = Path(__file__).resolve().parent / "translations"


def N_(text: str) -> str:
    """Mark a text for the catalogues (pybabel extracts `N_`); it is translated when used."""
    return text


MESSAGES = {
    "missing": N_("Este campo es obligatorio."),
    "consent": N_("Debe aceptar el uso de sus datos para poder buscar empleos."),
    "country_code": N_("Elija un país válido."),
    "language_code": N_("Elija un idioma válido."),
    "nothing_to_match": N_("Cuéntenos algo de usted: un resumen, un empleo anterior o sus habilidades."),
    "reason_not_allowed": N_("Un motivo solo acompaña a «no seleccionada»."),
    "missing_group": N_("Elija un grupo: un país donde viven (y si quiere una ciudad) o una lista de candidatos."),
    "future_date": N_("Escriba el día en que pasó: no puede ser una fecha futura."),
    "not_a_candidate": N_("Esta persona no es candidata de esa vacante ni se postuló a ella: revise los dos números."),
    "duplicate_language": N_("Hay un idioma repetido."),
    "too_long": N_("Es demasiado largo (máximo %(max)s)."),
    "no_words": N_("Escriba al menos una palabra."),
    "control_character": N_("Hay caracteres no válidos."),
    "too_short": N_("Este campo es obligatorio."),
    "number": N_("Escriba un número válido."),
    "range": N_("Escriba un número entre %(min)s y %(max)s."),
    "choice": N_("Elija una de las opciones."),
    "extra": N_("Campo desconocido."),
    "status_choice": N_("Elija su situación en el país donde vive (%(country)s): una opción del grupo «%(country)s»."),
    "level_choice": N_("Elija un nivel de estudios de la lista."),
    "country_choice": N_("Puente aún no tiene las normas de este país."),
    "invalid": N_("Valor no válido."),
    "list": N_("Envíe una lista."),
    "text": N_("Envíe un texto."),
}

# What API clients read instead, where the valid values or the expected form say more
# (the API's language is English; the texts are in the same catalogues).
API_MESSAGES = {
    "object": N_("Envíe un objeto JSON."),
    "pattern": N_("No tiene la forma esperada."),
    "isco_pattern": N_("No tiene la forma esperada: un código ISCO-08 de 1 a 4 dígitos."),
    "choice": N_("Elija una de estas opciones: %(expected)s."),
    "status_choice": N_("Situación desconocida para este país. Valores válidos para %(country)s: %(valid)s."),
    "level_choice": N_("Nivel de estudios desconocido. Indique un nivel ISCED 2011 (%(levels)s), un número de 0 a 8 "
                       "o el nombre de un título nacional de %(country)s (%(names)s)."),
    "level_choice_any": N_("Nivel de estudios desconocido. Indique un nivel ISCED 2011 (%(levels)s), un número de 0 a "
                           "8, o el nombre de un título nacional junto con el país de los estudios (un nombre como "
                           "«bachiller» indica niveles distintos según el país)."),
    "country_choice": N_("Puente aún no tiene las normas de este país. Valores válidos: %(valid)s."),
    "country_code": N_("Indique un código de país ISO 3166 alfa-2, como CO."),
    "language_code": N_("Indique un código de idioma ISO 639-1, como es."),
}
_API_ONLY = {"country_code", "language_code", "status_choice", "level_choice", "level_choice_any", "country_choice"}

# pydantic's error types, by the message they get (ours are named as their message).
_PYDANTIC_TYPES = {
    "string_too_long": "too_long", "too_long": "too_long",
    "string_too_short": "too_short", "too_short": "too_short",
    "greater_than": "range", "greater_than_equal": "range", "less_than": "range", "less_than_equal": "range",
    "literal_error": "choice", "enum": "choice", "bool_parsing": "choice", "bool_type": "choice",
    "extra_forbidden": "extra",
    "list_type": "list", "string_type": "text",
}
_NUMBER_TYPES = ("float", "int", "finite")

_OBJECT_TYPES = ("model_type", "model_attributes_type", "dict_type")
_UNION_BRANCHES = ("function-after", "literal", "none")


@lru_cache(maxsize=len(LOCALES))
def _catalogue(locale: str) -> NullTranslations:
    return Translations.load(str(TRANSLATIONS), [locale])   # Spanish, the source: the texts as written


def message(key: str, locale: str, texts: dict = MESSAGES, **values) -> str:
    """The message for an error of this kind, in `locale`, with its values filled in."""
    text = _catalogue(locale).gettext(texts[key])
    return text % values if values else text


def _fmt(value, locale: str) -> str:
    if isinstance(value, float):
        text = f"{value:g}"
        return text.replace(".", ",") if locale in ("es", "pt") else text
    return str(value)


def _message_key(err: dict) -> str:
    kind = err["type"]
    loc = err.get("loc", ())
    if loc and loc[-1] == "consent":
        return "consent"
    if kind in MESSAGES:
        return kind
    if kind.startswith(_NUMBER_TYPES):
        return "number"
    return _PYDANTIC_TYPES.get(kind, "invalid")


def _field_at(model, loc) -> object | None:
    """The pydantic field at `loc` (list indexes skipped), or None."""
    info = None
    for part in loc:
        if isinstance(part, int) or model is None:
            continue
        info = getattr(model, "model_fields", {}).get(part)
        if info is None:
            return None
        ann = info.annotation
        inner = [a for a in getattr(ann, "__args__", ()) if isinstance(a, type) and issubclass(a, BaseModel)]
        model = ann if isinstance(ann, type) and issubclass(ann, BaseModel) else (inner[0] if inner else None)
    return info


def _limits(model, loc) -> dict:
    """Find the bounds of the field at `loc` (for messages such as 'between 0 and 60')."""
    info = _field_at(model, loc)
    out = {}
    for meta in getattr(info, "metadata", []):
        if isinstance(meta, (Ge, Gt)):
            out["min"] = getattr(meta, "ge", getattr(meta, "gt", None))
        if isinstance(meta, (Le, Lt)):
            out["max"] = getattr(meta, "le", getattr(meta, "lt", None))
        if isinstance(meta, MaxLen):
            out["max"] = meta.max_length
    return {k: (int(v) if float(v).is_integer() else v) for k, v in out.items()}


def _name(err: dict) -> str:
    """"jobs.0.title"; "_" for the whole object. Unions add their branch names: dropped."""
    parts = [str(p) for p in err.get("loc", ()) if not (isinstance(p, str) and ("[" in p or p in _UNION_BRANCHES))]
    return ".".join(parts) or "_"


def _bounds(err: dict, key: str, model) -> tuple[str, dict]:
    """The message's key again (a range with no known bounds is just a number) and its bounds."""
    ctx = err.get("ctx") or {}
    limits = {"min": ctx.get("ge", ctx.get("gt")), "max": ctx.get("le", ctx.get("lt", ctx.get("max_length")))}
    limits = {k: v for k, v in limits.items() if v is not None}
    if key in ("range", "too_long", "number") and model is not None:
        limits = {**_limits(model, err.get("loc", ())), **limits}
    if key == "range" and not {"min", "max"} <= set(limits):
        key = "number"
    if key == "too_long" and "max" not in limits:
        limits["max"] = "?"
    return key, limits


def _api_text(err: dict, key: str, name: str, locale: str) -> str | None:
    """What an API client reads where the valid values or the expected form say more."""
    ctx = err.get("ctx") or {}
    if err["type"] == "string_pattern_mismatch":
        return message("isco_pattern" if name.endswith("isco") else "pattern", locale, API_MESSAGES)
    if err["type"] in _OBJECT_TYPES:
        return message("object", locale, API_MESSAGES)
    if key == "choice" and "expected" in ctx:
        return message("choice", locale, API_MESSAGES, expected=ctx["expected"])
    if err["type"] in ("bool_type", "bool_parsing"):   # JSON's own: 0, 1 and "yes" are not booleans
        return message("choice", locale, API_MESSAGES, expected="true, false")
    if key == "level_choice" and not ctx.get("names"):
        key = "level_choice_any"
    if key in _API_ONLY:   # the valid values, from the model's context
        return message(key, locale, API_MESSAGES, **{k: str(v) for k, v in ctx.items()})
    return None


def _text(err: dict, key: str, limits: dict, locale: str) -> str:
    if key == "status_choice":
        return message(key, locale, country=country_name((err.get("ctx") or {}).get("country", ""), locale))
    return message(key, locale, **{k: _fmt(v, locale) for k, v in limits.items()})


def field_errors(exc: ValidationError, locale: str = "en", model=None, api: bool = False) -> dict[str, str]:
    """Return {"jobs.0.title": "message"} for each error, in `locale`.

    For API clients (`api`), some messages name the valid values or the expected form;
    people on a page get plain sentences in their language. Every text is the catalogues'.

    A list item is named by its index; an error of the whole object is under "_".
    """
    locale = locale if locale in LOCALES else "en"
    out: dict[str, str] = {}
    for err in exc.errors(include_url=False, include_input=False):
        name = _name(err)
        key, limits = _bounds(err, _message_key(err), model)
        text = _api_text(err, key, name, locale) if api else None
        out.setdefault(name, text if text is not None else _text(err, key, limits, locale))
    return out
