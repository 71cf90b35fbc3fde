"""Barrier analytics, shared by the API (JSON, CSV) and the page: where strong matches are
blocked by a permit, the recognition of a degree or a language, country by country.

Counts of matches, not of people, and they must not point at one person: the threshold
is one of a few fixed steps (so that two nearby thresholds cannot isolate one match), and
a count below PUENTE_BARRIER_MIN_COUNT is withheld (null in JSON, "<N" in CSV and on the
page). Access control for these figures comes with the accounts of the public employment
services; until then they are public.
"""
from __future__ import annotations

from matching.eligibility import BARRIER_GROUPS, count_barriers
from models.queries import strong_matches

from .extensions import db_session, settings

__all__ = ["THRESHOLDS", "barrier_table", "read_min_score", "thresholds"]

THRESHOLDS = (0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9)


def thresholds() -> list[float]:
    """The values min_score may take: the fixed steps and the configured one."""
    return sorted({*THRESHOLDS, settings().barrier_score})


def read_min_score(raw: str | None) -> float | None:
    """The threshold asked for (the configured one when none is), or None if it is not one of `thresholds()`."""
    if raw in (None, ""):
        return settings().barrier_score
    try:
        value = round(float(raw.replace(",", ".")), 6)
    except ValueError:
        return None
    return value if value in thresholds() else None


def _withhold(row: dict, floor: int) -> dict:
    """Replace counts below `floor` by None: they could point at one person."""
    hide = (lambda n: None if 0 < n < floor else n) if floor > 1 else (lambda n: n)
    return {"country": row["country"], "strong_matches": hide(row["strong_matches"]),
            "eligible_now": hide(row["eligible_now"]), "blocked": {g: hide(n) for g, n in row["blocked"].items()}}


def barrier_table(min_score: float) -> dict:
    """The counts by country and in total, small ones withheld."""
    rows, total = count_barriers(strong_matches(db_session(), min_score), min_score)
    floor = settings().barrier_min_count
    return {"min_score": min_score, "min_count": floor, "groups": list(BARRIER_GROUPS),
            "countries": [_withhold(r, floor) for r in rows], "total": _withhold(total, floor)}
