"""Ordinary load on PostgreSQL, nothing injected: two real workers, a few hundred concurrent
submissions, edits and deletions through the API. No deadlock, no failed run, every ranking
whole and equal to a clean re-run, every deletion a 204.

Before the ranking transactions took their locks in one order (issue 14), this load made
PostgreSQL break deadlocks every few seconds and failed runs for good. Reproduce the
figures in docs/reliability.md with `./scripts/test tests/test_load.py -s` (LOAD lines).
"""
from __future__ import annotations

import random
import re
import statistics
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import func, select, text

from models import MatchRun, Profile
from tests import factories
from tests.test_faults import TITLES, _assert_whole, _rankings, _report, _rerun_in_process, _settled, _wait

pytestmark = pytest.mark.slow

THREADS = 8
PROFILES, VACANCIES, EDITS, DELETIONS = 120, 40, 30, 25
SKILLS = ["cuidados intensivos", "triaje", "cocina", "atención al cliente", "soldadura", "contabilidad",
          "instalaciones eléctricas", "conducción de camiones", "programación en Python"]


@pytest.fixture
def pg_settings(settings):
    if not settings.database_url.startswith("postgresql"):
        pytest.skip("deadlocks are PostgreSQL's: SQLite has one writer at a time")
    return settings


def _deadlocks(db) -> int:
    """The server's count of deadlocks it broke in this database, once every other client's
    connection to it has ended (a backend's counts reach pg_stat_database at the latest when it exits)."""
    with db.engine.connect() as conn:
        name = conn.execute(text("SELECT current_database()")).scalar_one()
        others = text("SELECT backend_type, application_name, state FROM pg_stat_activity"
                      " WHERE datname = :d AND pid <> pg_backend_pid()")
        try:   # not autovacuum, which a load like this wakes: a client's connection
            _wait(lambda: all(row.backend_type != "client backend" for row in conn.execute(others, {"d": name})),
                  30, "every other connection closed")
        except AssertionError:
            print("CONNECTIONS LEFT", conn.execute(others, {"d": name}).all())
            raise
        conn.execute(text("SELECT pg_stat_clear_snapshot()"))
        return conn.execute(text("SELECT deadlocks FROM pg_stat_database WHERE datname = :d"), {"d": name}).scalar_one()


def _close_connections(app, db) -> None:
    app.extensions["puente_db"].dispose()
    db.dispose()


def _profile_body(rng: random.Random) -> dict:
    title = rng.choice(TITLES)
    return factories.profile(summary=f"{title} con experiencia.", skills=rng.sample(SKILLS, 3),
                             jobs=[{"title": title, "years": rng.randint(1, 12), "country": "VE"}],
                             target_countries=rng.choice([["CO"], ["CO", "PE"]]))


def _vacancy_body(rng: random.Random, i: int) -> dict:
    title = rng.choice(TITLES)
    return factories.vacancy(title=f"{title} ({i})", description=f"Puesto de {title.lower()}",
                             essential_skills=rng.sample(SKILLS, 2), optional_skills=[],
                             country=rng.choice(["CO", "PE"]), accepts_relocation=i % 2 == 0, employer=f"Empresa {i}")


class Load:
    """The operations, shuffled, and what each answered."""

    def __init__(self, app):
        self.app, self.rng = app, random.Random(5)
        self.statuses: dict[str, list[int]] = {}
        self.deletion_seconds: list[float] = []
        self.posted: list[str] = []     # public ids of profiles, in the order they were saved
        for scope in ("profiles:write", "vacancies:write"):   # the tokens, made before the threads start
            factories.api_headers(app, scope)

    def _call(self, what: str, method: str, url: str, scope: str, **kwargs):
        with self.app.test_client() as client:
            t0 = time.perf_counter()
            resp = client.open(url, method=method, headers=factories.api_headers(self.app, scope), **kwargs)
            seconds = time.perf_counter() - t0
        self.statuses.setdefault(what, []).append(resp.status_code)
        return resp, seconds

    def post_profile(self, body: dict) -> None:
        resp, _ = self._call("post profile", "POST", "/api/v1/profiles", "profiles:write", json=body)
        if resp.status_code == 202:
            self.posted.append(resp.get_json()["id"])

    def post_vacancy(self, body: dict) -> None:
        self._call("post vacancy", "POST", "/api/v1/vacancies", "vacancies:write", json=body)

    def edit_profile(self, public_id: str, body: dict) -> None:
        self._call("edit profile", "PUT", f"/api/v1/profiles/{public_id}", "profiles:write", json=body)

    def delete_profile(self, public_id: str) -> None:
        _, seconds = self._call("delete profile", "DELETE", f"/api/v1/profiles/{public_id}", "profiles:write")
        self.deletion_seconds.append(seconds)

    def run(self) -> None:
        """First half the profiles and a third of the vacancies (so that there is something to edit and
        delete), then everything else at once from `THREADS` threads."""
        first = [(self.post_profile, _profile_body(self.rng)) for _ in range(PROFILES // 2)]
        first += [(self.post_vacancy, _vacancy_body(self.rng, i)) for i in range(VACANCIES // 3)]
        with ThreadPoolExecutor(THREADS) as pool:
            list(pool.map(lambda op: op[0](op[1]), first))
        targets = list(self.posted)
        self.rng.shuffle(targets)
        ops = [(self.post_profile, (_profile_body(self.rng),)) for _ in range(PROFILES - PROFILES // 2)]
        ops += [(self.post_vacancy, (_vacancy_body(self.rng, i),)) for i in range(VACANCIES // 3, VACANCIES)]
        ops += [(self.edit_profile, (pid, _profile_body(self.rng))) for pid in targets[:EDITS]]
        ops += [(self.delete_profile, (pid,)) for pid in targets[EDITS:EDITS + DELETIONS]]
        self.rng.shuffle(ops)
        with ThreadPoolExecutor(THREADS) as pool:
            list(pool.map(lambda op: op[0](*op[1]), ops))


def test_two_workers_under_load_never_deadlock(pg_settings, make_app, db, redis, workers, matcher):
    app = make_app(pg_settings)
    _close_connections(app, db)
    before = _deadlocks(db)
    group = workers()
    group.start("a")
    group.start("b")
    load = Load(app)
    t0 = time.monotonic()
    load.run()
    submitted = time.monotonic() - t0
    try:
        _wait(lambda: _settled(db), 120, "every ranking done")
    except AssertionError:
        with db.session() as s:
            print("RUNS", s.execute(select(MatchRun.status, MatchRun.reason, MatchRun.kind, func.count()).group_by(
                MatchRun.status, MatchRun.reason, MatchRun.kind)).all())
        print("STATUSES", {what: sorted(set(codes)) for what, codes in load.statuses.items()})
        print(group.logs()[-5000:])
        raise
    drained = time.monotonic() - t0
    group.stop_all()
    logs = group.logs()
    with db.session() as s:
        runs = dict(s.execute(select(MatchRun.status, func.count()).group_by(MatchRun.status)).all())
        attempts = s.scalar(select(func.max(MatchRun.attempts)))
        profiles = s.scalar(select(func.count()).select_from(Profile))
    _close_connections(app, db)
    deadlocks = _deadlocks(db) - before
    retried = Counter(re.findall(r": (\w+), tried again at once", logs))   # by cause

    stored = _rankings(db)
    _assert_whole(db, stored)
    expected = _rerun_in_process(db, matcher)
    deletions = sorted(load.deletion_seconds) or [float("nan")]
    _report(test="load", operations=sum(len(v) for v in load.statuses.values()), submitted_s=round(submitted, 1),
            drained_s=round(drained, 1), deadlocks=deadlocks, retried=dict(retried), runs=runs,
            max_attempts=attempts, deletion_p50_ms=round(1000 * statistics.median(deletions)),
            deletion_max_ms=round(1000 * deletions[-1]),
            statuses={what: sorted(set(codes)) for what, codes in load.statuses.items()})
    assert {what: sorted(set(codes)) for what, codes in load.statuses.items()} == {
        "post profile": [202], "post vacancy": [202], "edit profile": [202], "delete profile": [204]}
    assert profiles == PROFILES - DELETIONS
    assert deadlocks == 0
    assert set(runs) == {"done"}, runs
    assert attempts == 1, "a run needed RQ's retry"
    assert "failed" not in logs and "Traceback" not in logs
    assert stored == expected
    # Not a timing test (a shared machine): a deletion that waited on a whole job took 18-21 s.
    assert deletions[-1] < 5


def test_two_worker_machines_rank_as_one_worker_does(pg_settings, make_app, db, redis, workers, matcher, tmp_path):
    """Two worker "machines" (their own process groups, their own copy of the data folder, so
    nothing shared but PostgreSQL and Redis) under concurrent submissions store the rankings
    one worker gives when it runs every job again on its own (docs/scaling.md)."""
    import shutil
    from dataclasses import replace

    app = make_app(pg_settings)
    copy = tmp_path / "machine-b-data"
    shutil.copytree(pg_settings.data_dir, copy)
    machine_a = workers()
    machine_b = workers(settings_=replace(pg_settings, data_dir=str(copy)))
    machine_a.start("a")
    machine_b.start("b")
    rng = random.Random(11)
    bodies = [("profiles", _profile_body(rng)) for _ in range(40)] + [
        ("vacancies", _vacancy_body(rng, i)) for i in range(15)]
    rng.shuffle(bodies)
    for scope in ("profiles:write", "vacancies:write"):
        factories.api_headers(app, scope)

    def post(item) -> int:
        kind, body = item
        with app.test_client() as client:
            return client.post(f"/api/v1/{kind}", json=body,
                               headers=factories.api_headers(app, f"{kind}:write")).status_code

    with ThreadPoolExecutor(4) as pool:
        assert set(pool.map(post, bodies)) == {202}
    _wait(lambda: _settled(db), 180, "every ranking done")
    logs = machine_a.logs() + machine_b.logs()
    machine_a.stop_all()
    machine_b.stop_all()
    _close_connections(app, db)
    assert "match profile" in machine_a.logs() and "match profile" in machine_b.logs()   # both worked
    assert "Traceback" not in logs
    stored = _rankings(db)
    _assert_whole(db, stored)
    assert stored and stored == _rerun_in_process(db, matcher)
