"""Placement across places (issue 17, part 5): the optimiser against greedy top-1, and the
case workers' page and API on real rankings."""
from __future__ import annotations

import itertools

import numpy as np
import pytest

from matching.placement import expected_hires, greedy, optimal
from tests import factories
from worker import jobs


def test_greedy_overfills_a_popular_vacancy_the_optimum_spreads_people():
    # Three people all like vacancy 1 (one opening) best; vacancy 2 has two openings.
    chance = {(1, 1): 0.9, (1, 2): 0.6, (2, 1): 0.8, (2, 2): 0.7, (3, 1): 0.7, (3, 2): 0.1}
    openings = {1: 1, 2: 2}
    top1, best = greedy(chance, openings), optimal(chance, openings)
    # Person 1 takes vacancy 1; person 2 its second choice; person 3 too (vacancy 1 is full).
    assert top1.moves == {1: 1, 2: 2, 3: 2}
    assert top1.expected == pytest.approx(0.9 + 0.7 + 0.1)
    assert sum(v == 1 for v in best.moves.values()) <= 1 and sum(v == 2 for v in best.moves.values()) <= 2
    assert best.moves == {1: 2, 2: 2, 3: 1}
    assert best.expected == pytest.approx(0.6 + 0.7 + 0.7) and best.expected > top1.expected


def _brute_force(chance: dict, openings: dict, people, vacancies) -> float:
    """The most expected hires of any assignment under the openings, by trying them all."""
    best = 0.0
    for choice in itertools.product([None, *vacancies], repeat=len(people)):
        moves = {p: v for p, v in zip(people, choice, strict=True) if v is not None}
        if any((p, v) not in chance for p, v in moves.items()):
            continue
        if any(sum(1 for x in moves.values() if x == v) > openings[v] for v in vacancies):
            continue
        best = max(best, expected_hires(moves, chance, openings))
    return best


def test_the_optimum_is_the_best_of_every_assignment_on_small_random_markets():
    rng = np.random.default_rng(0)
    for _ in range(20):
        people, vacancies = range(4), range(3)
        openings = {v: int(rng.integers(1, 3)) for v in vacancies}
        chance = {(p, v): float(rng.random()) for p in people for v in vacancies if rng.random() < 0.8}
        best = optimal(chance, openings)
        assert best.expected == pytest.approx(_brute_force(chance, openings, people, vacancies))
        assert best.expected >= greedy(chance, openings).expected - 1e-9   # greedy is one of the assignments


def _the_page_places_the_two_nurses_of_cucuta(app, people: list[str]) -> None:
    from tests.test_learning import _token as token_of

    worker_page = app.test_client()
    worker_page.post("/cuenta/entrar", data={"csrf_token": token_of(worker_page, "/cuenta/entrar"),
                                             "email": "orienta@ong.org", "password": "clave-de-prueba-1"})
    page = worker_page.get("/admin/placement?from_country=CO&from_city=C%C3%BAcuta&to_countries=CO")
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and "Contrataciones esperadas" in text and "2 personas, 2 vacantes, 2 puestos" in text
    assert text.count("ICU nurse") == 2   # each of the two Cúcuta nurses to one of the two posts
    assert all(p not in text for p in people)   # never the people's private links
    assert worker_page.get("/admin/placement?from_country=XX").status_code == 422


def test_case_workers_place_a_group_on_the_page_and_in_the_api(app, db, matcher, client):
    from sqlalchemy import select

    from models import User
    from scripts.create_user import create_user
    from web.tokens import issue_token

    nurse = factories.vacancy(openings=1)
    vids = [factories.api_post(client, "vacancies", json=nurse).get_json()["id"] for _ in range(2)]
    people = [factories.post(client, "profiles", factories.profile(city=city)) for city in ("Cúcuta", "Cúcuta", "Cali")]
    for vid in vids:
        jobs.match_vacancy(vid, matcher)
    for public in people:
        jobs.match_profile(factories.profile_id(db, public), matcher)
    create_user(app.extensions["puente_settings"].database_url, "orienta@ong.org", "clave-de-prueba-1", admin=True)
    _the_page_places_the_two_nurses_of_cucuta(app, people)
    address = "/api/v1/placements"
    assert client.post(address, json={"from_country": "CO"}).status_code == 401
    employer = factories.api_headers(client, "vacancies:write", email="rrhh@clinica.co")
    assert client.post(address, json={"from_country": "CO"}, headers=employer).status_code in (401, 403)
    with db.session() as s:
        admin = s.scalars(select(User).where(User.email == "orienta@ong.org")).one()
        headers = {"Authorization": f"Bearer {issue_token(s, admin, 'placements:read', 'tests')[1]}"}
    missing = client.post(address, json={"to_countries": ["CO"]}, headers=headers)
    assert missing.status_code == 422
    answer = client.post(address, json={"from_country": "CO"}, headers=headers).get_json()
    assert answer["people"] == 3 and answer["openings"] == 2 and len(answer["moves"]) == 2
    assert {m["vacancy_id"] for m in answer["moves"]} == set(vids)   # one opening each: spread, not doubled
    assert answer["expected_hires"] >= answer["greedy_expected_hires"] and answer["chance_from"] == "score"
    assert all(isinstance(m["candidate_id"], int) and (m["ready_now"] or m["steps"]) for m in answer["moves"])
