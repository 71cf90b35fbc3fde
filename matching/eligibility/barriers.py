"""Barrier analytics: which kinds of step block the strong matches, country by country."""
from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

__all__ = ["BARRIERS", "BARRIER_GROUPS", "barrier_group", "count_barriers"]

BARRIERS = ("permit", "recognition", "language")
# A licence is part of having a degree count; older stored steps used these codes.
_FAMILY = {"permit": "permit", "recognition": "recognition", "licence": "recognition", "language": "language",
           "work_permit": "permit", "regularise": "permit", "recognise_degree": "recognition",
           "learn_language": "language"}
# Every non-empty combination, in a fixed order: permit, recognition, language, then pairs,
# then all; and, apart, matches whose only step is to confirm a status the person did not give.
BARRIER_GROUPS = ("permit", "recognition", "language", "permit+recognition", "permit+language",
                  "recognition+language", "permit+recognition+language", "status_not_given")


def barrier_group(steps: Sequence[Mapping]) -> str | None:
    """Name the barriers a stored match's steps add up to.

    A status to confirm is not counted as a permit barrier: the person did not say.

    Args:
        steps: the stored steps (dicts with "kind" and "rule"; older ones with "code").

    Returns:
        None (can start now), "permit", "permit+recognition", ... or "status_not_given"
        (see BARRIER_GROUPS).
    """
    unknown = any(str(s.get("rule", "")).startswith("check_status") for s in steps)
    found = {_FAMILY.get(s.get("kind") or s.get("code") or "") for s in steps
             if not str(s.get("rule", "")).startswith("check_status")} - {None}
    if not found:
        return "status_not_given" if unknown else None
    return "+".join(b for b in BARRIERS if b in found)


def count_barriers(rows: Iterable[tuple[str, float, Sequence[Mapping] | None]],
                   min_score: float) -> tuple[list[dict], dict]:
    """Count strong matches per country by the barriers that block them.

    Args:
        rows: (country, score, steps) of stored matches, one per profile-vacancy pair.
        min_score: a match at least this good is strong.

    Returns:
        One dict per country (sorted by code) — country, strong_matches, eligible_now, and
        `blocked` {group: count} over BARRIER_GROUPS — and the same for all countries.
    """
    def empty(country: str) -> dict:
        return {"country": country, "strong_matches": 0, "eligible_now": 0,
                "blocked": dict.fromkeys(BARRIER_GROUPS, 0)}

    table: dict[str, dict] = {}
    total = empty("all")
    for country, score, steps in rows:
        if score < min_score:
            continue
        group = barrier_group(steps or [])
        for row in (table.setdefault(country, empty(country)), total):
            row["strong_matches"] += 1
            if group is None:
                row["eligible_now"] += 1
            else:
                row["blocked"][group] += 1
    return [table[c] for c in sorted(table)], total
