"""End to end: HTTP in, a real `python -m worker` process, ranked matches out over HTTP."""
from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urljoin

import pytest
import requests
from werkzeug.serving import make_server

from tests import factories

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def live_server(app):
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(5)


@pytest.fixture
def worker_process(settings, redis):
    env = {**os.environ, "PUENTE_ENV": "test", "DATABASE_URL": settings.database_url,
           "REDIS_URL": settings.redis_url, "PUENTE_QUEUE": settings.queue_name, "HF_HUB_OFFLINE": "1",
           "PUENTE_DATA_DIR": settings.data_dir}
    proc = subprocess.Popen([sys.executable, "-m", "worker", "--log-level", "WARNING"], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    yield proc
    proc.terminate()
    try:
        out, _ = proc.communicate(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, _ = proc.communicate()
    assert "Traceback" not in out, out


def _wait_done(url: str, seconds: float = 60, key: str | None = None) -> dict:
    deadline = time.monotonic() + seconds
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    while time.monotonic() < deadline:
        body = requests.get(url, timeout=5, headers=headers).json()
        if body["status"] in ("done", "failed"):
            return body
        time.sleep(0.05)
    raise AssertionError(f"not ranked within {seconds} s: {body}")


@pytest.mark.slow
def test_spanish_profile_is_ranked_by_a_real_worker(live_server, worker_process):
    api = f"{live_server}/api/v1"
    vacancies, keys = {}, {}
    for body in (factories.vacancy(), factories.vacancy(factories.COOK_VACANCY),
                 factories.vacancy(title="Enfermeira de UTI", description="Cuidados intensivos em hospital",
                                   essential_skills=["cuidados intensivos", "sinais vitais"], country="PE",
                                   city="Lima", languages=["es"]),
                 factories.vacancy(title="Truck driver", essential_skills=["truck driving"], country="CL",
                                   accepts_relocation=False)):
        resp = requests.post(f"{api}/vacancies", json=body, timeout=5)
        assert resp.status_code == 202
        vacancies[body["title"]] = resp.json()["id"]
        keys[body["title"]] = resp.json()["key"]
    for title, vid in vacancies.items():
        _wait_done(f"{api}/vacancies/{vid}/matches", key=keys[title])

    t0 = time.monotonic()
    resp = requests.post(f"{api}/profiles", json=factories.profile(), timeout=5)
    assert resp.status_code == 202
    location = urljoin(live_server, resp.headers["Location"])
    body = _wait_done(f"{location}/matches")
    elapsed = time.monotonic() - t0
    print(f"\nsubmit to ranking: {elapsed * 1000:.0f} ms")

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

    # The new profile is now a candidate for the vacancy, seen without nationality or status.
    url = f"{api}/vacancies/{vacancies['ICU nurse']}/matches"
    assert requests.get(url, timeout=5).status_code == 401  # the list is the poster's only
    cands = requests.get(url, timeout=5, headers={"Authorization": f"Bearer {keys['ICU nurse']}"}).json()
    assert len(cands["matches"]) == 1
    card = cands["matches"][0]["candidate"]
    assert card["skills"] == factories.NURSE["skills"] and card["city"] == "Cúcuta"
    assert not {"nationalities", "status", "summary"} & set(card)
    assert "steps" not in cands["matches"][0]["explanation"]
    assert worker_process.poll() is None  # the worker is still serving
