"""Faults injected with real processes: nothing submitted is lost, nothing half-written shows.

Every test here runs real `python -m worker` processes against the test database and a real
Redis, and breaks them the way production breaks: SIGKILL in the middle of a job, Redis
flushed or restarted (a private `redis-server` the test owns), Redis down while people
submit, a PostgreSQL connection terminated inside a job's transaction, a job that fails
every time. After each, the rankings are compared with a clean in-process re-run, and
Redis and the worker logs are searched for the personal text of every profile.

`docs/reliability.md` reports what these tests measured; reproduce with
`./scripts/test tests/test_faults.py -s` (the figures are printed as FAULTS lines).
"""
from __future__ import annotations

import os
import random
import time
import zlib
from collections import defaultdict
from dataclasses import replace

import pytest
from redis import Redis
from rq import Queue
from rq.registry import FailedJobRegistry, ScheduledJobRegistry
from rq.worker import Worker
from sqlalchemy import func, select, text, update

from models import PROFILE, VACANCY, Match, MatchRun, Profile, Vacancy, utcnow
from models.queries import stale_ids
from tests import factories
from tests.processes import ROOT, RedisServer, Workers, free_port  # noqa: F401 - re-exported
from tests.processes import wait as _wait
from worker import jobs
from worker.queueing import enqueue_match, enqueue_matches, enqueue_reconcile, job_id

pytestmark = pytest.mark.slow

SKILLS = ["cuidados intensivos", "canalización de vías", "triaje", "primeros auxilios", "cocina",
          "manipulación de alimentos", "atención al cliente", "conducción de camiones", "soldadura",
          "instalaciones eléctricas", "contabilidad", "programación en Python", "enseñanza de matemáticas"]
TITLES = ["Enfermera", "Cocinero", "Conductor de camión", "Soldador", "Electricista", "Contadora",
          "Desarrolladora de software", "Profesora de matemáticas", "Vendedora"]


def _secret(i: int) -> str:
    """Personal text planted in profile i: it must never reach Redis or a log."""
    return f"PRIVADO-{i:03d}-Yuleidys"


# --- data ---------------------------------------------------------------------------------

def _add_vacancies(app, n: int) -> list[int]:
    from web.schemas import VacancyIn
    from web.services import create_vacancy

    rng = random.Random(7)
    ids = []
    with app.test_request_context():
        for i in range(n):
            title = TITLES[i % len(TITLES)]
            body = factories.vacancy(title=f"{title} ({i})", description=f"Puesto de {title.lower()}",
                                     essential_skills=rng.sample(SKILLS, 2), optional_skills=rng.sample(SKILLS, 1),
                                     country=rng.choice(["CO", "PE"]), city="Bogotá", accepts_relocation=i % 2 == 0,
                                     employer=f"Empresa {i}")
            vacancy, _, _ = create_vacancy(VacancyIn.model_validate(body))
            ids.append(vacancy.id)
    return ids


def _add_profiles(app, n: int, start: int = 0) -> list[int]:
    from web.extensions import knowledge
    from web.schemas import ProfileIn
    from web.services import create_profile

    rng = random.Random(11 + start)
    ids = []
    with app.test_request_context():
        for i in range(start, start + n):
            title = rng.choice(TITLES)
            body = factories.profile(
                summary=f"{title} con experiencia. {_secret(i)}", city=f"Cúcuta {_secret(i)}",
                jobs=[{"title": title, "years": rng.randint(1, 12), "country": "VE", "description": _secret(i)}],
                skills=[*rng.sample(SKILLS, 3), f"oficio {_secret(i)}"], target_countries=rng.choice([["CO"], ["CO", "PE"]]))
            profile, _ = create_profile(ProfileIn.model_validate(body, context={"kb": knowledge()}))
            ids.append(profile.id)
    return ids


# --- checks ---------------------------------------------------------------------------------

def _settled(db) -> bool:
    """Every profile and open vacancy ranked after its last edit, and no run left waiting."""
    with db.session() as s:
        waiting = s.scalar(select(func.count()).select_from(MatchRun).where(MatchRun.status.in_(("queued", "running"))))
        return not stale_ids(s, PROFILE) and not stale_ids(s, VACANCY) and waiting == 0


def _rankings(db) -> dict:
    """Every stored ranking: (owner, target id) -> [(other id, rank, score)] in rank order."""
    out = defaultdict(list)
    with db.session() as s:
        for owner, pid, vid, rank, score in s.execute(
                select(Match.owner, Match.profile_id, Match.vacancy_id, Match.rank, Match.score)
                .order_by(Match.owner, Match.profile_id, Match.vacancy_id)):
            target, other = (pid, vid) if owner == PROFILE else (vid, pid)
            out[(owner, target)].append((other, rank, round(score, 6)))
    return {key: sorted(rows, key=lambda r: r[1]) for key, rows in out.items()}


def _assert_whole(db, rankings: dict) -> None:
    """No duplicate pair in a ranking, ranks 1..n without gaps."""
    with db.session() as s:
        dupes = s.execute(select(Match.owner, Match.profile_id, Match.vacancy_id, func.count())
                          .group_by(Match.owner, Match.profile_id, Match.vacancy_id).having(func.count() > 1)).all()
    assert dupes == []
    for key, rows in rankings.items():
        assert [r[1] for r in rows] == list(range(1, len(rows) + 1)), key


def _rerun_in_process(db, matcher) -> dict:
    """The rankings a clean run gives: every job again, in this process, no fault."""

    with db.session() as s:
        vacancies = list(s.scalars(select(Vacancy.id).order_by(Vacancy.id)))
        profiles = list(s.scalars(select(Profile.id).order_by(Profile.id)))
    for vid in vacancies:
        jobs.match_vacancy(vid, matcher)
    for pid in profiles:
        jobs.match_profile(pid, matcher)
    return _rankings(db)


# What a key of each Redis type holds, read whole.
_READ_KEY = {
    "string": lambda conn, key: [conn.get(key)],
    "hash": lambda conn, key: [v for pair in conn.hgetall(key).items() for v in pair],
    "list": lambda conn, key: conn.lrange(key, 0, -1),
    "set": lambda conn, key: list(conn.smembers(key)),
    "zset": lambda conn, key: conn.zrange(key, 0, -1),
    "stream": lambda conn, key: [v for _, fields in conn.xrange(key) for pair in fields.items() for v in pair],
}


def _as_text(item) -> str:
    if not isinstance(item, bytes):
        return str(item)
    try:
        item = zlib.decompress(item)
    except zlib.error:
        pass
    return item.decode("utf-8", "replace")


def _redis_text(conn: Redis) -> str:
    """Everything Redis holds, as text, with RQ's zlib-compressed job data opened."""
    values = []
    for key in conn.scan_iter(count=1000):
        items = [key, *_READ_KEY.get(conn.type(key).decode(), lambda *_: [])(conn, key)]
        values += [_as_text(item) for item in items]
    return "\n".join(values)


def _assert_nothing_personal(text: str, n_profiles: int, where: str) -> None:
    leaked = [i for i in range(n_profiles) if _secret(i) in text]
    assert not leaked, f"personal text of profiles {leaked} found in {where}"
    assert "Yuleidys" not in text, where


def _report(**figures) -> None:
    print("\nFAULTS " + " ".join(f"{k}={v}" for k, v in figures.items()))


# --- the faults -----------------------------------------------------------------------------

KILLS = int(os.environ.get("PUENTE_TEST_KILLS", "20"))   # fewer while debugging this test


def _edit_some(db, redis, settings, profile_ids: list[int]) -> int:
    """Edit these profiles as people would, each queued again; return how many."""
    with db.session() as s:
        for pid in profile_ids:
            s.execute(update(Profile).where(Profile.id == pid).values(summary=Profile.summary + ".", updated_at=utcnow()))
            s.commit()
            enqueue_match(s, redis, settings, PROFILE, pid, reason="edited")
    return len(profile_ids)


def _worker_inside_a_job(db, redis, group) -> tuple[str, str] | None:
    """A worker of the group inside a matching job (its run marked running, not yet done), and the job."""
    for name in list(group.procs):
        rq_worker = Worker.find_by_key(f"rq:worker:{group.rq_names[name]}", connection=redis)
        current = rq_worker.get_current_job_id() if rq_worker else None
        if current and current.startswith("match-") and _running(db, current, group.started_at[name]):
            return name, current
    return None


def test_workers_killed_mid_job_lose_nothing(app, db, redis, settings, workers, matcher):
    """SIGKILL a worker in the middle of a matching job 20 times (edits are queued whenever the
    queue runs low, so there is always a job to interrupt)."""
    vacancies = _add_vacancies(app, 12)
    profiles = _add_profiles(app, 30)
    queue = Queue(settings.queue_name, connection=redis)
    group = workers()
    for name in ("a", "b"):
        group.start(name)
    rng = random.Random(3)
    kills, edits, t0 = [], 0, time.monotonic()
    while len(kills) < KILLS:
        assert time.monotonic() - t0 < 600, f"only {len(kills)} kills mid-job in 10 minutes"
        if queue.count < 4:   # people keep editing: there is always work to interrupt
            edits += _edit_some(db, redis, settings, rng.sample(profiles, 6))
        victim = _worker_inside_a_job(db, redis, group)
        if victim is None:
            time.sleep(0.005)
            continue
        name, current = victim
        time.sleep(rng.uniform(0, 0.02))
        group.kill(name)
        if _running(db, current, group.started_at[name]):   # still running: it died mid-job
            kills.append(current)
        group.start(name)   # a new worker queues a reconcile pass when it starts
    chaos_seconds = time.monotonic() - t0
    _wait(lambda: _settled(db) and queue.count == 0, 300, "every ranking restored after the kills", every=0.5)
    recovered_seconds = time.monotonic() - t0 - chaos_seconds
    group.stop_all()

    after_faults = _rankings(db)
    _assert_whole(db, after_faults)
    assert {target for owner, target in after_faults if owner == PROFILE} == set(profiles)
    clean = _rerun_in_process(db, matcher)
    assert after_faults == clean   # complete: exactly what a run without faults stores
    _assert_nothing_personal(_redis_text(redis), len(profiles), "Redis")
    _assert_nothing_personal(group.logs(), len(profiles), "the worker logs")
    _report(test="sigkill", kills_mid_job=len(kills), vacancy_jobs_killed=sum("vacancy" in k for k in kills),
            profile_jobs_killed=sum("profile" in k for k in kills), worker_starts=group.started, edits=edits,
            profiles=len(profiles), vacancies=len(vacancies), rankings=len(after_faults),
            chaos_s=round(chaos_seconds, 1), recovered_after_s=round(recovered_seconds, 1))


def _running(db, jid: str, since) -> bool:
    """Whether a run of job `jid` started since `since` is marked running (not done, not failed)."""
    with db.session() as s:
        return bool(s.scalar(select(func.count()).select_from(MatchRun).where(
            MatchRun.job_id == jid, MatchRun.status == "running", MatchRun.started_at >= since)))


@pytest.mark.parametrize("fault", ["flush", "restart"])
def test_jobs_lost_with_redis_are_restored_by_the_reconciler(fault, settings, make_app, db, own_redis, workers,
                                                             matcher):
    """Jobs are queued, then Redis loses them: flushed, or restarted with nothing on disk."""
    app = make_app(replace(settings, redis_url=own_redis.url))
    conn = Redis.from_url(own_redis.url)
    _add_vacancies(app, 6)
    profiles = _add_profiles(app, 10)
    queued = Queue(settings.queue_name, connection=conn).count
    assert queued == 16
    if fault == "flush":
        conn.flushall()
    else:
        own_redis.stop()
        own_redis.start()
    assert Queue(settings.queue_name, connection=conn).count == 0   # every job is gone
    t0 = time.monotonic()
    group = workers(own_redis.url)
    group.start("a")   # its start-up reconcile pass finds every ranking missing
    _wait(lambda: _settled(db), 180, "rankings restored by the reconciler", every=0.5)
    seconds = time.monotonic() - t0
    group.stop_all()
    restored = _rankings(db)
    _assert_whole(db, restored)
    assert {t for o, t in restored if o == PROFILE} == set(profiles)
    assert restored == _rerun_in_process(db, matcher)
    _assert_nothing_personal(_redis_text(conn), len(profiles), "Redis")
    conn.close()
    _report(test=f"redis_{fault}", jobs_lost=queued, restored_in_s=round(seconds, 1))


def test_redis_down_submissions_are_kept_and_ranked_when_it_is_back(settings, make_app, db, own_redis, workers,
                                                                    matcher):
    """People submit while Redis is down: saved, told matching is delayed, ranked later."""
    from tests.test_forms import GOOD_PROFILE, _token

    app = make_app(replace(settings, redis_url=own_redis.url))
    client = app.test_client()
    _add_vacancies(app, 4)
    own_redis.stop()
    assert client.get("/healthz").get_json()["redis"] == "down"
    pages = []
    for i in range(3):
        form = {**GOOD_PROFILE, "summary": f"Enfermera {_secret(i)}", "csrf_token": _token(client, "/profiles/new")}
        resp = client.post("/profiles/new", data=form)
        assert resp.status_code == 302, resp.get_data(as_text=True)[:500]
        pages.append(client.get(resp.headers["Location"]).get_data(as_text=True))
    assert all("La búsqueda de empleos se hará en unos minutos" in page for page in pages)
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(Profile)) == 3
        assert len(stale_ids(s, PROFILE)) == 3

    own_redis.start()
    group = workers(own_redis.url)
    group.start("a")
    _wait(lambda: _settled(db), 180, "submissions made while Redis was down are ranked", every=0.5)
    group.stop_all()
    ranked = _rankings(db)
    assert sum(1 for o, _ in ranked if o == PROFILE) == 3
    assert ranked == _rerun_in_process(db, matcher)
    # Once Redis is back, the next submission is queued at once by the same web process.
    form = {**GOOD_PROFILE, "csrf_token": _token(client, "/profiles/new")}
    assert client.post("/profiles/new", data=form).status_code == 302
    assert Queue(settings.queue_name, connection=Redis.from_url(own_redis.url)).count == 1
    _report(test="redis_down", submissions_while_down=3, ranked_after=3)


PAUSE = """
CREATE TABLE fault_switch (armed boolean NOT NULL);
INSERT INTO fault_switch VALUES (true);
CREATE FUNCTION fault_pause() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF (SELECT armed FROM fault_switch) THEN PERFORM pg_sleep(60); END IF;
  RETURN NULL;
END $$;
CREATE TRIGGER fault_pause AFTER INSERT ON matches FOR EACH STATEMENT EXECUTE FUNCTION fault_pause();
"""
UNPAUSE = "DROP TRIGGER IF EXISTS fault_pause ON matches; DROP FUNCTION IF EXISTS fault_pause(); " \
          "DROP TABLE IF EXISTS fault_switch;"


def test_database_connection_dropped_mid_job_shows_no_half_ranking(app, db, redis, settings, workers, matcher):
    """PostgreSQL terminates a worker's connection after it has rewritten part of a ranking.

    A trigger holds the job inside its transaction right after its first insert into the
    rankings (the fault injector; production has no such trigger), so the connection is
    cut at a known point with the old rows deleted and new ones written, uncommitted.
    """
    if db.engine.dialect.name != "postgresql":
        pytest.skip("SQLite has no server connection to drop")

    _add_vacancies(app, 10)
    (pid,) = _add_profiles(app, 1)
    _rerun_in_process(db, matcher)
    Queue(settings.queue_name, connection=redis).empty()   # ranked above; only the edit's job will run
    before = _rankings(db)[(PROFILE, pid)]
    with db.session() as s:   # the person edits their profile: a different ranking is due
        profile = s.get(Profile, pid)
        profile.skills = ["cocina", "manipulación de alimentos", "atención al cliente"]
        profile.jobs = [{"title": "Cocinero", "years": 8, "country": "VE", "description": ""}]
        profile.updated_at = utcnow()
        ranked_at_before = profile.ranked_at
    retries = replace(settings, job_retries=2, retry_intervals=(1,))
    with db.engine.begin() as conn:
        conn.execute(text(PAUSE))
    try:
        group = workers(settings_=retries)
        group.start("a")
        with db.session() as s:
            enqueue_match(s, redis, retries, PROFILE, pid, reason="edited")
        dbname = db.engine.url.database
        find = text("SELECT pid FROM pg_stat_activity WHERE datname = :d AND wait_event = 'PgSleep'")

        def paused():   # a new transaction each time: PostgreSQL caches pg_stat_activity per transaction
            with db.engine.begin() as conn:
                return conn.execute(find, {"d": dbname}).scalar()

        try:
            backend = _wait(paused, 120, "the job paused mid-write")
        except AssertionError:
            print(group.logs())
            raise
        seen = _rankings(db).get((PROFILE, pid))
        with db.session() as s:
            assert s.get(Profile, pid).ranked_at == ranked_at_before
        assert seen == before   # the old ranking, whole, while the new one is half-written
        with db.engine.begin() as conn:
            conn.execute(text("UPDATE fault_switch SET armed = false"))
            assert conn.execute(text("SELECT pg_terminate_backend(:p)"), {"p": backend}).scalar()
        cut = time.monotonic()
        _wait(lambda: _settled(db), 120, "the job retried after the dropped connection", every=0.2)
        retried_after = time.monotonic() - cut
        group.stop_all()
    finally:
        with db.engine.begin() as conn:
            conn.execute(text(UNPAUSE))
    after = _rankings(db)[(PROFILE, pid)]
    assert after != before
    with db.session() as s:
        run = s.scalars(select(MatchRun).where(MatchRun.target_id == pid, MatchRun.kind == PROFILE)
                        .order_by(MatchRun.id.desc())).first()
        assert (run.status, run.attempts, run.error) == ("done", 2, None)
    assert "OperationalError (will retry)" in group.logs()
    jobs.match_profile(pid, matcher)
    assert _rankings(db)[(PROFILE, pid)] == after
    _report(test="db_connection_dropped", attempts=run.attempts, retried_after_s=round(retried_after, 1))


def test_a_job_that_keeps_failing_ends_in_the_failed_registry_without_blocking(
        make_app, db, redis, settings, workers, matcher):
    """A corrupt row fails its job every time: bounded retries with backoff, then RQ's failed
    registry, visible to case workers; every other job still runs."""
    from scripts.create_user import create_user

    intervals = (1, 2)
    retries = replace(settings, job_retries=2, retry_intervals=intervals)
    app = make_app(retries)
    _add_vacancies(app, 6)
    profiles = _add_profiles(app, 8)
    bad = profiles[3]
    with db.session() as s:   # e.g. a hand edit in the database: jobs must be a list
        s.execute(update(Profile).where(Profile.id == bad).values(jobs={"title": _secret(3)}, updated_at=utcnow()))
    group = workers(settings_=retries)
    t0 = time.monotonic()
    group.start("a")
    failed = FailedJobRegistry(settings.queue_name, connection=redis)
    _wait(lambda: job_id(PROFILE, bad) in failed.get_job_ids(), 120, "the failing job in the failed registry")
    seconds = time.monotonic() - t0
    with db.session() as s:
        assert stale_ids(s, PROFILE) == [bad]   # every other profile was ranked
        run = s.scalars(select(MatchRun).where(MatchRun.target_id == bad, MatchRun.kind == PROFILE)
                        .order_by(MatchRun.id.desc())).first()
        assert (run.status, run.attempts, run.error) == ("failed", 3, "AttributeError")
    assert seconds >= sum(intervals)   # the retries waited their backoff
    job = failed.get_queue().fetch_job(job_id(PROFILE, bad))
    assert job.retries_left == 0
    assert "MatchingFailed" in job.latest_result().exc_string
    # The queue is not blocked: a new profile is ranked while the bad one sits in the registry.
    _add_profiles(app, 1, start=len(profiles))
    _wait(lambda: not [i for i in stale_ids_for(db) if i != bad], 60, "a later job runs")
    group.stop_all()

    create_user(settings.database_url, "orienta@ong.org", "clave-de-prueba-1", admin=True)
    client, admin = app.test_client(), app.test_client()
    from tests.test_accounts import _login

    _login(admin, "orienta@ong.org", "clave-de-prueba-1")
    seen = admin.get(f"/admin/rq/0/data/job/{job_id(PROFILE, bad)}.json")
    assert seen.status_code == 200 and seen.get_json()["status"] == "failed"
    assert "MatchingFailed" in seen.get_json()["exc_info"]
    assert client.get(f"/admin/rq/0/data/job/{job_id(PROFILE, bad)}.json").status_code in (302, 401, 403)
    _assert_nothing_personal(_redis_text(redis), len(profiles) + 1, "Redis")
    _assert_nothing_personal(group.logs(), len(profiles) + 1, "the worker logs")
    ttl = redis.ttl(f"rq:job:{job_id(PROFILE, bad)}")
    assert 0 < ttl <= settings.failed_job_ttl
    _report(test="always_failing", attempts=run.attempts, seconds_to_failed_registry=round(seconds, 1),
            failed_ttl_s=ttl, others_ranked=len(profiles))


def stale_ids_for(db) -> list[int]:
    with db.session() as s:
        return stale_ids(s, PROFILE)


def test_database_down_is_a_503_that_saves_nothing(settings, make_app, redis):
    """PostgreSQL unreachable (a closed port): the web says so in the reader's language, or as
    JSON with Retry-After, instead of a 500; nothing reaches the queue."""
    from tests.test_forms import GOOD_PROFILE, _token

    app = make_app(replace(settings, database_url=f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/puente"))
    client = app.test_client()
    form = {**GOOD_PROFILE, "csrf_token": _token(client, "/profiles/new")}
    page = client.post("/profiles/new", data=form)
    assert page.status_code == 503 and page.headers["Retry-After"] == "60"
    assert "no está disponible por un momento y no se guardó nada" in page.get_data(as_text=True)
    english = client.post("/profiles/new?lang=en", data=form)
    assert english.status_code == 503 and "nothing was saved" in english.get_data(as_text=True)
    api = client.post("/api/v1/profiles", json=factories.profile(), headers={"Authorization": "Bearer pt_x"})
    assert api.status_code == 503 and api.get_json()["error"] == "unavailable"
    assert Queue(settings.queue_name, connection=redis).count == 0


def test_a_connection_dropped_before_teardown_is_not_a_bare_500(make_app, db, settings):
    """PostgreSQL drops the request's connection after the view has answered: giving it back
    at teardown must not raise (under gunicorn that was a bare HTML 500, outside every error
    handler), and the next request gets a live connection."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("SQLite has no server connection to drop")
    import psycopg

    from web.extensions import db_session

    app = make_app(settings)
    admin = db.engine.url.set(drivername="postgresql").render_as_string(hide_password=False)

    @app.get("/fault/drop-my-connection")
    def drop_my_connection():
        backend = db_session().execute(text("SELECT pg_backend_pid()")).scalar()
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute("SELECT pg_terminate_backend(%s)", (backend,))
        return {"dropped": backend}

    client = app.test_client()
    resp = client.get("/fault/drop-my-connection")
    assert resp.status_code == 200 and resp.get_json()["dropped"] > 0
    health = client.get("/healthz")
    assert health.status_code == 200 and health.get_json()["database"] == "ok"


def test_a_worker_outlives_redis_and_ranks_what_came_while_it_was_away(settings, make_app, db, own_redis, workers,
                                                                         matcher):
    """Redis goes away under a running worker (RQ alone quits within seconds) and comes back
    empty: the same process waits, resumes, and ranks what people submitted meanwhile (once a
    reconcile pass is queued, as the cron does). RQ retries its own dequeue; when another of its
    calls meets Redis away it quits its loop, and `worker.__main__.serve` waits and serves again
    (tests/test_worker_entry.py)."""
    app = make_app(replace(settings, redis_url=own_redis.url))
    _add_vacancies(app, 4)
    group = workers(own_redis.url)
    proc = group.start("a")
    _wait(lambda: _settled(db), 180, "the worker ranked the vacancies", every=0.5)
    own_redis.stop()
    _add_profiles(app, 2)   # saved, their jobs not queued: Redis is away
    time.sleep(12)          # RQ's own loop quit within 5-7 s of Redis going away
    assert proc.poll() is None, group.logs()[-3000:]
    own_redis.start()       # empty, as a restarted Redis that keeps nothing on disk
    conn = Redis.from_url(own_redis.url)
    enqueue_reconcile(conn, settings)   # the cron's next tick (python -m worker --cron)
    conn.close()
    _wait(lambda: _settled(db), 180, "what came while Redis was away is ranked", every=0.5)
    assert proc.poll() is None and group.procs["a"] is proc   # the same process served throughout
    group.stop_all()
    assert _rankings(db) == _rerun_in_process(db, matcher)


def test_a_worker_started_while_redis_is_away_waits_and_then_serves(settings, make_app, db, own_redis, workers,
                                                                    matcher):
    """A supervisor may start the worker before Redis (a reboot): it waits, it does not exit."""
    app = make_app(replace(settings, redis_url=own_redis.url))
    own_redis.stop()
    _add_profiles(app, 2)       # saved; their jobs wait for Redis
    _add_vacancies(app, 2)
    group = workers(own_redis.url)
    proc = group.start("a")
    _wait(lambda: "waiting for it" in group.logs(), 180, "the worker waits for Redis", every=0.5)
    assert proc.poll() is None, group.logs()[-3000:]
    own_redis.start()
    _wait(lambda: _settled(db), 180, "everything ranked once Redis is there", every=0.5)
    assert proc.poll() is None and group.procs["a"] is proc
    group.stop_all()
    assert _rankings(db) == _rerun_in_process(db, matcher)


FAIL_NEXT = """
CREATE SEQUENCE fault_tries;
CREATE TABLE fault_budget (n bigint NOT NULL);
INSERT INTO fault_budget VALUES (0);
CREATE FUNCTION fault_fail() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF nextval('fault_tries') <= (SELECT n FROM fault_budget) THEN RAISE EXCEPTION 'injected fault'; END IF;
  RETURN NULL;
END $$;
CREATE TRIGGER fault_fail BEFORE INSERT ON matches FOR EACH STATEMENT EXECUTE FUNCTION fault_fail();
"""
# A sequence is not transactional: each failed insert uses up one of the budget for good.
FAIL_ARM = "UPDATE fault_budget SET n = (SELECT last_value FROM fault_tries) + :n"
FAIL_REMOVE = "DROP TRIGGER IF EXISTS fault_fail ON matches; DROP FUNCTION IF EXISTS fault_fail(); " \
              "DROP TABLE IF EXISTS fault_budget; DROP SEQUENCE IF EXISTS fault_tries;"


def _runs_waiting_for_retry(db) -> int:
    with db.session() as s:
        return s.scalar(select(func.count()).select_from(MatchRun).where(
            MatchRun.status == "queued", MatchRun.error.is_not(None)))


def test_runs_whose_retries_redis_lost_end_done(settings, make_app, db, own_redis, workers, matcher):
    """Two re-match jobs fail once and wait for their retry in RQ's scheduled registry; Redis
    restarts empty meanwhile. Their rankings are fresh (from before), so only the runs say
    that work was lost: the reconciler finds runs "queued" with no job and redoes them.

    A trigger makes the next two inserts into the rankings fail (the fault injector;
    production has no such trigger). PostgreSQL only: it needs a sequence, which no
    rollback undoes.
    """
    if db.engine.dialect.name != "postgresql":
        pytest.skip("the fault injector needs PostgreSQL's non-transactional sequences")
    app = make_app(replace(settings, redis_url=own_redis.url))
    _add_vacancies(app, 4)
    profiles = _add_profiles(app, 3)
    waiting = replace(settings, redis_url=own_redis.url, job_retries=1, retry_intervals=(600,))
    with db.engine.begin() as conn:
        conn.execute(text(FAIL_NEXT))
    try:
        group = workers(own_redis.url, settings_=waiting)
        group.start("a")
        _wait(lambda: _settled(db), 180, "everything ranked", every=0.5)
        with db.engine.begin() as conn:
            conn.execute(text(FAIL_ARM), {"n": 2})
        conn = Redis.from_url(own_redis.url)
        with db.session() as s:
            enqueue_matches(s, conn, waiting, PROFILE, profiles[:2], reason="rematch")
        _wait(lambda: _runs_waiting_for_retry(db) == 2, 120, "two runs wait for their retry", every=0.2)
        assert ScheduledJobRegistry(settings.queue_name, connection=conn).count == 2
        assert _settled(db) is False   # the runs still say "queued", over fresh rankings
        time.sleep(jobs.ORPHAN_GRACE.total_seconds())
        own_redis.stop()
        own_redis.start()              # empty: the scheduled retries are gone
        restarted = time.monotonic()
        enqueue_reconcile(conn, settings)   # the cron's next tick (the worker also queues one on resuming)
        _wait(lambda: _settled(db), 180, "every run done after Redis lost the retries", every=0.5)
        seconds = time.monotonic() - restarted
        group.stop_all()
        conn.close()
    finally:
        with db.engine.begin() as c:
            c.execute(text(FAIL_REMOVE))
    assert "injected fault" not in group.logs()   # only the class of an error is logged
    with db.session() as s:
        assert set(s.scalars(select(MatchRun.status))) == {"done"}
    assert _rankings(db) == _rerun_in_process(db, matcher)
    _report(test="retries_lost_with_redis", runs_waiting=2, all_done_after_s=round(seconds, 1))


def test_a_job_killed_while_it_writes_keeps_the_embeddings_it_computed(app, db, redis, settings, workers):
    """A worker is killed inside the ranking transaction (held there by a trigger, the fault
    injector): the embeddings and ESCO links the job computed are already saved, so the job
    that takes over does not compute them again. (Before, they were written in the ranking's
    own transaction and lost with it: a worker's first job after a restart took up to 96 s.)
    PostgreSQL only: SQLite cannot hold a transaction open from a trigger."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("the fault injector holds a transaction with pg_sleep")
    _add_vacancies(app, 6)
    (pid,) = _add_profiles(app, 1)
    Queue(settings.queue_name, connection=redis).empty()   # only the job below runs
    with db.engine.begin() as conn:
        conn.execute(text(PAUSE))
    try:
        group = workers()
        group.start("a")
        with db.session() as s:
            enqueue_match(s, redis, settings, PROFILE, pid)
        dbname = db.engine.url.database
        find = text("SELECT count(*) FROM pg_stat_activity WHERE datname = :d AND wait_event = 'PgSleep'")

        def paused():
            with db.engine.begin() as conn:
                return conn.execute(find, {"d": dbname}).scalar()

        _wait(paused, 120, "the job held inside its ranking transaction")
        group.kill("a")
    finally:
        with db.engine.begin() as conn:   # the killed worker's backend sleeps on, holding its locks
            conn.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                              "WHERE datname = :d AND wait_event = 'PgSleep'"), {"d": db.engine.url.database})
            conn.execute(text(UNPAUSE))
    with db.session() as s:
        profile = s.get(Profile, pid)
        embedded = [v.id for v in s.scalars(select(Vacancy)) if v.embedding_key and v.esco_key]
        assert profile.ranked_at is None                     # the ranking was not saved
        assert profile.embedding_key and profile.esco_key    # what it computed was: its own row's
        assert embedded                                      # and the vacancies' it scored (none had any)
    _report(test="killed_keeps_embeddings", vacancies_embedded=len(embedded))
