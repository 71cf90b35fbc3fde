"""Input validation: one set of rules for the JSON API and the HTML forms.

An input refused gets errors of a named type (pydantic's, or ours: `country_code`,
`no_words`...), which web/validation.py turns into messages (`field_errors`, re-exported
here for the views that validate)."""
from __future__ import annotations

from typing import Annotated, Literal

import pycountry
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
from matching.i18n import LOCALES

from .validation import field_errors

__all__ = ["LOCALES", "EligibilityIn", "ProfileIn", "VacancyIn", "ValidationError", "field_errors"]



def _country(value: str) -> str:
    code = value.strip().upper()
    if not code:
        raise PydanticCustomError("missing", "required")
    # ASCII before changing case: 'ß'.upper() is 'SS' (South Sudan), 'ſv' would be SV.
    if len(code) != 2 or not value.strip().isascii() or pycountry.countries.get(alpha_2=code) is None:
        raise PydanticCustomError("country_code", "country_code: give an ISO 3166 alpha-2 code")
    return code


def _language(value: str) -> str:
    code = value.strip().lower()
    if not code:
        raise PydanticCustomError("missing", "required")
    # ASCII before changing case: the Kelvin sign (U+212A) lower-cases to 'k' (Korean with an 'o').
    if len(code) != 2 or not value.strip().isascii() or pycountry.languages.get(alpha_2=code) is None:
        raise PydanticCustomError("language_code", "language_code: give an ISO 639-1 code")
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
        raise PydanticCustomError("no_words", "no_words: give at least one word")
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
                raise PydanticCustomError("control_character", "control_character: not allowed")
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
        raise PydanticCustomError("duplicate_language", "duplicate_language: listed twice")
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
            "national degree name of {country} ({names})",
            {"levels": ", ".join(EDUCATION_LEVELS), "country": country or "",
             "names": ", ".join(names) if country and names else ""})
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
            raise PydanticCustomError("nothing_to_match", "nothing_to_match: give a summary, a job or a skill")
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
