"""End to end: HTTP in, a real `python -m worker` process, ranked matches out over HTTP."""
from __future__ import annotations

import time
from urllib.parse import urljoin

import pytest
import requests

from tests import factories


def _wait_done(url: str, seconds: float = 60, key: str | None = None) -> dict:
    deadline = time.monotonic() + seconds
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    while time.monotonic() < deadline:
        body = requests.get(url, timeout=5, headers=headers).json()
        if body["status"] in ("done", "failed"):
            return body
        time.sleep(0.05)
    raise AssertionError(f"not ranked within {seconds} s: {body}")


def _post_vacancies(app, api: str) -> tuple[dict, dict]:
    """Post the four vacancies of the story; return their ids and their keys by title."""
    vacancies, keys = {}, {}
    for body in (factories.vacancy(), factories.vacancy(factories.COOK_VACANCY),
                 factories.vacancy(title="Enfermeira de UTI", description="Cuidados intensivos em hospital",
                                   essential_skills=["cuidados intensivos", "sinais vitais"], country="PE",
                                   city="Lima", languages=["es"]),
                 factories.vacancy(title="Truck driver", essential_skills=["truck driving"], country="CL",
                                   accepts_relocation=False)):
        resp = requests.post(f"{api}/vacancies", json=body, timeout=5,
                             headers=factories.api_headers(app, "vacancies:write"))
        assert resp.status_code == 202
        vacancies[body["title"]] = resp.json()["id"]
        keys[body["title"]] = resp.json()["key"]
    return vacancies, keys


@pytest.mark.slow
def test_spanish_profile_is_ranked_by_a_real_worker(app, live_server, worker_process):
    api = f"{live_server}/api/v1"
    vacancies, keys = _post_vacancies(app, api)
    for title, vid in vacancies.items():
        _wait_done(f"{api}/vacancies/{vid}/matches", key=keys[title])

    t0 = time.monotonic()
    # A licensed nurse (licenciada): "Enfermeira de UTI" links to ESCO's nurse responsible for
    # general care, a regulated profession that a TSU cannot exercise in Peru.
    nurse = factories.profile(education={"level": "bachelor", "field": "enfermería", "country": "VE"})
    resp = requests.post(f"{api}/profiles", json=nurse, timeout=5,
                         headers=factories.api_headers(app, "profiles:write"))
    assert resp.status_code == 202
    location = urljoin(live_server, resp.headers["Location"])
    body = _wait_done(f"{location}/matches")
    elapsed = time.monotonic() - t0
    print(f"\nsubmit to ranking: {elapsed * 1000:.0f} ms")

    _check_the_nurses_ranking(body, vacancies)
    _check_the_employers_view(api, vacancies, keys)
    assert worker_process.poll() is None  # the worker is still serving


def _check_the_nurses_ranking(body: dict, vacancies: dict) -> None:
    assert body["status"] == "done"
    ranked = [m["vacancy_id"] for m in body["matches"]]
    assert ranked[:2] == [vacancies["ICU nurse"], vacancies["Enfermeira de UTI"]] or ranked[:2] == [
        vacancies["Enfermeira de UTI"], vacancies["ICU nurse"]], body
    assert vacancies["Truck driver"] not in ranked  # Chile: out of reach
    first = body["matches"][0]
    assert first["rank"] == 1 and 0 < first["score"] <= 1
    assert set(first["scores"]) >= {"semantic", "skills", "location"}
    assert "matched_skills" in first["explanation"] and "steps" in first["explanation"]
    peru = next(m for m in body["matches"] if m["vacancy_id"] == vacancies["Enfermeira de UTI"])
    assert peru["explanation"]["steps"][0]["text"].startswith("Obtener un permiso para trabajar en Perú")



def _check_the_employers_view(api: str, vacancies: dict, keys: dict) -> None:
    # The new profile is now a candidate for the vacancy, seen without nationality or status.
    url = f"{api}/vacancies/{vacancies['ICU nurse']}/matches"
    assert requests.get(url, timeout=5).status_code == 401  # the list is the poster's only
    cands = requests.get(url, timeout=5, headers={"Authorization": f"Bearer {keys['ICU nurse']}"}).json()
    assert len(cands["matches"]) == 1
    card = cands["matches"][0]["candidate"]
    assert card["skills"] == factories.NURSE["skills"] and card["city"] == "Cúcuta"
    assert not {"nationalities", "status", "summary"} & set(card)
    assert "steps" not in cands["matches"][0]["explanation"]
