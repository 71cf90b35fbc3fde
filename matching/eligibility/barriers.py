"""Barrier analytics: which kinds of step block the strong matches, country by country."""
from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from .facts import CHECK_RULES

__all__ = ["BARRIERS", "BARRIER_GROUPS", "BLOCKING", "barrier_group", "count_barriers", "group_left_out"]

BARRIERS = ("permit", "recognition", "language")
# A licence is part of having a degree count; older stored steps used these codes.
_FAMILY = {"permit": "permit", "recognition": "recognition", "licence": "recognition", "language": "language",
           "work_permit": "permit", "regularise": "permit", "recognise_degree": "recognition",
           "learn_language": "language"}
# Every non-empty combination, in a fixed order: permit, recognition, language, then pairs,
# then all; and, apart, matches whose only step is to confirm a status the person did not give.
# The reasons that keep a job off a person's list, in the order one is named when several hold.
BLOCKING = ("reserved_for_nationals", "below_required_level", "no_route")
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
    unknown = any(str(s.get("rule", "")).startswith(CHECK_RULES) for s in steps)
    found = {_FAMILY.get(s.get("kind") or s.get("code") or "") for s in steps
             if not str(s.get("rule", "")).startswith(CHECK_RULES)} - {None}
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


def group_left_out(reasons: Iterable[Sequence[Mapping]]) -> list[dict]:
    """Group the jobs the rules left off a person's list by why.

    Args:
        reasons: each left-out job's verdict reasons.

    Returns:
        [{"code", "country", "count"} (and "required" for a level)], largest group first;
        each job counts once, under its first blocking reason (see BLOCKING).
    """
    counts: dict[tuple, int] = {}
    for found in reasons:
        blocking = sorted((r for r in found if r.get("code") in BLOCKING), key=lambda r: BLOCKING.index(r["code"]))
        if not blocking:
            continue
        first = blocking[0]
        key = (first["code"], first.get("country"), first.get("required"))
        counts[key] = counts.get(key, 0) + 1
    groups = sorted(counts.items(), key=lambda kv: (-kv[1], BLOCKING.index(kv[0][0]), kv[0][1] or ""))
    return [{"code": code, "country": country, **({"required": required} if required else {}), "count": n}
            for (code, country, required), n in groups]
