"""Placement across places for case workers (issue 17): for a group of job seekers and the
open vacancies of some countries, who could go where to maximise expected hires under the
vacancies' openings (`matching.placement`), with the steps each move needs.

Only pairs that are matches are considered: the person's stated countries and the mobility
rules already decided which vacancies are within their reach (the person's own ranking). The
chance of a hire comes from a curve fitted on what employers were shown and whom they hired
(`models.history.hire_curve`); before there are enough hires, the match's score stands in
for it, and the answer says so.
"""
from __future__ import annotations

import math

from sqlalchemy import func, select

from matching.placement import greedy, optimal
from matching.scoring import combine
from models import NOT_RELEVANT, PROFILE, Match, Outcome, Profile, Vacancy
from models.history import hire_curve, live_model

from .extensions import db_session, knowledge, settings
from .responses import match_out

__all__ = ["MAX_PEOPLE", "propose"]

MAX_PEOPLE = 500   # a group larger than this is several placements (the solver is cubic)


def _group(s, candidates: list[int] | None, from_country: str | None, from_city: str | None) -> list[Profile]:
    stmt = select(Profile)
    if candidates:
        stmt = stmt.where(Profile.id.in_(candidates))
    if from_country:
        stmt = stmt.where(Profile.country == from_country)
    if from_city:   # in the query, before the limit: the city's people, whoever came first
        stmt = stmt.where(func.lower(func.trim(Profile.city)) == " ".join(from_city.split()).lower())
    return list(s.scalars(stmt.order_by(Profile.id).limit(MAX_PEOPLE + 1)))


def _pairs(s, people: list[int], vacancies: dict) -> list[Match]:
    """The group's matches with the vacancies, but those the person said are not for them."""
    matches = [m for m in s.scalars(select(Match).where(Match.owner == PROFILE, Match.profile_id.in_(people)))
               if m.vacancy_id in vacancies]
    hidden = set(s.execute(select(Outcome.profile_id, Outcome.vacancy_id).where(
        Outcome.kind == NOT_RELEVANT, Outcome.profile_id.in_(people))).all())
    return [m for m in matches if (m.profile_id, m.vacancy_id) not in hidden]


def _chances(s, matches: list[Match]) -> tuple[dict[tuple[int, int], float], str]:
    """The chance of a hire of each pair, and where it comes from: the hire curve
    ("outcomes"), fitted on employers' lists, applied to the pair's score as an employer's
    list has it (without the eligibility dimension, with the weights in use); else that
    score itself ("score")."""
    live = live_model(s)
    weights = live.weights if live else settings().weights
    employer = {(m.profile_id, m.vacancy_id): combine({k: v for k, v in m.scores.items() if k != "eligibility"},
                                                       weights) for m in matches}
    curve = hire_curve(s)
    if curve is None:
        return employer, "score"
    return {pair: 1 / (1 + math.exp(-(curve[0] * x + curve[1]))) for pair, x in employer.items()}, "outcomes"


def _move(match: Match, person: Profile, v: Vacancy, chance: float, locale: str) -> dict:
    out = match_out(match, locale, knowledge())
    return {"candidate_id": person.id, "profile_city": person.city, "profile_country": person.country,
            "vacancy_id": v.id, "vacancy_title": v.title, "vacancy_city": v.city, "vacancy_country": v.country,
            "chance": round(chance, 4), "score": match.score, "ready_now": out.explanation.ready_now,
            "steps": [step.text for step in out.explanation.steps]}


def propose(*, candidates: list[int] | None = None, from_country: str | None = None, from_city: str | None = None,
            to_countries: list[str] | None = None, locale: str = "es") -> dict:
    """The proposal: moves (person, vacancy, chance, steps), its expected hires, and what
    everyone taking their own best match would give (greedy top-1). People are named by
    their candidate id (as in the shortlist CSV), never by their private link."""
    s = db_session()
    people = _group(s, candidates, from_country, from_city)
    if len(people) > MAX_PEOPLE:
        raise ValueError(f"more than {MAX_PEOPLE} people: split the group")
    by_id = {p.id: p for p in people}
    stmt = select(Vacancy).where(Vacancy.status == "open")
    if to_countries:
        stmt = stmt.where(Vacancy.country.in_(to_countries))
    vacancies = {v.id: v for v in s.scalars(stmt)}
    matches = _pairs(s, list(by_id), vacancies)
    chance, source = _chances(s, matches)
    # No more slots than people who could take them (a vacancy of 10,000 openings is not 10,000 columns).
    reach: dict[int, int] = {}
    for m in matches:
        reach[m.vacancy_id] = reach.get(m.vacancy_id, 0) + 1
    openings = {v.id: min(v.openings, reach.get(v.id, 0)) for v in vacancies.values()}
    best, top1 = optimal(chance, openings), greedy(chance, openings)
    stored = {(m.profile_id, m.vacancy_id): m for m in matches}
    moves = [_move(stored[pair], by_id[pair[0]], vacancies[pair[1]], chance[pair], locale)
             for pair in sorted(best.moves.items())]
    return {"people": len(people), "vacancies": len(vacancies), "openings": sum(v.openings for v in vacancies.values()),
            "chance_from": source, "expected_hires": round(best.expected, 3),
            "greedy_expected_hires": round(top1.expected, 3), "moves": moves,
            "unplaced": sorted(p for p in by_id if p not in best.moves)}
