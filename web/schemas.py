"""Input validation: one set of rules for the JSON API and the HTML forms."""
from __future__ import annotations

from typing import Annotated, Literal

import pycountry
from annotated_types import Ge, Gt, Le, Lt, MaxLen
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from config import load_settings
from config.mobility import load_knowledge_base
from matching import EDUCATION_LEVELS, LANGUAGE_LEVELS
from matching.explain import country_name
from matching.i18n import LOCALES

__all__ = ["LOCALES", "EligibilityIn", "ProfileIn", "VacancyIn", "ValidationError", "field_errors"]



def _country(value: str) -> str:
    code = value.strip().upper()
    if not code:
        raise ValueError("required")
    # ASCII before changing case: 'ß'.upper() is 'SS' (South Sudan), 'ſv' would be SV.
    if len(code) != 2 or not value.strip().isascii() or pycountry.countries.get(alpha_2=code) is None:
        raise ValueError("country_code")
    return code


def _language(value: str) -> str:
    code = value.strip().lower()
    if not code:
        raise ValueError("required")
    # ASCII before changing case: the Kelvin sign (U+212A) lower-cases to 'k' (Korean with an 'o').
    if len(code) != 2 or not value.strip().isascii() or pycountry.languages.get(alpha_2=code) is None:
        raise ValueError("language_code")
    return code


def _has_words(value: str) -> bool:
    return any(c.isalnum() for c in value)


def _clean_list(value):
    """Accept a list, or one string with items separated by commas or new lines.

    Items with no letter or digit (blank, punctuation, a lone accent) are dropped.
    """
    if isinstance(value, str):
        value = value.replace("\r", "\n").replace(";", "\n").replace(",", "\n").split("\n")
    if isinstance(value, list):
        return [v.strip() if isinstance(v, str) else v for v in value
                if not (isinstance(v, str) and not _has_words(v))]
    return value


def _words(value: str) -> str:
    if not _has_words(value):
        raise ValueError("no_words")
    return value


def _no_nul(value):
    """Refuse NUL and other C0 control characters except tab and new lines, anywhere.

    Walks nested lists with a stack, not recursion: a body nested a few thousand levels
    deep must be a 4xx, not a RecursionError. Objects are left to their own model (every
    one is an `_In`), so the error names the field that holds the character
    ("jobs.0.title", drawn on the form), not the whole list."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if any(ord(c) < 32 and c not in "\t\n\r" for c in item):
                raise ValueError("control_character")
        elif isinstance(item, (list, tuple)):
            stack.extend(item)
    return value


def _blank_to_none(value):
    return None if isinstance(value, str) and not value.strip() else value


def _dedupe(values: list) -> list:
    return list(dict.fromkeys(values))


def _iso_codes(kind: str):
    """The JSON schema's list of the codes the validator accepts (read when a schema is
    made, not at import): the API document then tells clients, and the fuzzer, what a code is."""
    def extra(schema: dict) -> None:
        table = pycountry.countries if kind == "country" else pycountry.languages
        schema["enum"] = sorted(c.alpha_2 if kind == "country" else c.alpha_2.lower()
                                for c in table if hasattr(c, "alpha_2"))
    return extra


Country = Annotated[str, Field(max_length=100, json_schema_extra=_iso_codes("country")), AfterValidator(_country)]
Language = Annotated[str, Field(max_length=3, json_schema_extra=_iso_codes("language")), AfterValidator(_language)]
Text = Annotated[str, Field(max_length=5000)]
Phrase = Annotated[str, Field(min_length=1, max_length=120)]
Phrases = Annotated[list[Phrase], BeforeValidator(_clean_list), Field(max_length=100), AfterValidator(_dedupe)]
Countries = Annotated[list[Country], BeforeValidator(_clean_list), Field(max_length=30), AfterValidator(_dedupe)]
EducationLevel = Literal[tuple(EDUCATION_LEVELS)]  # type: ignore[valid-type]
LanguageLevel = Literal[tuple(LANGUAGE_LEVELS)]  # type: ignore[valid-type]
StatusCode = Annotated[str, Field(max_length=40)]
Isco = Annotated[str, Field(pattern=r"^[0-9]{1,4}$")]


def _knowledge(info: ValidationInfo):
    """The mobility knowledge base: the app's (passed as validation context), else the default."""
    kb = (info.context or {}).get("kb") if info is not None else None
    if kb is None:
        kb = load_knowledge_base(load_settings().mobility_dir)
    return kb


def _check_status(status: str | None, country: str | None, info: ValidationInfo) -> str | None:
    """A status must be one of the country's (config/countries/<cc>.toml)."""
    if status is None or country is None or status == "unknown":  # "unknown": the older code for not saying
        return None if status == "unknown" else status
    kb = _knowledge(info)
    found = kb.country(country).status(status) if kb.country(country) is not None else None
    if found is not None:
        return found.code   # an older generic code ("protection_permit") becomes this country's
    valid = kb.statuses(country)
    if valid:
        raise PydanticCustomError("status_choice", "status_choice: valid values for {country}: {valid}",
                                  {"country": country, "valid": ", ".join(valid)})
    if status != "national":
        raise PydanticCustomError("status_choice", "status_choice: no statuses are known for {country}; "
                                  "valid values: national", {"country": country, "valid": "national"})
    return status


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, allow_inf_nan=False)

    @field_validator("*", mode="before")
    @classmethod
    def _printable(cls, value):
        return _no_nul(value)


Title = Annotated[str, Field(min_length=1, max_length=200), AfterValidator(_words)]


class JobIn(_In):
    title: Title
    years: Annotated[float, Field(ge=0, le=60)] = 0
    country: Annotated[Country | None, BeforeValidator(_blank_to_none)] = None
    description: Annotated[str, Field(max_length=2000)] = ""


class LanguageIn(_In):
    code: Language
    level: LanguageLevel


def _once_each(languages: list[LanguageIn]) -> list[LanguageIn]:
    codes = [lang.code for lang in languages]
    if len(codes) != len(set(codes)):
        raise ValueError("duplicate_language")
    return languages


def _read_level(value, info: ValidationInfo):
    """A level given as an ISCED 2011 code, a number 0-8 or a national degree name, read
    with the degree's country (declared before `level`, so it is validated first)."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, str) and value.strip() in EDUCATION_LEVELS:
        return value.strip()
    kb = _knowledge(info)
    country = info.data.get("country")
    found = kb.level_of(value, country) if isinstance(value, (str, int)) and not isinstance(value, bool) else None
    if found is None:
        names = kb.degree_names(country)
        raise PydanticCustomError(
            "level_choice", "level_choice: give an ISCED 2011 level ({levels}), a number from 0 to 8, or a "
            "national degree name{names}",
            {"levels": ", ".join(EDUCATION_LEVELS),
             "names": f" of {country} ({', '.join(names)})" if country and names else
             " with the education country (a name such as 'bachiller' means different levels in different countries)"})
    return found


class EducationIn(_In):
    """A level (ISCED 2011 code or number 0-8) or a national degree name ("TSU", "licenciatura")."""

    country: Annotated[Country | None, BeforeValidator(_blank_to_none)] = None
    level: EducationLevel
    degree: Annotated[str | None, Field(max_length=80)] = None  # the national name given, if any
    field: Annotated[str, Field(max_length=200)] = ""
    recognised_in: Countries = []   # countries where the degree is already recognised

    @model_validator(mode="before")
    @classmethod
    def _keep_degree_name(cls, data):
        """Keep a national degree name as `degree` (the level is read from it below)."""
        if isinstance(data, dict) and isinstance(data.get("level"), str) and "degree" not in data:
            given = data["level"].strip()
            if given and given not in EDUCATION_LEVELS and not given.isdecimal():
                return {**data, "degree": given[:80]}
        return data

    read_level = field_validator("level", mode="before")(_read_level)


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
    status: Annotated[StatusCode | None, BeforeValidator(_blank_to_none)] = None
    consent: Literal[True]
    locale: Literal["es", "pt", "en"] = "es"

    once_each = field_validator("languages")(_once_each)

    @field_validator("status")
    @classmethod
    def _status_of_country(cls, status, info: ValidationInfo):
        return _check_status(status, info.data.get("country"), info)

    @model_validator(mode="after")
    def _something_to_match(self):
        if not (_has_words(self.summary) or self.jobs or self.skills):
            raise ValueError("nothing_to_match")
        return self


class VacancyIn(_In):
    """A vacancy posted by an employer."""

    title: Title
    description: Annotated[str, Field(max_length=10000)] = ""
    essential_skills: Phrases = []
    optional_skills: Phrases = []
    country: Country
    city: Annotated[str, Field(max_length=100)] = ""
    remote: bool = False
    languages: Annotated[list[Language], BeforeValidator(_clean_list), Field(max_length=10),
                         AfterValidator(_dedupe)] = []
    education_level: EducationLevel | None = None   # an ISCED code, number or national degree name
    experience_years: Annotated[float, Field(ge=0, le=60)] = 0
    openings: Annotated[int, Field(ge=1, le=10000)] = 1
    accepts_relocation: bool = True
    employer: Annotated[str, Field(max_length=200)] = ""
    locale: Literal["es", "pt", "en"] = "es"

    read_level = field_validator("education_level", mode="before")(_read_level)


class EligibilityEducationIn(_In):
    country: Annotated[Country | None, BeforeValidator(_blank_to_none)] = None
    level: EducationLevel | None = None
    recognised_in: Countries = []

    read_level = field_validator("level", mode="before")(_read_level)


class EligibilityIn(_In):
    """POST /api/v1/eligibility: may this person work in that country, and what would it take."""

    nationalities: Countries = []
    current_country: Country
    status: Annotated[StatusCode | None, BeforeValidator(_blank_to_none)] = None
    target_country: Country
    occupation_isco: Annotated[Isco | None, BeforeValidator(_blank_to_none)] = None
    education: EligibilityEducationIn | None = None
    languages: Annotated[list[LanguageIn], Field(max_length=10), AfterValidator(_once_each)] = []
    required_languages: Annotated[list[Language], BeforeValidator(_clean_list), Field(max_length=10),
                                  AfterValidator(_dedupe)] = []
    required_education: Annotated[EducationLevel | None, BeforeValidator(_blank_to_none)] = None
    remote: bool = False
    locale: Literal["es", "pt", "en"] | None = None

    @field_validator("current_country", "target_country")
    @classmethod
    def _covered(cls, country, info: ValidationInfo):
        kb = _knowledge(info)
        if kb.country(country) is None:
            raise PydanticCustomError("country_choice", "country_choice: valid values: {valid}",
                                      {"valid": ", ".join(sorted(kb.countries))})
        return country

    @field_validator("status")
    @classmethod
    def _status_of_country(cls, status, info: ValidationInfo):
        return _check_status(status, info.data.get("current_country"), info)


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
    "too_long": {"es": "Es demasiado largo (máximo {max}).", "pt": "É longo demais (máximo {max}).",
                 "en": "Too long (at most {max})."},
    "no_words": {"es": "Escriba al menos una palabra.", "pt": "Escreva pelo menos uma palavra.",
                 "en": "Give at least one word."},
    "control_character": {"es": "Hay caracteres no válidos.", "pt": "Há caracteres inválidos.",
                          "en": "Contains control characters (such as NUL)."},
    "too_short": {"es": "Este campo es obligatorio.", "pt": "Este campo é obrigatório.",
                  "en": "This field is required."},
    "number": {"es": "Escriba un número válido.", "pt": "Digite um número válido.",
               "en": "Give a number in the allowed range."},
    "range": {"es": "Escriba un número entre {min} y {max}.", "pt": "Digite um número entre {min} e {max}.",
              "en": "Give a number from {min} to {max}."},
    "choice": {"es": "Elija una de las opciones.", "pt": "Escolha uma das opções.",
               "en": "Choose one of the allowed values."},
    "extra": {"es": "Campo desconocido.", "pt": "Campo desconhecido.", "en": "Unknown field."},
    "status_choice": {"es": "Elija su situación en el país donde vive ({country}): una opción del grupo «{country}».",
                      "pt": "Escolha a sua situação no país onde você mora ({country}): uma opção do grupo «{country}».",
                      "en": "Choose your status in the country where you live ({country}): an option from the “{country}” group."},
    "level_choice": {"es": "Elija un nivel de estudios de la lista.", "pt": "Escolha um nível de estudos da lista.",
                     "en": "Unknown education level."},
    "country_choice": {"es": "Puente aún no tiene las normas de este país.",
                       "pt": "O Puente ainda não tem as regras deste país.",
                       "en": "Puente has no rules for this country."},
    "invalid": {"es": "Valor no válido.", "pt": "Valor inválido.", "en": "Invalid value."},
}


# API clients get what was wrong and the valid values.
_API_PREFIX = {"status_choice": "Unknown status for this country.", "level_choice": "Unknown education level.",
               "country_choice": "Puente has no rules for this country."}


def _fmt(value, locale: str) -> str:
    if isinstance(value, float):
        text = f"{value:g}"
        return text.replace(".", ",") if locale in ("es", "pt") else text
    return str(value)


def _message_key(err: dict) -> str:
    kind, msg = err["type"], str(err.get("msg", ""))
    loc = err.get("loc", ())
    if loc and loc[-1] == "consent":
        return "consent"
    if kind in ("status_choice", "level_choice", "country_choice"):
        return kind
    for key in ("country_code", "language_code", "nothing_to_match", "duplicate_language", "no_words",
                "control_character"):
        if key in msg:
            return key
    if kind == "missing" or msg.endswith("error, required"):
        return "missing"
    if kind in ("string_too_long", "too_long"):
        return "too_long"
    if kind in ("string_too_short", "too_short"):
        return "too_short"
    if kind.startswith(("greater_than", "less_than")):
        return "range"
    if kind.startswith(("float", "int", "finite")):
        return "number"
    if kind in ("literal_error", "enum", "bool_parsing", "bool_type"):
        return "choice"
    if kind == "extra_forbidden":
        return "extra"
    return "invalid"


def _limits(model, loc) -> dict:
    """Find the bounds of the field at `loc` (for messages such as 'between 0 and 60')."""
    info = None
    for part in loc:
        if isinstance(part, int) or model is None:
            continue
        info = getattr(model, "model_fields", {}).get(part)
        if info is None:
            return {}
        ann = info.annotation
        inner = [a for a in getattr(ann, "__args__", ()) if isinstance(a, type) and issubclass(a, BaseModel)]
        model = ann if isinstance(ann, type) and issubclass(ann, BaseModel) else (inner[0] if inner else None)
    out = {}
    for meta in getattr(info, "metadata", []) if info else []:
        if isinstance(meta, (Ge, Gt)):
            out["min"] = getattr(meta, "ge", getattr(meta, "gt", None))
        if isinstance(meta, (Le, Lt)):
            out["max"] = getattr(meta, "le", getattr(meta, "lt", None))
        if isinstance(meta, MaxLen):
            out["max"] = meta.max_length
    return {k: (int(v) if float(v).is_integer() else v) for k, v in out.items()}


def field_errors(exc: ValidationError, locale: str = "en", model=None, api: bool = False) -> dict[str, str]:
    """Return {"jobs.0.title": "message"} for each error, in `locale`.

    For API clients (`api`), some messages are pydantic's own precise sentences and name
    the valid codes; people on a page get plain sentences in their language.

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
        ctx = err.get("ctx") or {}
        limits = {"min": ctx.get("ge", ctx.get("gt")), "max": ctx.get("le", ctx.get("lt", ctx.get("max_length")))}
        limits = {k: v for k, v in limits.items() if v is not None}
        if key in ("range", "too_long", "number") and model is not None:
            limits = {**_limits(model, err.get("loc", ())), **limits}
        if key == "range" and not {"min", "max"} <= set(limits):
            key = "number"
        if key == "too_long" and "max" not in limits:
            limits["max"] = "?"
        # For API clients pydantic's own sentence is the most precise ("greater than or equal to 1").
        if api and err["type"] == "string_pattern_mismatch":
            text = "Does not have the expected form" + (": an ISCO-08 code of 1 to 4 digits." if name.endswith(
                "isco") else ".")
        elif api and err["type"] in ("model_type", "model_attributes_type", "dict_type"):
            text = "Give a JSON object."
        elif api and key in ("invalid", "choice", "number"):
            text = err["msg"]
        elif api and key in ("status_choice", "level_choice", "country_choice"):
            # API clients get the valid values: "Unknown status for CO; valid values: ...".
            detail = err["msg"].split(": ", 1)[-1]
            text = f"{_API_PREFIX[key]} {detail[:1].upper()}{detail[1:]}."
        elif key == "status_choice":
            text = _MESSAGES[key][locale].format(country=country_name(ctx.get("country", ""), locale))
        else:
            text = _MESSAGES[key][locale].format(**{k: _fmt(v, locale) for k, v in limits.items()})
        out.setdefault(name, text)
    return out
