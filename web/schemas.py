"""Input validation: one set of rules for the JSON API and the HTML forms."""
from __future__ import annotations

from typing import Annotated, Literal

import pycountry
from pydantic import (AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, ValidationError,
                      model_validator)

from matching import EDUCATION_LEVELS, LANGUAGE_LEVELS, LEGAL_STATUSES

__all__ = ["ProfileIn", "VacancyIn", "ValidationError", "field_errors", "LOCALES"]

LOCALES = ("es", "pt", "en")


def _country(value: str) -> str:
    code = value.strip().upper()
    if not code:
        raise ValueError("required")
    if len(code) != 2 or pycountry.countries.get(alpha_2=code) is None:
        raise ValueError("country_code")
    return code


def _language(value: str) -> str:
    code = value.strip().lower()
    if not code:
        raise ValueError("required")
    if len(code) != 2 or pycountry.languages.get(alpha_2=code) is None:
        raise ValueError("language_code")
    return code


def _clean_list(value):
    """Accept a list, or one string with items separated by commas or new lines."""
    if isinstance(value, str):
        value = value.replace("\r", "\n").replace(";", "\n").replace(",", "\n").split("\n")
    if isinstance(value, list):
        return [v.strip() if isinstance(v, str) else v for v in value
                if not (isinstance(v, str) and not v.strip())]
    return value


def _blank_to_none(value):
    return None if isinstance(value, str) and not value.strip() else value


def _dedupe(values: list) -> list:
    return list(dict.fromkeys(values))


Country = Annotated[str, Field(max_length=3), AfterValidator(_country)]
Language = Annotated[str, Field(max_length=3), AfterValidator(_language)]
Text = Annotated[str, Field(max_length=5000)]
Phrase = Annotated[str, Field(min_length=1, max_length=120)]
Phrases = Annotated[list[Phrase], BeforeValidator(_clean_list), Field(max_length=100), AfterValidator(_dedupe)]
Countries = Annotated[list[Country], BeforeValidator(_clean_list), Field(max_length=30), AfterValidator(_dedupe)]
EducationLevel = Literal[tuple(EDUCATION_LEVELS)]  # type: ignore[valid-type]
LanguageLevel = Literal[tuple(LANGUAGE_LEVELS)]  # type: ignore[valid-type]
LegalStatus = Literal[tuple(LEGAL_STATUSES)]  # type: ignore[valid-type]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class JobIn(_In):
    title: Annotated[str, Field(min_length=1, max_length=200)]
    years: Annotated[float, Field(ge=0, le=60)] = 0
    country: Annotated[Country | None, BeforeValidator(_blank_to_none)] = None
    description: Annotated[str, Field(max_length=2000)] = ""


class LanguageIn(_In):
    code: Language
    level: LanguageLevel


class EducationIn(_In):
    level: EducationLevel
    field: Annotated[str, Field(max_length=200)] = ""
    country: Annotated[Country | None, BeforeValidator(_blank_to_none)] = None


class ProfileIn(_In):
    """A job seeker's profile. No name or contact: matching does not need them."""

    summary: Text = ""
    nationalities: Countries = []
    jobs: Annotated[list[JobIn], Field(max_length=20)] = []
    skills: Phrases = []
    languages: Annotated[list[LanguageIn], Field(max_length=10)] = []
    education: EducationIn | None = None
    country: Country
    city: Annotated[str, Field(max_length=100)] = ""
    target_countries: Countries = []
    relocate: bool = False
    status: Annotated[LegalStatus | None, BeforeValidator(_blank_to_none)] = None
    consent: Literal[True]
    locale: Literal["es", "pt", "en"] = "es"

    @model_validator(mode="after")
    def _something_to_match(self):
        if not (self.summary or self.jobs or self.skills):
            raise ValueError("nothing_to_match")
        codes = [lang.code for lang in self.languages]
        if len(codes) != len(set(codes)):
            raise ValueError("duplicate_language")
        return self


class VacancyIn(_In):
    """A vacancy posted by an employer."""

    title: Annotated[str, Field(min_length=1, max_length=200)]
    description: Annotated[str, Field(max_length=10000)] = ""
    essential_skills: Phrases = []
    optional_skills: Phrases = []
    country: Country
    city: Annotated[str, Field(max_length=100)] = ""
    remote: bool = False
    languages: Annotated[list[Language], BeforeValidator(_clean_list), Field(max_length=10),
                         AfterValidator(_dedupe)] = []
    education_level: Annotated[EducationLevel | None, BeforeValidator(_blank_to_none)] = None
    experience_years: Annotated[float, Field(ge=0, le=60)] = 0
    openings: Annotated[int, Field(ge=1, le=10000)] = 1
    accepts_relocation: bool = True
    employer: Annotated[str, Field(max_length=200)] = ""
    locale: Literal["es", "pt", "en"] = "es"


_MESSAGES = {
    "missing": {"es": "Este campo es obligatorio.", "pt": "Este campo é obrigatório.",
                "en": "This field is required."},
    "consent": {"es": "Debe aceptar el uso de sus datos para poder buscar empleos.",
                "pt": "Você precisa aceitar o uso dos seus dados para buscar vagas.",
                "en": "You must agree to the use of your data to be matched."},
    "country_code": {"es": "Elija un país válido.", "pt": "Escolha um país válido.",
                     "en": "Give an ISO 3166 alpha-2 country code, such as CO."},
    "language_code": {"es": "Elija un idioma válido.", "pt": "Escolha um idioma válido.",
                      "en": "Give an ISO 639-1 language code, such as es."},
    "nothing_to_match": {"es": "Cuéntenos algo de usted: un resumen, un empleo anterior o sus habilidades.",
                         "pt": "Conte algo sobre você: um resumo, um emprego anterior ou suas habilidades.",
                         "en": "Give at least a summary, a past job or a skill."},
    "duplicate_language": {"es": "Hay un idioma repetido.", "pt": "Há um idioma repetido.",
                           "en": "A language is listed twice."},
    "too_long": {"es": "Es demasiado largo.", "pt": "É longo demais.", "en": "Too long."},
    "too_short": {"es": "Este campo es obligatorio.", "pt": "Este campo é obrigatório.",
                  "en": "This field is required."},
    "number": {"es": "Escriba un número válido.", "pt": "Digite um número válido.",
               "en": "Give a number in the allowed range."},
    "choice": {"es": "Elija una de las opciones.", "pt": "Escolha uma das opções.",
               "en": "Choose one of the allowed values."},
    "extra": {"es": "Campo desconocido.", "pt": "Campo desconhecido.", "en": "Unknown field."},
    "invalid": {"es": "Valor no válido.", "pt": "Valor inválido.", "en": "Invalid value."},
}


def _message_key(err: dict) -> str:
    kind, msg = err["type"], str(err.get("msg", ""))
    loc = err.get("loc", ())
    if loc and loc[-1] == "consent":
        return "consent"
    for key in ("country_code", "language_code", "nothing_to_match", "duplicate_language"):
        if key in msg:
            return key
    if kind == "missing" or msg.endswith("error, required"):
        return "missing"
    if kind in ("string_too_long", "too_long"):
        return "too_long"
    if kind in ("string_too_short", "too_short"):
        return "too_short"
    if kind.startswith(("greater_than", "less_than", "float", "int", "finite")):
        return "number"
    if kind in ("literal_error", "enum", "bool_parsing", "bool_type"):
        return "choice"
    if kind == "extra_forbidden":
        return "extra"
    return "invalid"


def field_errors(exc: ValidationError, locale: str = "en") -> dict[str, str]:
    """Return {"jobs.0.title": "message"} for each error, in `locale`.

    A list item is named by its index; an error of the whole object is under "_".
    Unions add their own branch names to the location; those are dropped.
    """
    locale = locale if locale in LOCALES else "en"
    out: dict[str, str] = {}
    for err in exc.errors(include_url=False, include_input=False):
        parts = [str(p) for p in err.get("loc", ()) if not (isinstance(p, str) and ("[" in p or p in (
            "function-after", "literal", "none")))]
        name = ".".join(parts) or "_"
        key = _message_key(err)
        # For API clients pydantic's own sentence is the most precise ("greater than or equal to 1").
        text = err["msg"] if locale == "en" and key in ("invalid", "choice", "number", "too_long") else (
            _MESSAGES[key][locale])
        out.setdefault(name, text)
    return out
