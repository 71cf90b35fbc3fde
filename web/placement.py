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

from sqlalchemy import select

from matching.placement import greedy, optimal
from models import PROFILE, Match, Profile, Vacancy
from models.history import hire_curve

from .extensions import db_session, knowledge
from .responses import match_out

__all__ = ["MAX_PEOPLE", "propose"]

MAX_PEOPLE = 500   # a group larger than this is several placements (the solver is cubic)


def _group(s, candidates: list[int] | None, from_country: str | None, from_city: str | None) -> list[Profile]:
    stmt = select(Profile)
    if candidates:
        stmt = stmt.where(Profile.id.in_(candidates))
    if from_country:
        stmt = stmt.where(Profile.country == from_country)
    rows = list(s.scalars(stmt.order_by(Profile.id).limit(MAX_PEOPLE + 1)))
    if from_city:
        wanted = " ".join(from_city.casefold().split())
        rows = [p for p in rows if " ".join((p.city or "").casefold().split()) == wanted]
    return rows


def _chances(s, matches: list[Match]) -> tuple[dict[tuple[int, int], float], str]:
    """The chance of a hire of each pair, and where it comes from: the hire curve
    ("outcomes"), else the score itself ("score")."""
    curve = hire_curve(s)
    if curve is None:
        return {(m.profile_id, m.vacancy_id): m.score for m in matches}, "score"
    return {(m.profile_id, m.vacancy_id): 1 / (1 + math.exp(-(curve[0] * m.score + curve[1])))
            for m in matches}, "outcomes"


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
    matches = [m for m in s.scalars(select(Match).where(Match.owner == PROFILE, Match.profile_id.in_(list(by_id))))
               if m.vacancy_id in vacancies]
    chance, source = _chances(s, matches)
    openings = {v.id: v.openings for v in vacancies.values()}
    best, top1 = optimal(chance, openings), greedy(chance, openings)
    stored = {(m.profile_id, m.vacancy_id): m for m in matches}
    moves = [_move(stored[pair], by_id[pair[0]], vacancies[pair[1]], chance[pair], locale)
             for pair in sorted(best.moves.items())]
    return {"people": len(people), "vacancies": len(vacancies), "openings": sum(openings.values()),
            "chance_from": source, "expected_hires": round(best.expected, 3),
            "greedy_expected_hires": round(top1.expected, 3), "moves": moves,
            "unplaced": sorted(p for p in by_id if p not in best.moves)}
