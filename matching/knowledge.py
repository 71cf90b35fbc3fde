"""The mobility knowledge base's model: countries, residence statuses, recognition of
degrees, regulated professions and national degree names, each rule with its source.

The types validate what the data files under `config/` say (`config.mobility` reads them
and builds a `KnowledgeBase`); the eligibility rules (`matching.eligibility`) take a
`KnowledgeBase` as an argument, so a test can build a small one in code.
"""
from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from typing import Annotated, Literal

import pycountry
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from .documents import normalise_phrase
from .i18n import supported_locale
from .vocab import EDUCATION_LEVELS

__all__ = [
    "ISCED_LEVELS",
    "Country",
    "Degree",
    "EducationFile",
    "Help",
    "KnowledgeBase",
    "Localised",
    "OccupationHint",
    "OccupationsFile",
    "Recognition",
    "Regulated",
    "Reserved",
    "Source",
    "Status",
]

# ISCED 2011 levels by the codes Puente uses in forms and the API.
ISCED_LEVELS = tuple(EDUCATION_LEVELS)


def _alpha2(value: str) -> str:
    if value != value.upper() or pycountry.countries.get(alpha_2=value) is None:
        raise ValueError(f"{value!r} is not an ISO 3166 alpha-2 code (upper case, such as CO)")
    return value


def _language(value: str) -> str:
    if value != value.lower() or pycountry.languages.get(alpha_2=value) is None:
        raise ValueError(f"{value!r} is not an ISO 639-1 code (lower case, such as es)")
    return value


def _isco(value: str) -> str:
    if not re.fullmatch(r"\d{1,4}", value):
        raise ValueError(f"{value!r} is not an ISCO-08 code or prefix (1 to 4 digits)")
    return value


def _https(value: str) -> str:
    if not re.fullmatch(r"https?://[^\s]+", value):
        raise ValueError(f"{value!r} is not a web address")
    return value


Alpha2 = Annotated[str, AfterValidator(_alpha2)]
Lang = Annotated[str, AfterValidator(_language)]
Isco = Annotated[str, AfterValidator(_isco)]
Url = Annotated[str, AfterValidator(_https)]
Code = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]{1,39}$")]
Text = Annotated[str, Field(min_length=1, max_length=2000)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Localised(_Model):
    """One text in Spanish, Portuguese and English."""

    es: Text
    pt: Text
    en: Text

    def get(self, locale: str) -> str:
        """Return the text in `locale` (Spanish when Puente does not speak it).

        Args:
            locale: a language code such as "pt".

        Returns:
            The text in that language.
        """
        return getattr(self, supported_locale(locale))


class Source(_Model):
    """Where a rule comes from and when it was last checked against that source."""

    institution: Text
    url: Url
    checked: dt.date


class _Rule(_Model):
    source: Source
    uncertain: Text | None = None   # what is not certain about this rule, in plain words


class Status(_Rule):
    """A residence or protection status a person can hold in a country."""

    code: Code
    kind: Literal["national", "residence", "protection", "refugee", "asylum", "visa", "visitor", "irregular"]
    label: Localised
    authorises_work: bool
    # Who can hold it: nationality codes, "*" for any foreign national.
    holders: list[Literal["*"] | Alpha2] = ["*"]
    # How a person who lacks it can get it: "in_country" (apply while in the country),
    # "abroad" (apply before travelling, at a consulate or online), "both", or "closed"
    # (no new applications: the person can only hold it already).
    obtain: Literal["in_country", "abroad", "both", "closed"]
    how: Localised | None = None              # what it takes to obtain it
    work: Localised | None = None             # conditions on work, for whom
    authority: Text | None = None
    url: Url | None = None
    months: float | None = Field(default=None, ge=0, le=120)   # typical time to obtain
    cost: Text | None = None                                    # typical cost, as the source gives it
    needs_offer: bool = False                                   # a job offer or contract is required
    # Whether Puente may suggest it as the way to obtain the right to work. Refugee and
    # asylum statuses never are (a protection claim is not a job route); set false for a
    # status that needs an earlier one (permanent residence) or is only a stage of another.
    route: bool = True
    aliases: list[Code] = []   # older or generic codes that mean this status here
    # To obtain it from inside the country the person must hold one of these statuses of the
    # same country now; "regular" means any status but an irregular one. From abroad only
    # "regular" can be met (a person applying at a consulate holds nothing there yet).
    requires: list[Code] = []
    # New applications are taken only between these dates (a regularisation window).
    opens: dt.date | None = None
    closes: dt.date | None = None
    # What a person holding this status, or offered it as a step, must know before acting
    # (a risk, a trap); shown to them in their language.
    caution: Localised | None = None

    @model_validator(mode="after")
    def _obtainable_has_how(self):
        if self.obtain != "closed" and self.kind not in ("national", "irregular") and self.how is None:
            raise ValueError(f"status {self.code!r} can be obtained but has no 'how'")
        if self.opens and self.closes and self.closes < self.opens:
            raise ValueError(f"status {self.code!r} closes before it opens")
        return self

    def open_on(self, day: dt.date) -> bool:
        """Tell whether new applications are taken on a day.

        Args:
            day: the day.

        Returns:
            False when the status is closed or its window has not opened or has ended.
        """
        return self.obtain != "closed" and (self.opens is None or self.opens <= day) \
            and (self.closes is None or day <= self.closes)


class Recognition(_Rule):
    """How a foreign degree is recognised in the country."""

    authority: Text
    url: Url
    procedure: Localised
    levels: list[Literal[tuple(ISCED_LEVELS)]] = list(ISCED_LEVELS[5:])  # type: ignore[valid-type]
    months: float | None = Field(default=None, ge=0, le=120)
    cost: Text | None = None
    apostille: bool = True     # foreign documents need an apostille (or legalisation)
    # Partner countries whose degrees are recognised by agreement without this procedure
    # (or through a simpler one named in `procedure`).
    exempt_from: list[Alpha2] = []


class Regulated(_Rule):
    """A profession that needs a recognised degree and a licence or registration."""

    group: Literal["health", "law", "engineering", "teaching", "accounting", "architecture",
                   "psychology", "veterinary", "other"]
    isco: list[Isco] = Field(min_length=1)   # ISCO-08 codes or prefixes it covers
    label: Localised
    min_level: Literal[tuple(ISCED_LEVELS)] = "bachelor"  # type: ignore[valid-type]
    licence: Localised                       # the licence or registration, what it takes
    authority: Text
    url: Url | None = None
    months: float | None = Field(default=None, ge=0, le=120)


class Reserved(_Rule):
    """Occupations the law reserves for the country's nationals."""

    isco: list[Isco] = Field(min_length=1)
    label: Localised


class Help(_Rule):
    """Free help for people without a regular status: UNHCR, IOM, legal clinics, NGOs, the ombudsman."""

    name: Text
    kind: Literal["unhcr", "iom", "legal_aid", "ngo", "ombudsman", "public"]
    what: Localised                 # what they do for a person, in plain words
    url: Url
    # Where they attend: place names and addresses as written in the country, in its language.
    places: Text | None = None
    phone: Annotated[str, Field(pattern=r"^[+0-9 ()-]{3,30}$")] | None = None


class Country(_Model):
    """One country: its names, languages, statuses and the rules on degrees and professions."""

    code: Alpha2
    names: Localised
    languages: list[Lang] = Field(min_length=1)   # official languages
    quito_process: bool
    roles: list[Literal["host", "origin", "transit"]] = Field(min_length=1)
    statuses: list[Status] = Field(min_length=1)
    recognition: Recognition | None = None
    regulated: list[Regulated] = []
    reserved: list[Reserved] = []
    notes: Localised | None = None
    # Where a person without a regular status gets free, safe help, first to last.
    help: list[Help] = []

    @model_validator(mode="after")
    def _unique_codes(self):
        codes = [s.code for s in self.statuses]
        dupes = sorted({c for c in codes if codes.count(c) > 1})
        if dupes:
            raise ValueError(f"status codes repeated: {', '.join(dupes)}")
        if "national" not in codes:
            raise ValueError("every country needs a 'national' status")
        if "host" in self.roles and self.recognition is None:
            raise ValueError("a host country needs a [recognition] section")
        return self

    @model_validator(mode="after")
    def _safe_help_and_prerequisites(self):
        if "host" in self.roles and not any(h.kind in ("unhcr", "legal_aid") for h in self.help):
            raise ValueError("a host country needs [[help]] with UNHCR or a legal aid service")
        codes = {s.code for s in self.statuses}
        for s in self.statuses:
            unknown = [r for r in s.requires if r != "regular" and r not in codes]
            if unknown:
                raise ValueError(f"status {s.code!r} requires unknown statuses: {', '.join(unknown)}")
        return self

    def status(self, code: str | None) -> Status | None:
        """Find a status of this country.

        Args:
            code: the status code, or one of its aliases.

        Returns:
            The status, or None when the country has no such status.
        """
        return next((s for s in self.statuses if s.code == code), None) or next(
            (s for s in self.statuses if code in s.aliases), None)

    def regulated_for(self, isco: str | None) -> Regulated | None:
        """Find the regulated profession covering an occupation (the longest prefix wins).

        Args:
            isco: an ISCO-08 code, or None.

        Returns:
            The rule, or None when the occupation is not regulated here.
        """
        if not isco:
            return None
        best = None
        for rule in self.regulated:
            for prefix in rule.isco:
                if isco.startswith(prefix) and (best is None or len(prefix) > best[0]):
                    best = (len(prefix), rule)
        return best[1] if best else None

    def reserved_for(self, isco: str | None) -> Reserved | None:
        """Find the rule reserving an occupation for nationals.

        Args:
            isco: an ISCO-08 code, or None.

        Returns:
            The rule, or None when foreigners may take the occupation.
        """
        if not isco:
            return None
        return next((r for r in self.reserved if any(isco.startswith(p) for p in r.isco)), None)


class Degree(_Rule):
    """A national degree name and its ISCED 2011 level."""

    country: Alpha2
    code: Code
    names: list[Text] = Field(min_length=1)       # the names people write, first is the official one
    level: Literal[tuple(ISCED_LEVELS[1:])]  # type: ignore[valid-type]
    label: Localised | None = None


class EducationFile(_Model):
    """The shape of config/education.toml."""

    degrees: list[Degree]


class OccupationHint(_Model):
    """Words that give a vacancy title its ISCO-08 group when ESCO does not."""

    isco: Isco
    words: list[Annotated[str, Field(min_length=3, max_length=60)]] = Field(min_length=1)


class OccupationsFile(_Model):
    """The shape of config/occupations.toml."""

    hints: list[OccupationHint]


def _fold(text: str) -> str:
    """'Técnico Superior (TSU)' -> 'tecnico superior tsu'."""
    return " ".join("".join(c if c.isalnum() else " " for c in normalise_phrase(text)).split())


class KnowledgeBase:
    """The validated knowledge base: countries by code and degrees by name."""

    def __init__(self, countries: dict[str, Country], degrees: list[Degree],
                 hints: list[OccupationHint] | None = None):
        self.countries = countries
        self.degrees = degrees
        self.hints = [(h.isco, [_fold(w) for w in h.words]) for h in hints or []]
        self._degree_names: dict[tuple[str | None, str], Degree] = {}
        levels: dict[str, set[str]] = {}
        for d in degrees:
            for name in (d.code, *d.names):
                self._degree_names.setdefault((d.country, _fold(name)), d)
                self._degree_names.setdefault((None, _fold(name)), d)
                levels.setdefault(_fold(name), set()).add(d.level)
        # A name that means different levels in different countries ("bachiller": school in
        # Venezuela, university in Peru) is only read with its country.
        self.ambiguous = {name for name, found in levels.items() if len(found) > 1}
        for name in self.ambiguous:
            del self._degree_names[(None, name)]

    def country(self, code: str | None) -> Country | None:
        """Find a country.

        Args:
            code: an ISO 3166 alpha-2 code, in either case.

        Returns:
            The country, or None when the knowledge base does not hold it.
        """
        return self.countries.get((code or "").upper())

    def degree(self, name: str, country: str | None = None) -> Degree | None:
        """Find a national degree by its name or code.

        Args:
            name: the name as a person writes it ("Técnico Superior Universitario", "TSU").
            country: where it was issued; looked up there first, then anywhere (unless the
                name means different levels in different countries).

        Returns:
            The degree, or None.
        """
        key = _fold(name)
        return self._degree_names.get((country, key)) or self._degree_names.get((None, key))

    def degree_names(self, country: str | None) -> list[str]:
        """List the degree codes of a country, for error messages.

        Args:
            country: an ISO 3166 alpha-2 code; None for every country.

        Returns:
            The codes, sorted.
        """
        return sorted({d.code for d in self.degrees if country is None or d.country == country})

    def level_of(self, name_or_level: str | int | None, country: str | None = None) -> str | None:
        """Read an education level.

        Args:
            name_or_level: a level code, an ISCED number (0-8) or a degree name.
            country: where a named degree was issued.

        Returns:
            The ISCED level code, or None when it cannot be read.
        """
        if name_or_level is None or name_or_level == "" or isinstance(name_or_level, bool):
            return None
        text = str(name_or_level).strip()
        if isinstance(name_or_level, int) or (text.isascii() and text.isdecimal()):
            n = int(text)
            return ISCED_LEVELS[n] if 0 <= n < len(ISCED_LEVELS) else None
        if text in ISCED_LEVELS:
            return text
        degree = self.degree(text, country)
        return degree.level if degree else None

    def isco_from_title(self, title: str) -> str | None:
        """Guess a job title's occupation from the title hints (config/occupations.toml).

        Args:
            title: the vacancy's title.

        Returns:
            The ISCO-08 group of the first hint whose words the title holds, or None.
        """
        folded = f" {_fold(title)}"
        for isco, words in self.hints:
            if any(f" {w}" in folded for w in words):
                return isco
        return None

    def statuses(self, country: str) -> list[str]:
        """List a country's status codes.

        Args:
            country: an ISO 3166 alpha-2 code.

        Returns:
            The codes in the data file's order; none for a country the base lacks.
        """
        c = self.country(country)
        return [s.code for s in c.statuses] if c else []

    def rules(self) -> Iterator[tuple[str, _Rule]]:
        """Every rule with where it is, country by country, then the degrees.

        Returns:
            (where, rule) pairs, such as ("CO status ppt", <Status>).
        """
        for c in self.countries.values():
            yield from ((f"{c.code} status {s.code}", s) for s in c.statuses)
            if c.recognition:
                yield f"{c.code} recognition", c.recognition
            yield from ((f"{c.code} regulated {r.group} {'/'.join(r.isco)}", r) for r in c.regulated)
            yield from ((f"{c.code} reserved {'/'.join(r.isco)}", r) for r in c.reserved)
            yield from ((f"{c.code} help {h.name}", h) for h in c.help)
        yield from ((f"degree {d.country} {d.code}", d) for d in self.degrees)

    def oldest_check(self) -> dt.date:
        """Return the date of the rule checked longest ago against its source.

        Returns:
            The earliest `source.checked` of every rule.
        """
        return min(rule.source.checked for _, rule in self.rules())

    def uncertain(self) -> list[tuple[str, str]]:
        """List what the data says is uncertain.

        Returns:
            (where, what) for every rule with an `uncertain` note.
        """
        return [(where, rule.uncertain) for where, rule in self.rules() if rule.uncertain]


