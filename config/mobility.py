"""The mobility knowledge base: countries, residence statuses, recognition of degrees,
regulated professions and national degree names.

The facts live in reviewed data files beside this module, so that a maintainer can change
them when the law changes, without touching code:

    config/countries/<cc>.toml   one file per country (ISO 3166 alpha-2, lower case)
    config/education.toml        national degree names and their ISCED 2011 levels
    config/occupations.toml      title words that give a vacancy its ISCO-08 group when ESCO does not

Every rule carries its source (institution, address) and the date it was checked against
that source; a fact that is not certain says what is uncertain in `uncertain`. The files
are validated when the web app or a worker starts (`load_knowledge_base()`), and by

    python -m config.mobility [DIR]               # validate and print a summary
    python -m config.mobility --uncertain [DIR]   # list what the data says is uncertain
    python -m config.mobility --docs              # rewrite that list in docs/mobility.md

A file that breaks the schema stops start-up with the file, the field and the reason.
"""
from __future__ import annotations

import datetime as dt
import functools
import re
import sys
import tomllib
from pathlib import Path
from typing import Annotated, Literal

import pycountry
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    model_validator,
)

from matching.documents import normalise_phrase
from matching.vocab import EDUCATION_LEVELS

__all__ = [
    "COUNTRIES_DIR",
    "EDUCATION_FILE",
    "ISCED_LEVELS",
    "REQUIRED_COUNTRIES",
    "Country",
    "Degree",
    "KnowledgeBase",
    "KnowledgeBaseError",
    "Localised",
    "Recognition",
    "Regulated",
    "Reserved",
    "Source",
    "Status",
    "load_knowledge_base",
]

CONFIG_DIR = Path(__file__).resolve().parent
COUNTRIES_DIR = CONFIG_DIR / "countries"
EDUCATION_FILE = CONFIG_DIR / "education.toml"

# The members of the Quito Process this knowledge base must cover, and Venezuela as the
# main country of origin.
REQUIRED_COUNTRIES = ("AR", "BR", "CL", "CO", "CR", "DO", "EC", "GY", "MX", "PA", "PY", "PE", "UY", "VE")

# ISCED 2011 levels by the codes Puente uses in forms and the API.
ISCED_LEVELS = tuple(EDUCATION_LEVELS)


class KnowledgeBaseError(RuntimeError):
    """A data file of the knowledge base is missing or breaks the schema."""


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
        return getattr(self, locale if locale in ("es", "pt", "en") else "es")


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

    @model_validator(mode="after")
    def _obtainable_has_how(self):
        if self.obtain != "closed" and self.kind not in ("national", "irregular") and self.how is None:
            raise ValueError(f"status {self.code!r} can be obtained but has no 'how'")
        return self


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


class Country(_Model):
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

    def status(self, code: str | None) -> Status | None:
        """The status with this code (or alias), or None."""
        return next((s for s in self.statuses if s.code == code), None) or next(
            (s for s in self.statuses if code in s.aliases), None)

    def regulated_for(self, isco: str | None) -> Regulated | None:
        """The regulated profession covering an ISCO code (the longest prefix wins)."""
        if not isco:
            return None
        best = None
        for rule in self.regulated:
            for prefix in rule.isco:
                if isco.startswith(prefix) and (best is None or len(prefix) > best[0]):
                    best = (len(prefix), rule)
        return best[1] if best else None

    def reserved_for(self, isco: str | None) -> Reserved | None:
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


class _EducationFile(_Model):
    degrees: list[Degree]


class OccupationHint(_Model):
    """Words that give a vacancy title its ISCO-08 group when ESCO does not."""

    isco: Isco
    words: list[Annotated[str, Field(min_length=3, max_length=60)]] = Field(min_length=1)


class _OccupationsFile(_Model):
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
        return self.countries.get((code or "").upper())

    def degree(self, name: str, country: str | None = None) -> Degree | None:
        """Find a national degree by its name or code, in `country` first, then anywhere
        (unless the name means different levels in different countries)."""
        key = _fold(name)
        return self._degree_names.get((country, key)) or self._degree_names.get((None, key))

    def degree_names(self, country: str | None) -> list[str]:
        """The degree codes of a country (all countries' when None), for error messages."""
        return sorted({d.code for d in self.degrees if country is None or d.country == country})

    def level_of(self, name_or_level: str | int | None, country: str | None = None) -> str | None:
        """Return the ISCED level code of a level code, an ISCED number (0-8) or a degree name."""
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
        """The ISCO-08 group the first matching hint gives a job title (config/occupations.toml)."""
        folded = f" {_fold(title)}"
        for isco, words in self.hints:
            if any(f" {w}" in folded for w in words):
                return isco
        return None

    def statuses(self, country: str) -> list[str]:
        c = self.country(country)
        return [s.code for s in c.statuses] if c else []

    def oldest_check(self) -> dt.date:
        dates = [d.source.checked for d in self.degrees]
        for c in self.countries.values():
            dates += [s.source.checked for s in c.statuses] + [r.source.checked for r in c.regulated]
            if c.recognition:
                dates.append(c.recognition.source.checked)
        return min(dates)

    def uncertain(self) -> list[tuple[str, str]]:
        """(where, what) for every rule that says it is uncertain."""
        out = []
        for c in self.countries.values():
            for s in c.statuses:
                if s.uncertain:
                    out.append((f"{c.code} status {s.code}", s.uncertain))
            if c.recognition and c.recognition.uncertain:
                out.append((f"{c.code} recognition", c.recognition.uncertain))
            for r in c.regulated:
                if r.uncertain:
                    out.append((f"{c.code} regulated {r.group} {'/'.join(r.isco)}", r.uncertain))
            for r in c.reserved:
                if r.uncertain:
                    out.append((f"{c.code} reserved {'/'.join(r.isco)}", r.uncertain))
        for d in self.degrees:
            if d.uncertain:
                out.append((f"degree {d.country} {d.code}", d.uncertain))
        return out


def _describe(exc: ValidationError) -> str:
    lines = []
    for err in exc.errors(include_url=False):
        where = ".".join(str(p) for p in err["loc"]) or "(file)"
        lines.append(f"  {where}: {err['msg']}")
    return "\n".join(lines)


def _read(path: Path) -> dict:
    try:
        with open(path, "rb") as fh:
            return tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        raise KnowledgeBaseError(f"{path}: not valid TOML: {exc}") from exc


def _load(countries_dir: Path, education_file: Path, required: tuple[str, ...],
          occupations_file: Path | None = None) -> KnowledgeBase:
    countries: dict[str, Country] = {}
    errors = []
    for path in sorted(countries_dir.glob("*.toml")):
        try:
            country = Country.model_validate(_read(path))
        except ValidationError as exc:
            errors.append(f"{path}:\n{_describe(exc)}")
            continue
        if path.stem.upper() != country.code:
            errors.append(f"{path}: the file name must be the country code in lower case ({country.code.lower()}.toml)")
        countries[country.code] = country
    missing = [c for c in required if c not in countries]
    if missing:
        errors.append(f"{countries_dir}: no file for {', '.join(missing)}")
    try:
        degrees = _EducationFile.model_validate(_read(education_file)).degrees
    except ValidationError as exc:
        errors.append(f"{education_file}:\n{_describe(exc)}")
        degrees = []
    except FileNotFoundError:
        errors.append(f"{education_file}: missing")
        degrees = []
    seen = set()
    for d in degrees:
        if (d.country, d.code) in seen:
            errors.append(f"{education_file}: degree {d.country} {d.code} is listed twice")
        seen.add((d.country, d.code))
    hints: list[OccupationHint] = []
    if occupations_file is not None and occupations_file.exists():
        try:
            hints = _OccupationsFile.model_validate(_read(occupations_file)).hints
        except ValidationError as exc:
            errors.append(f"{occupations_file}:\n{_describe(exc)}")
    if errors:
        raise KnowledgeBaseError("The mobility knowledge base is invalid:\n" + "\n".join(errors))
    return KnowledgeBase(countries, degrees, hints)


@functools.lru_cache(maxsize=4)
def load_knowledge_base(root: str | Path | None = None,
                        required: tuple[str, ...] = REQUIRED_COUNTRIES) -> KnowledgeBase:
    """Read and validate the knowledge base (cached: the files are read once per process).

    Args:
        root: the folder holding `countries/` and `education.toml` (default: `config/`;
            PUENTE_MOBILITY_DIR points a deployment at its own reviewed copy).
        required: the countries that must have a file.

    Raises:
        KnowledgeBaseError: with every file, field and reason that is wrong.
    """
    root = Path(root) if root else CONFIG_DIR
    return _load(root / "countries", root / "education.toml", required, root / "occupations.toml")


def uncertain_markdown(kb: KnowledgeBase) -> str:
    """The rules marked uncertain, as a Markdown list (for docs/mobility.md)."""
    lines = [f"- **{where}**: {what}" for where, what in kb.uncertain()]
    return "\n".join(lines) + "\n"


DOCS_FILE = CONFIG_DIR.parent / "docs" / "mobility.md"
DOCS_MARKER = "Generated by `python -m config.mobility --docs` from the `uncertain` fields.\n\n"


def write_docs(kb: KnowledgeBase, path: Path = DOCS_FILE) -> None:
    """Replace the generated list at the end of docs/mobility.md."""
    text = path.read_text(encoding="utf-8")
    head = text.split(DOCS_MARKER, 1)[0]
    path.write_text(head + DOCS_MARKER + uncertain_markdown(kb), encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    argv = list(argv or [])
    markdown, docs = "--uncertain" in argv, "--docs" in argv
    argv = [a for a in argv if a not in ("--uncertain", "--docs")]
    try:
        kb = load_knowledge_base(argv[0] if argv else None)
    except KnowledgeBaseError as exc:
        print(exc, file=sys.stderr)
        return 1
    if markdown:
        print(uncertain_markdown(kb), end="")
        return 0
    if docs:
        write_docs(kb)
        print(f"wrote {DOCS_FILE}")
        return 0
    for code, c in sorted(kb.countries.items()):
        print(f"{code} {c.names.en:<20} statuses={len(c.statuses):2d} regulated={len(c.regulated):2d} "
              f"reserved={len(c.reserved)} recognition={'yes' if c.recognition else 'no'}")
    print(f"{len(kb.degrees)} degree names; oldest check {kb.oldest_check()}; "
          f"{len(kb.uncertain())} rules marked uncertain")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
