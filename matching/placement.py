"""Who could go where: a placement of a group of job seekers across vacancies in several
places, under each vacancy's openings, that maximises the expected number of hires (issue 17).

A case worker organising relocation (as Brazil's programme does from Roraima) has a group of
people and a set of vacancies with their openings. Each allowed pair (the person's stated
countries and the mobility rules already decided which pairs are matches) has a chance of a
hire. `optimal` solves the assignment exactly (SciPy's `linear_sum_assignment`, each vacancy
repeated once per opening, a person to at most one vacancy); `greedy` is what happens without
coordination: everyone in turn takes their own best match while it has an opening. Under the
openings means what it says for both: nobody is proposed a move for which there is no
opening left (a relocation for nothing costs a family its savings). `expected_hires` counts
what a proposal would give, a vacancy never hiring more than its openings (the chance of k
hires among n candidates is a Poisson-binomial).

Pure: ids, chances and openings in; a proposal out.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

__all__ = ["Proposal", "expected_hires", "greedy", "optimal"]


@dataclass(frozen=True)
class Proposal:
    """Person -> vacancy (people left out are not in it), and its expected hires."""

    moves: dict[int, int]
    expected: float


def _at_most(chances: list[float], openings: int) -> float:
    """E[min(openings, number hired)] when each candidate is hired independently."""
    dist = np.zeros(len(chances) + 1)
    dist[0] = 1.0
    for p in chances:   # Poisson-binomial, one candidate at a time
        dist[1:] = dist[1:] * (1 - p) + dist[:-1] * p
        dist[0] *= 1 - p
    return float(sum(min(k, openings) * q for k, q in enumerate(dist)))


def expected_hires(moves: Mapping[int, int], chance: Mapping[tuple[int, int], float],
                   openings: Mapping[int, int]) -> float:
    """The expected hires of a proposal: per vacancy, the expected number hired among the
    people sent there, capped at its openings."""
    sent: dict[int, list[float]] = {}
    for person, vacancy in moves.items():
        sent.setdefault(vacancy, []).append(chance[(person, vacancy)])
    return sum(_at_most(ps, openings[v]) for v, ps in sent.items())


def greedy(chance: Mapping[tuple[int, int], float], openings: Mapping[int, int]) -> Proposal:
    """Top-1 without coordination: everyone in turn (in the order they came, by id) takes
    their own most likely vacancy that still has an opening."""
    left = {v: int(n) for v, n in openings.items()}
    options: dict[int, list[tuple[float, int]]] = {}
    for (person, vacancy), p in chance.items():
        if vacancy in left and p > 0:
            options.setdefault(person, []).append((p, vacancy))
    moves = {}
    for person in sorted(options):
        for _, vacancy in sorted(options[person], key=lambda pv: (-pv[0], pv[1])):
            if left[vacancy] > 0:
                moves[person] = vacancy
                left[vacancy] -= 1
                break
    return Proposal(moves, expected_hires(moves, chance, openings))


def optimal(chance: Mapping[tuple[int, int], float], openings: Mapping[int, int]) -> Proposal:
    """The assignment with the most expected hires: each person to at most one vacancy, each
    vacancy at most its openings (exact, by linear_sum_assignment)."""
    from scipy.optimize import linear_sum_assignment

    people = sorted({p for p, v in chance if v in openings})
    slots = [v for v in sorted(openings) for _ in range(max(0, int(openings[v])))]
    if not people or not slots:
        return Proposal({}, 0.0)
    row = {p: i for i, p in enumerate(people)}
    gain = np.zeros((len(people), len(slots)))
    for j, v in enumerate(slots):
        for p in people:
            gain[row[p], j] = chance.get((p, v), 0.0)
    rows, cols = linear_sum_assignment(gain, maximize=True)
    moves = {people[r]: slots[c] for r, c in zip(rows, cols, strict=True) if gain[r, c] > 0}
    return Proposal(moves, expected_hires(moves, chance, openings))
