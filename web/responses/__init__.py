"""What goes out: one pydantic model per shape the API answers with and the pages show.

The API dumps these models, the pages draw the same dumps, and the OpenAPI document
(web/api/openapi.py) takes its response schemas from them, so the three cannot drift.
A key that is written only sometimes (a step's `months`, an answer's `message`) has a
default and is left out of the dump when it was not given (`dump`).
"""
from __future__ import annotations

from .common import ErrorOut, Health, ProfileAccepted, ReasonOut, StepOut, VacancyAccepted, dump, iso
from .mobility import (
    Barriers,
    CountriesOut,
    CountryOut,
    Eligibility,
    OpenApiOut,
    Suggestions,
    country_out,
    country_summary,
)
from .records import (
    ApplicationOut,
    Applications,
    CandidateOut,
    CandidateRanking,
    Conversations,
    InterestOut,
    JobOut,
    ProfileExport,
    ProfileMatch,
    ProfileOut,
    Ranking,
    RunOut,
    VacancyMatch,
    VacancyOut,
    application_out,
    candidate_card,
    interest_out,
    match_out,
    profile_out,
    run_out,
    run_status,
    vacancy_out,
)

__all__ = [
    "ApplicationOut",
    "Applications",
    "Barriers",
    "CandidateOut",
    "CandidateRanking",
    "Conversations",
    "CountriesOut",
    "CountryOut",
    "Eligibility",
    "ErrorOut",
    "Health",
    "InterestOut",
    "JobOut",
    "OpenApiOut",
    "ProfileAccepted",
    "ProfileExport",
    "ProfileMatch",
    "ProfileOut",
    "Ranking",
    "ReasonOut",
    "RunOut",
    "StepOut",
    "Suggestions",
    "VacancyAccepted",
    "VacancyMatch",
    "VacancyOut",
    "application_out",
    "candidate_card",
    "country_out",
    "country_summary",
    "dump",
    "interest_out",
    "iso",
    "match_out",
    "profile_out",
    "run_out",
    "run_status",
    "vacancy_out",
]
