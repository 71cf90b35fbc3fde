"""The knowledge base's countries, the eligibility answer, the barrier counts, the
suggestions, and the OpenAPI document itself."""
from __future__ import annotations

from typing import Annotated, Any, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field

from matching.eligibility import BARRIER_GROUPS
from matching.knowledge import Country

from .common import Day, Locale, Out, ReasonOut, StepOut, Unit, Verdict

__all__ = ["Barriers", "CountriesOut", "CountryOut", "Eligibility", "MoveOut", "OpenApiOut", "PlacementOut",
           "Suggestions", "country_out", "country_summary"]

Count = Annotated[int | None, Field(ge=0)]   # None: withheld, it could point at one person
BarrierGroup = Literal[tuple(BARRIER_GROUPS)]  # type: ignore[valid-type]

# The knowledge base's own parts, reached through its public model.
Localised = Country.model_fields["names"].annotation
Status = get_args(Country.model_fields["statuses"].annotation)[0]
Source = Status.model_fields["source"].annotation


class StatusSummary(Out):
    code: str
    label: Localised
    authorises_work: bool
    source: Source
    checked: Day
    uncertain: str = None


class CountrySummary(Out):
    code: str
    names: Localised
    languages: list[str]
    quito_process: bool
    roles: list[Literal["host", "origin", "transit"]]
    statuses: list[StatusSummary]


def country_summary(country) -> CountrySummary:
    """A country of the knowledge base: each status with code, label (es, pt, en),
    authorises_work, source and checked."""
    statuses = [StatusSummary(code=s.code, label=s.label, authorises_work=s.authorises_work, source=s.source,
                              checked=s.source.checked, **({"uncertain": s.uncertain} if s.uncertain else {}))
                for s in country.statuses]
    return CountrySummary(code=country.code, names=country.names, languages=country.languages,
                          quito_process=country.quito_process, roles=country.roles, statuses=statuses)


class CountriesOut(Out):
    countries: list[CountrySummary]
    oldest_check: Day


# A country in full is the knowledge base's own model; each status also carries its date checked.
CountryOut = Country


def country_out(country) -> dict:
    """A country in full: also how to obtain each status, recognition of degrees and regulated professions."""
    out = country.model_dump(mode="json", exclude_none=True)
    out["statuses"] = [{**s.model_dump(mode="json", exclude_none=True), "checked": s.source.checked.isoformat()}
                       for s in country.statuses]
    return out


class Eligibility(Out):
    """May this person work in that country, and what would it take."""

    verdict: Verdict
    steps: list[StepOut]
    reasons: list[ReasonOut]
    overqualified: Literal[True] = None
    routes: list[StepOut] = None
    locale: Locale


class BarrierRow(Out):
    country: str
    strong_matches: Count
    eligible_now: Count
    blocked: dict[BarrierGroup, Count]


class Barriers(Out):
    """Strong matches by country and the barriers blocking them (small counts withheld as null)."""

    min_score: Unit
    min_count: int = Field(ge=0)
    groups: list[BarrierGroup]
    countries: list[BarrierRow]
    total: BarrierRow


class Suggestions(Out):
    suggestions: list[str] = Field(max_length=10)


class OpenApiOut(BaseModel):
    """An OpenAPI 3.1 document."""

    model_config = ConfigDict(extra="allow")

    openapi: str
    info: dict[str, Any]
    paths: dict[str, Any]


class MoveOut(Out):
    """One proposed move: a person (by candidate id, as in the shortlist CSV) to a vacancy."""

    candidate_id: int
    profile_city: str
    profile_country: str
    vacancy_id: int
    vacancy_title: str
    vacancy_city: str
    vacancy_country: str
    chance: float = Field(ge=0, le=1, description="The chance of a hire for this pair.")
    score: float
    ready_now: bool
    steps: list[str] = Field(description="What the move needs first (a permit, a recognition, a language).")


class PlacementOut(Out):
    """A placement of a group across vacancies under their openings, for the most expected hires."""

    people: int
    vacancies: int
    openings: int
    chance_from: Literal["outcomes", "score"] = Field(
        description="outcomes: a curve fitted on whom employers hired; score: too few hires yet, the score stands in.")
    expected_hires: float
    greedy_expected_hires: float = Field(
        description="Without coordination: everyone in turn takes their own best match while it has an opening (top-1).")
    moves: list[MoveOut]
    unplaced: list[int]
