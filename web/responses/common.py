"""The parts every answer is made of: times as clients read them, the error, the 202s,
and a step or reason written for a person."""
from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, PlainSerializer, WithJsonSchema

from matching import EDUCATION_LEVELS
from matching.eligibility import STEP_KINDS, VERDICTS
from matching.i18n import LOCALES

__all__ = ["Day", "EducationLevel", "ErrorOut", "Health", "Locale", "Out", "ProfileAccepted", "ReasonOut", "StepOut", "Time", "Unit",
           "VacancyAccepted", "Verdict", "dump", "iso"]

# As `datetime.isoformat` writes it ("+00:00", never "Z"): what clients have always read.
Time = Annotated[dt.datetime, PlainSerializer(lambda t: t.isoformat(), return_type=str),
                 WithJsonSchema({"type": "string", "format": "date-time"})]
Day = Annotated[dt.date, PlainSerializer(lambda d: d.isoformat(), return_type=str),
                WithJsonSchema({"type": "string", "format": "date"})]
Unit = Annotated[float, Field(ge=0, le=1)]
Verdict = Literal[tuple(VERDICTS)]  # type: ignore[valid-type]
EducationLevel = Literal[tuple(EDUCATION_LEVELS)]  # type: ignore[valid-type]
Locale = Literal[tuple(LOCALES)]  # type: ignore[valid-type]


class Out(BaseModel):
    """An answer's shape: exactly these keys (the document says `additionalProperties: false`)."""

    model_config = ConfigDict(extra="forbid")


Up = Literal["ok", "down"]


class Health(Out):
    """`/healthz`: whether the database and Redis answer; 503 when either is down."""

    status: Up
    database: Up
    redis: Up


def dump(model: BaseModel) -> dict:
    """The model as JSON-ready data, without the keys that were not given."""
    return model.model_dump(mode="json", exclude_unset=True)


def iso(t: dt.datetime | None) -> str | None:
    """Return an ISO 8601 timestamp, or None."""
    return t.isoformat() if t else None


class ErrorOut(Out):
    """Every error answer."""

    error: str
    message: str
    fields: dict[str, str] = Field(description="What is wrong, by field (`jobs.0.title`; `_` for the whole body).")


class ProfileAccepted(Out):
    id: str = Field(description="The profile's private id: keep it.")
    status: Literal["queued"]
    message: str = Field(None, description="Only when the queue is away.")


class VacancyAccepted(Out):
    id: int
    status: Literal["queued"]
    key: str = Field(description="Opens the candidate list; shown once.")
    message: str = Field(None, description="Only when the queue is away.")


class StepOut(Out):
    """A step a person would take (a permit, a recognition, a licence, a language), in their language."""

    kind: Literal[tuple(STEP_KINDS)]  # type: ignore[valid-type]
    text: str
    authority: str = None
    url: str = None
    months: float = None
    uncertain: bool = None
    caution: str = None    # what to know before acting (a risk), from the knowledge base


class ReasonOut(Out):
    code: str | None
    text: str
