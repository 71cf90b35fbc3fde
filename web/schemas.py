"""Input validation: one set of rules for the JSON API and the HTML forms.

An input refused gets errors of a named type (pydantic's, or ours: `country_code`,
`no_words`...), which web/validation.py turns into messages (`field_errors`, re-exported
here for the views that validate)."""
from __future__ import annotations

import datetime as _dt
from typing import Annotated, ClassVar, Literal

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
from models.outcome import NOT_RELEVANT_REASONS, NOT_SELECTED_REASONS

from .validation import field_errors

__all__ = [
    "LOCALES",
    "MAX_PHRASES",
    "NO_CONTROL",
    "WORD",
    "ApplicationIn",
    "ApplicationPost",
    "ConversationDecision",
    "EligibilityIn",
    "NotRelevantPost",
    "OutcomeReport",
    "OutcomeRow",
    "Phrase",
    "PlacementPost",
    "ProfileIn",
    "VacancyIn",
    "ValidationError",
    "field_errors",
    "json_context",
]

# What the JSON schema says of every text (the validators below check the same): no C0
# control character but tab and new lines; and, where a word is needed, a letter or digit.
_PRINTABLE = r"[^\x00-\x08\x0b\x0c\x0e-\x1f]"
NO_CONTROL = f"^{_PRINTABLE}*$"
WORD = f"^{_PRINTABLE}*[^\\W_]{_PRINTABLE}*$"


def json_context(kb) -> dict:
    """The validation context of an API body: JSON types strictly (a string is not a list, 0 is
    not a boolean, "" is not null) and each value as the document describes it. The HTML
    forms and the CSV import, whose values are all strings, validate without it: pydantic's
    lax mode reads "3" as 3, blank fields as no value, "a, b" as a list."""
    return {"kb": kb, "json": True}


def _json(info: ValidationInfo | None) -> bool:
    return bool(info is not None and (info.context or {}).get("json"))


def _country(value: str, info: ValidationInfo) -> str:
    code = value.strip().upper()
    if not code:
        raise PydanticCustomError("missing", "required")
    # ASCII before changing case: 'ß'.upper() is 'SS' (South Sudan), 'ſv' would be SV. In JSON
    # the code is written as the document's enum writes it ("CO"); a form's may be "co".
    if len(code) != 2 or not value.strip().isascii() or pycountry.countries.get(alpha_2=code) is None or (
            _json(info) and code != value):
        raise PydanticCustomError("country_code", "country_code: give an ISO 3166 alpha-2 code")
    return code


def _language(value: str, info: ValidationInfo) -> str:
    code = value.strip().lower()
    if not code:
        raise PydanticCustomError("missing", "required")
    # ASCII before changing case: the Kelvin sign (U+212A) lower-cases to 'k' (Korean with an 'o').
    if len(code) != 2 or not value.strip().isascii() or pycountry.languages.get(alpha_2=code) is None or (
            _json(info) and code != value):
        raise PydanticCustomError("language_code", "language_code: give an ISO 639-1 code")
    return code


def _has_words(value: str) -> bool:
    return any(c.isalnum() for c in value)


def _clean_list(value, info: ValidationInfo):
    """Accept a list, or one string with items separated by commas or new lines.

    Items with no letter or digit (blank, punctuation, a lone accent) are dropped. Not for a
    JSON body: there a list is a list, and an item without a word is refused (`_words`).
    """
    if _json(info):
        return value
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


def _blank_to_none(value, info: ValidationInfo):
    """A blank form field is no value; a JSON body says null."""
    if _json(info):
        return value
    return None if isinstance(value, str) and not value.strip() else value


def _whole(value):
    """2.0 is the integer 2 (JSON Schema says so); 2.5, "2" and true are not."""
    return int(value) if isinstance(value, float) and value.is_integer() else value


def _boolean(value):
    """Only true is consent: not 1, not "on" (the form reads its tick box into True)."""
    if not isinstance(value, bool):
        raise PydanticCustomError("bool_type", "bool_type: give true")
    return value


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
MAX_PHRASES = 100   # skills (or a vacancy's essential or optional skills) per list
Phrase = Annotated[str, Field(min_length=1, max_length=120), AfterValidator(_words)]
Phrases = Annotated[list[Phrase], BeforeValidator(_clean_list), Field(max_length=MAX_PHRASES), AfterValidator(_dedupe)]
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


def _texts_in(schema: dict):
    """Every string schema in `schema` (through anyOf and items), not those of a nested model ($ref)."""
    stack = [schema]
    while stack:
        part = stack.pop()
        if part.get("type") == "string":
            yield part
        stack.extend(part.get("anyOf", []))
        if isinstance(part.get("items"), dict):
            stack.append(part["items"])


def _document(schema: dict, cls) -> None:
    """Write into the model's JSON schema what its validators check: no control character in
    a text, a word where one is needed (`_WORDS`), and the model's own rules (`_SCHEMA`)."""
    for name, prop in schema.get("properties", {}).items():
        for text in _texts_in(prop):
            if "enum" not in text and "pattern" not in text and "const" not in text:
                text["pattern"] = WORD if name in cls._WORDS else NO_CONTROL
    schema.update(cls._SCHEMA)


class _In(BaseModel):
    """Strict JSON types when validated with `json_context` (the API), forms' strings otherwise."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, allow_inf_nan=False,
                              json_schema_extra=_document)
    _WORDS: ClassVar[frozenset[str]] = frozenset()   # texts that need a letter or digit
    _SCHEMA: ClassVar[dict] = {}                     # added to the model's JSON schema

    @field_validator("*", mode="before")
    @classmethod
    def _printable(cls, value):
        return _no_nul(value)


Title = Annotated[str, Field(min_length=1, max_length=200), AfterValidator(_words)]


class JobIn(_In):
    _WORDS = frozenset({"title"})

    title: Title
    years: Annotated[float, Field(ge=0, le=60)] = 0
    country: Annotated[Country | None, BeforeValidator(_blank_to_none)] = None
    description: Annotated[str, Field(max_length=2000)] = ""


class LanguageIn(_In):
    code: Language
    level: LanguageLevel


def _once_each(languages: list[LanguageIn], info: ValidationInfo) -> list[LanguageIn]:
    """A language listed twice: refused on a form (the person chose two rows), kept once with
    its better level in a JSON body (the schema cannot say "each code once")."""
    codes = [lang.code for lang in languages]
    if len(codes) == len(set(codes)):
        return languages
    if not _json(info):
        raise PydanticCustomError("duplicate_language", "duplicate_language: listed twice")
    rank = list(LANGUAGE_LEVELS)
    best: dict[str, LanguageIn] = {}
    for lang in languages:
        if lang.code not in best or rank.index(lang.level) < rank.index(best[lang.code].level):
            best[lang.code] = lang
    return list(best.values())


def _readable_level(value, info: ValidationInfo) -> bool:
    """A text or a whole number; in a JSON body a number is a JSON integer ("3" is no degree
    name there), on a form its digits."""
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        return False
    return not (_json(info) and isinstance(value, str) and value.strip().isdecimal())


def _read_level(value, info: ValidationInfo):
    """A level given as an ISCED 2011 code, a number 0-8 or a national degree name, read
    with the degree's country (declared before `level`, so it is validated first)."""
    value = _whole(value)   # 3.0 is the integer 3
    if value is None or (isinstance(value, str) and not value.strip() and not _json(info)):
        return None
    if isinstance(value, str) and value.strip() in EDUCATION_LEVELS:
        return value.strip()
    kb = _knowledge(info)
    country = info.data.get("country")
    found = kb.level_of(value, country) if _readable_level(value, info) else None
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

    _WORDS = frozenset({"skills"})
    # Something to match: a summary with a word, a job or a skill (`_something_to_match`).
    _SCHEMA = {"anyOf": [{"required": ["summary"], "properties": {"summary": {"pattern": WORD}}},
                         {"required": ["jobs"], "properties": {"jobs": {"minItems": 1}}},
                         {"required": ["skills"], "properties": {"skills": {"minItems": 1}}}]}

    summary: Text = ""
    nationalities: Countries = []
    jobs: Annotated[list[JobIn], Field(max_length=20)] = []
    skills: Annotated[Phrases, Field(description=(
        "The most important first: matching compares the first ones by meaning, as many as a "
        "profile's encoding budget holds (about eight phrases, job titles first), and the "
        "others by their words and the ESCO skill they name."))] = []
    languages: Annotated[list[LanguageIn], Field(max_length=10)] = []
    education: EducationIn | None = None
    country: Country
    city: Annotated[str, Field(max_length=100)] = ""
    target_countries: Countries = []
    relocate: bool = False
    status: Annotated[StatusCode | None, BeforeValidator(_blank_to_none)] = None
    # Optional and self-declared: for the fairness audit only (never ranks, never shown to employers).
    gender: Annotated[Literal["woman", "man", "other"] | None, BeforeValidator(_blank_to_none)] = None
    consent: Annotated[Literal[True], BeforeValidator(_boolean)]
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

    _WORDS = frozenset({"title", "essential_skills", "optional_skills"})

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
    openings: Annotated[int, Field(ge=1, le=10000), BeforeValidator(_whole)] = 1
    accepts_relocation: bool = True
    employer: Annotated[str, Field(max_length=200)] = ""
    locale: Literal["es", "pt", "en"] = "es"

    read_level = field_validator("education_level", mode="before")(_read_level)


Shareable = Literal["summary", "jobs", "education"]   # models.SHAREABLE: what the candidate card does not show


class ApplicationIn(_In):
    """What a person shares with one employer: by applying to its vacancy, or by saying yes
    to its interest. Nothing else of the profile is shared (see `web.conversations`)."""

    _WORDS = frozenset({"contact"})

    contact: Annotated[str, Field(min_length=3, max_length=300)]   # a phone, WhatsApp or e-mail, for this employer
    message: Annotated[str, Field(max_length=1000)] = ""
    share: Annotated[list[Shareable], BeforeValidator(_clean_list), Field(max_length=3), AfterValidator(_dedupe)] = []


class ApplicationPost(ApplicationIn):
    """POST /api/v1/profiles/{id}/applications: an application to an open vacancy."""

    vacancy_id: Annotated[int, Field(ge=1, le=2**31 - 1)]


NotSelectedReason = Literal[tuple(NOT_SELECTED_REASONS)]  # type: ignore[valid-type]
NotRelevantReason = Literal[tuple(NOT_RELEVANT_REASONS)]  # type: ignore[valid-type]
RowId = Annotated[int, Field(ge=1, le=2**31 - 1), BeforeValidator(_whole)]   # 3.0 is the integer 3 in JSON


def _reason_only_when_not_selected(cls, reason: str | None, info: ValidationInfo):
    """A reason goes with "not selected" only (the field before it: `status` or `outcome`)."""
    if reason is not None and (info.data.get("status") or info.data.get("outcome")) != "not_selected":
        raise PydanticCustomError("reason_not_allowed", "reason_not_allowed: a reason goes with not_selected only")
    return reason


class ConversationDecision(_In):
    """POST /api/v1/vacancies/{id}/applications/{application_id}: the employer's answer, or
    what happened next; `reason` (from a short list) only with not_selected."""

    status: Literal["seen", "interested", "interview", "hired", "not_selected"]
    reason: NotSelectedReason | None = None

    _reason = field_validator("reason")(_reason_only_when_not_selected)


class OutcomeReport(_In):
    """POST /api/v1/vacancies/{id}/outcomes: what happened to a candidate of the vacancy's
    ranking or a person who applied (an interview, a hire, not selected), reported by the
    employer or a case worker; also for candidates met outside Puente."""

    profile_id: RowId
    outcome: Literal["interview", "hired", "not_selected"]
    reason: NotSelectedReason | None = None

    _reason = field_validator("reason")(_reason_only_when_not_selected)


class OutcomeRow(_In):
    """A row of the outcomes CSV import (case workers): what happened to a candidate
    (`candidate_id` as in the vacancy's shortlist CSV), and on which day."""

    vacancy_id: RowId
    candidate_id: RowId
    outcome: Literal["interview", "hired", "not_selected"]
    reason: NotSelectedReason | None = None
    date: _dt.date | None = None

    @field_validator("date")
    @classmethod
    def _not_in_the_future(cls, value):
        if value is not None and value > _dt.datetime.now(_dt.UTC).date():
            raise PydanticCustomError("future_date", "future_date: the day it happened, not a later one")
        return value

    _reason = field_validator("reason")(_reason_only_when_not_selected)

    @model_validator(mode="after")
    def _known_pair(self, info: ValidationInfo):
        reportable = (info.context or {}).get("reportable")
        if reportable is not None and not reportable(self.vacancy_id, self.candidate_id):
            raise PydanticCustomError("not_a_candidate", "not_a_candidate: not in this vacancy's ranking or applications")
        return self


class PlacementPost(_In):
    """POST /api/v1/placements: a group of job seekers (candidate ids, or everyone living in a
    country, optionally a city) and where they could go (countries; none: anywhere)."""

    # A group: candidate ids, or a country where they live (`_a_group`).
    _SCHEMA = {"anyOf": [{"required": ["candidate_ids"], "properties": {"candidate_ids": {"minItems": 1}}},
                         {"required": ["from_country"], "properties": {"from_country": {"type": "string"}}}]}

    candidate_ids: Annotated[list[RowId], Field(max_length=500)] = []
    from_country: Country | None = None
    from_city: Annotated[str, Field(max_length=100)] = ""
    to_countries: Countries = []

    @model_validator(mode="after")
    def _a_group(self):
        if not self.candidate_ids and not self.from_country:
            raise PydanticCustomError("missing_group", "missing_group: give candidate_ids or from_country")
        return self


class NotRelevantPost(_In):
    """POST /api/v1/profiles/{id}/not-relevant: the person says a match is not for them."""

    vacancy_id: RowId
    reason: NotRelevantReason | None = None


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
    languages: Annotated[list[LanguageIn], Field(max_length=10)] = []
    required_languages: Annotated[list[Language], BeforeValidator(_clean_list), Field(max_length=10),
                                  AfterValidator(_dedupe)] = []
    required_education: Annotated[EducationLevel | None, BeforeValidator(_blank_to_none)] = None
    remote: bool = False
    locale: Literal["es", "pt", "en"] | None = None

    once_each = field_validator("languages")(_once_each)

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
