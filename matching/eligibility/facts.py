"""What eligibility reads (a person, a job) and what it answers (steps, a verdict)."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ..vocab import EDUCATION_LEVELS, LANGUAGE_LEVELS

__all__ = ["CHECK_RULES", "LEVELS", "STEP_KINDS", "VERDICTS", "Job", "Person", "Step", "Verdict", "speaks"]

LEVELS = tuple(EDUCATION_LEVELS)
STEP_KINDS = ("permit", "recognition", "licence", "language")
VERDICTS = ("eligible_now", "after_steps", "not_eligible")
# Step rules that ask a person who did not give their status to confirm it (not a barrier
# known to stand in the way).
CHECK_RULES = ("check_status", "check_protection")


def speaks(level: str | None) -> bool:
    """Tell whether a language level is enough to work in that language.

    Args:
        level: a level code ("native", "fluent", "intermediate", "basic") or None.

    Returns:
        True for intermediate or better.
    """
    return LANGUAGE_LEVELS.get(level or "", 0.0) >= LANGUAGE_LEVELS["intermediate"]


@dataclass(frozen=True)
class Person:
    """What eligibility needs to know of a person (nothing else)."""

    nationalities: tuple[str, ...] = ()
    current_country: str | None = None
    status: str | None = None               # a status code of the current country
    education_level: str | None = None      # an ISCED level code (see LEVELS)
    education_country: str | None = None    # where the degree was issued
    recognised_in: tuple[str, ...] = ()     # countries where it is already recognised
    languages: Mapping[str, str] = field(default_factory=dict)  # code -> level


@dataclass(frozen=True)
class Job:
    """What eligibility needs to know of a vacancy."""

    country: str
    occupation_isco: str | None = None
    education_level: str | None = None      # required ISCED level code
    languages: tuple[str, ...] = ()         # required languages
    regulated: bool = False                 # ESCO marks the occupation as regulated
    remote: bool = False                    # done from where the person lives


@dataclass(frozen=True)
class Step:
    """One concrete step: a reference into the knowledge base, not a text."""

    kind: str                  # permit | recognition | licence | language
    country: str
    # "status:<code>", "check_status:<code>", "check_protection", "protection", "recognition", "recognition:other",
    # "regulated:<group>:<its first ISCO code>", "language:<code>"
    rule: str
    authority: str | None = None
    url: str | None = None
    months: float | None = None

    def to_dict(self) -> dict:
        """Return the step as stored with a match (the fields that are set)."""
        return {k: v for k, v in self.__dict__.items() if v is not None}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Step:
        """Read a stored step back (missing fields are None)."""
        return cls(**{k: data.get(k) for k in ("kind", "country", "rule", "authority", "url", "months")})


@dataclass(frozen=True)
class Verdict:
    """Whether the person can take the job: one of VERDICTS, the steps and the reasons."""

    verdict: str
    steps: tuple[Step, ...] = ()
    reasons: tuple[dict, ...] = ()
    overqualified: bool = False
    routes: tuple[Step, ...] = ()   # steps that would open skilled work (over-qualified people)

    @property
    def barriers(self) -> frozenset[str]:
        """The kinds of step this match needs (empty when the person can start now)."""
        return frozenset(s.kind for s in self.steps)

    def to_dict(self) -> dict:
        """Return the verdict as stored with a match."""
        out = {"verdict": self.verdict, "steps": [s.to_dict() for s in self.steps],
               "reasons": list(self.reasons)}
        if self.overqualified:
            out["overqualified"] = True
            out["routes"] = [s.to_dict() for s in self.routes]
        return out

