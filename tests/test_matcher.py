"""The explicit worker: a matcher per worker, handed to the jobs; rankings that only move
forward in their row's versions; bulk enqueues in one Redis pipeline.

Real SQLite and PostgreSQL (each test runs on both), a real Redis and a real RQ worker.
"""
from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from redis import Redis
from redis.client import Pipeline
from rq import Queue
from rq.job import Job, JobStatus
from sqlalchemy import select

from models import PROFILE, VACANCY, MatchRun, Profile, utcnow
from models.queries import ranking
from tests import factories
from worker import jobs
from worker.matcher import Matcher, running_matcher
from worker.queueing import enqueue_matches, job_id
from worker.runner import MatchingWorker

ROOT = Path(__file__).resolve().parent.parent
COOK = factories.profile(summary="Cocinera con 8 años en restaurantes.",
                         jobs=[{"title": "Cocinera", "years": 8, "country": "VE", "description": "Cocina a la carta."}],
                         skills=["cocina", "manipulación de alimentos"])


def _profile_id(db, public_id: str) -> int:
    with db.session() as s:
        return s.scalars(select(Profile.id).where(Profile.public_id == public_id)).one()


def _ranking(db, kind: str, target_id: int) -> list[tuple]:
    with db.session() as s:
        return [(m.profile_id, m.vacancy_id, m.rank, m.score, m.computed_at) for m in ranking(s, kind, target_id)]


class PausedMatcher(Matcher):
    """A second worker's matcher whose jobs stop after scoring, before storing, until
    `resume` is set: the job has read its rows and holds its results meanwhile."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.scored = threading.Event()
        self.resume = threading.Event()
        self.results: list = []

    def score(self, pairs, left_out=None, memo=None):
        self.results = super().score(pairs, left_out, memo)
        self.scored.set()
        assert self.resume.wait(60), "never resumed"
        return self.results


class InThread:
    """Run a job in a thread (the other worker), keeping what it returns or raises."""

    def __init__(self, fn, *args):
        self.outcome: dict = {}
        self.thread = threading.Thread(target=self._run, args=(fn, *args), daemon=True)
        self.thread.start()

    def _run(self, fn, *args):
        try:
            self.outcome["value"] = fn(*args)
        except BaseException as exc:  # noqa: BLE001 - handed to the test, which re-raises it
            self.outcome["error"] = exc

    def result(self):
        self.thread.join(60)
        assert not self.thread.is_alive(), "the older job never finished"
        if "error" in self.outcome:
            raise self.outcome["error"]
        return self.outcome["value"]


def _edit_into_a_nurse(db, pid: int) -> None:
    nurse = factories.NURSE
    with db.session() as s:
        profile = s.get(Profile, pid)
        profile.summary, profile.jobs, profile.skills = nurse["summary"], nurse["jobs"], nurse["skills"]
        profile.updated_at = utcnow()


def test_the_older_of_two_computations_committed_last_does_not_replace_the_newer(
        client, db, settings, encoder, taxonomy_index, matcher):
    """An edit's follow-up job on one worker commits before the pre-edit job on another:
    the pre-edit ranking, committed last, is discarded; the edit's ranking stays."""
    icu = factories.post(client, "vacancies", factories.vacancy())
    cook = factories.post(client, "vacancies", factories.vacancy(factories.COOK_VACANCY))
    pid = _profile_id(db, factories.post(client, "profiles", COOK))
    for vid in (icu, cook):
        jobs.match_vacancy(vid, matcher)
    jobs.match_profile(pid, matcher)   # every embedding cached: the older job writes nothing before its ranking
    assert _ranking(db, PROFILE, pid)[0][1] == cook

    older = PausedMatcher(settings, encoder, taxonomy_index)
    try:
        job = InThread(jobs.match_profile, pid, older)       # reads the cook's profile, then waits
        assert older.scored.wait(60)
        _edit_into_a_nurse(db, pid)
        newer = jobs.match_profile(pid, matcher)              # the edit's job, on the other worker, commits first
        assert newer["ranked"] == 2
        expected = _ranking(db, PROFILE, pid)
        expected_candidates = {vid: _ranking(db, VACANCY, vid) for vid in (icu, cook)}
        assert expected[0][1] == icu
        with db.session() as s:
            version = s.get(Profile, pid).updated_at
        # What the older job holds would put the cook's vacancy first again.
        assert max(older.results, key=lambda r: r.score).vacancy_id == cook
        older.resume.set()
        assert job.result()["superseded"] is True
    finally:
        older.resume.set()
        older.close()

    assert _ranking(db, PROFILE, pid) == expected
    assert {vid: _ranking(db, VACANCY, vid) for vid in (icu, cook)} == expected_candidates
    with db.session() as s:
        profile = s.get(Profile, pid)
        assert profile.ranked_version == version and profile.ranked_at >= version
        runs = s.scalars(select(MatchRun).where(MatchRun.target_id == pid, MatchRun.kind == PROFILE)).all()
        assert {r.status for r in runs} == {"done"}


def test_a_vacancy_job_that_read_an_older_profile_stores_no_pair_of_that_older_version(
        client, db, settings, encoder, taxonomy_index, matcher):
    """The same race across sides: a vacancy's job read a profile before its edit and stores
    after the profile's own job. It reads the profile again instead of storing the old pair:
    the profile's ranking and the vacancy's candidate list both hold the pair as the edit
    scored it."""
    icu = factories.post(client, "vacancies", factories.vacancy())
    pid = _profile_id(db, factories.post(client, "profiles", COOK))
    jobs.match_vacancy(icu, matcher)
    jobs.match_profile(pid, matcher)

    def pairs(kind, target):
        return [row[:4] for row in _ranking(db, kind, target)]

    older = PausedMatcher(settings, encoder, taxonomy_index)
    try:
        job = InThread(jobs.match_vacancy, icu, older)
        assert older.scored.wait(60)
        _edit_into_a_nurse(db, pid)
        jobs.match_profile(pid, matcher)
        expected, expected_candidates = pairs(PROFILE, pid), pairs(VACANCY, icu)
        (stale,) = older.results
        assert [row[3] for row in expected] != [stale.score]   # the edit changed the pair's score
        older.resume.set()
        assert job.result()["ranked"] == 1
    finally:
        older.resume.set()
        older.close()
    assert pairs(PROFILE, pid) == expected
    assert pairs(VACANCY, icu) == expected_candidates
    assert [r.score for r in older.results] == [row[3] for row in expected]   # scored again, from the edit


class CountingPipeline(Pipeline):
    def execute(self, raise_on_error: bool = True):
        self.trips.append(("pipeline", len(self.command_stack)))
        return super().execute(raise_on_error)


class CountingRedis(Redis):
    """A real Redis client that records its round trips: each command sent alone, each
    pipeline sent (with its number of commands)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.trips: list[tuple[str, int]] = []

    def execute_command(self, *args, **options):
        self.trips.append((str(args[0]), 1))
        return super().execute_command(*args, **options)

    def pipeline(self, transaction=True, shard_hint=None):
        pipe = CountingPipeline(self.connection_pool, self.response_callbacks, transaction, shard_hint)
        pipe.trips = self.trips
        return pipe


def _import_profiles(app, n: int, conn: Redis) -> list[int]:
    from web.extensions import knowledge
    from web.schemas import ProfileIn
    from web.services import create_profile_rows

    own = app.extensions["puente_redis"]
    app.extensions["puente_redis"] = conn
    try:
        with app.test_request_context():
            rows = [ProfileIn.model_validate(factories.profile(summary=f"Enfermera {i}."), context={"kb": knowledge()})
                    for i in range(n)]
            create_profile_rows(rows)
    finally:
        app.extensions["puente_redis"] = own
    with app.extensions["puente_db"].session() as s:
        return list(s.scalars(select(Profile.id).order_by(Profile.id)))[-n:]


def _check_the_queued_jobs(queue, redis, settings, pids: list[int]) -> None:
    assert queue.job_ids == [job_id(PROFILE, p) for p in pids]
    for job in Job.fetch_many(queue.job_ids, connection=redis):
        assert job.func_name == "worker.jobs.match_profile" and job.args == (pids[queue.job_ids.index(job.id)],)
        assert job.retries_left == settings.job_retries and job.timeout == settings.job_timeout


def _check_queued_again(app, conn, queue, redis, settings, pids: list[int]) -> None:
    # Queued again: each waiting job covers its target; a running one gets a follow-up.
    Job.fetch(job_id(PROFILE, pids[0]), connection=redis).set_status(JobStatus.STARTED)
    conn.trips.clear()
    with app.extensions["puente_db"].session() as s:
        assert enqueue_matches(s, conn, settings, PROFILE, pids, reason="edited") is True
        edited = s.scalars(select(MatchRun.job_id).where(MatchRun.reason == "edited")).all()
    assert edited == [f"{job_id(PROFILE, pids[0])}-next"]
    assert len([kind for kind, _ in conn.trips if kind == "pipeline"]) == 2 and len(conn.trips) <= 3
    assert queue.job_ids[-1] == f"{job_id(PROFILE, pids[0])}-next" and len(queue) == 13
    Job.fetch(job_id(PROFILE, pids[0]), connection=redis).set_status(JobStatus.QUEUED)


def test_a_bulk_import_queues_every_job_in_one_pipeline_and_a_real_worker_drains_them(
        app, db, redis, redis_url, settings, matcher):
    conn = CountingRedis.from_url(redis_url)
    queue = Queue(settings.queue_name, connection=redis)
    try:
        conn.ping()
        conn.trips.clear()
        pids = _import_profiles(app, 12, conn)
        # One round trip reads the jobs already there, one pipeline queues all twelve (with
        # at most one more command: RQ asks the server's version once per queue).
        pipelines = [size for kind, size in conn.trips if kind == "pipeline"]
        assert len(pipelines) == 2 and pipelines[0] == 2 * 12 and pipelines[1] > 12
        assert len(conn.trips) <= 3, conn.trips
        _check_the_queued_jobs(queue, redis, settings, pids)
        _check_queued_again(app, conn, queue, redis, settings, pids)
    finally:
        conn.close()

    # A real RQ worker, holding its matcher, drains the queue: jobs get ids only.
    MatchingWorker([settings.queue_name], connection=redis, matcher=matcher).work(burst=True)
    assert len(queue) == 0
    with db.session() as s:
        assert all(s.get(Profile, p).ranked_at is not None for p in pids)
        assert {r.status for r in s.scalars(select(MatchRun))} == {"done"}
    with pytest.raises(RuntimeError):
        running_matcher()   # bound only while the worker performed each job


def test_a_job_run_by_name_needs_a_worker_or_a_matcher():
    with pytest.raises(RuntimeError, match="no matcher"):
        jobs.match_profile(1)


def test_the_matching_core_reads_no_settings():
    """`matching` (the encoder included) imports nothing from `config`: the caller passes
    the encoder's name and model."""
    code = "import sys, matching; print(sorted(m for m in sys.modules if m.split('.')[0] == 'config'))"
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_python_m_worker_hands_its_matcher_to_jobs_queued_by_name(client, db, redis, settings):
    """`python -m worker --burst` ranks what the web queued. (Its `--class fork` hangs in the
    forked horse after the encoder's threads started: docs/benchmarks.md, rq issue 1609.)"""
    pid = _profile_id(db, factories.post(client, "profiles", factories.profile()))
    env = {**os.environ, "PUENTE_ENV": "test", "DATABASE_URL": settings.database_url, "REDIS_URL": settings.redis_url,
           "PUENTE_QUEUE": settings.queue_name, "HF_HUB_OFFLINE": "1", "PUENTE_DATA_DIR": settings.data_dir}
    done = subprocess.run([sys.executable, "-m", "worker", "--burst", "--log-level", "WARNING"],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0 and "Traceback" not in done.stdout + done.stderr, done.stderr
    with db.session() as s:
        assert s.get(Profile, pid).ranked_at is not None
        assert s.scalars(select(MatchRun.status).where(MatchRun.target_id == pid)).all() == ["done"]


def test_a_large_bulk_is_queued_in_chunks_of_bulk_targets(app, db, redis, redis_url, settings, monkeypatch):
    from worker import queueing

    monkeypatch.setattr(queueing, "BULK", 5)
    pids = _import_profiles(app, 12, redis)
    Queue(settings.queue_name, connection=redis).empty()
    conn = CountingRedis.from_url(redis_url)
    try:
        with app.extensions["puente_db"].session() as s:
            assert enqueue_matches(s, conn, settings, PROFILE, pids, reason="reconcile") is True
    finally:
        conn.close()
    assert [size for kind, size in conn.trips if kind == "pipeline"][::2] == [10, 10, 4]   # 5, 5 and 2 targets
    assert Queue(settings.queue_name, connection=redis).job_ids == [job_id(PROFILE, p) for p in pids]
