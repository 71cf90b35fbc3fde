"""Enqueue matching work: the one helper the web and the reconciler call.

It knows job names and ids, never the jobs' internals, and loads no model.
"""
from __future__ import annotations

import logging
import secrets
import time

from redis import Redis
from redis.exceptions import RedisError
from rq import Queue, Retry
from rq.exceptions import NoSuchJobError
from rq.job import Dependency, Job, JobStatus
from sqlalchemy import select

from models import PROFILE, VACANCY, Profile, Vacancy
from models.queries import open_run

log = logging.getLogger(__name__)

__all__ = ["JOBS", "connect", "enqueue_learning", "enqueue_match", "enqueue_matches", "enqueue_reconcile", "job_id", "jobs_gone",
           "latest_rematch", "rematch_progress", "start_rematch"]

JOBS = {PROFILE: "worker.jobs.match_profile", VACANCY: "worker.jobs.match_vacancy"}
_WAITING = {JobStatus.QUEUED, JobStatus.SCHEDULED, JobStatus.DEFERRED}
_ALIVE = _WAITING | {JobStatus.STARTED}
BULK = 1000   # targets per round trip: a reconcile pass after a reset may queue every row


def connect(url: str) -> Redis:
    """Return a Redis client for `url` that fails fast when the server is away."""
    return Redis.from_url(url, socket_connect_timeout=2, socket_timeout=10, health_check_interval=30)


def job_id(kind: str, target_id: int) -> str:
    """Return the deterministic job id of a matching job: a double submit is harmless."""
    return f"match-{kind}-{int(target_id)}"


def _status(conn: Redis, jid: str) -> JobStatus | None:
    try:
        return Job.fetch(jid, connection=conn).get_status(refresh=False)
    except NoSuchJobError:
        return None


def _pick(base: str, statuses: tuple[JobStatus | None, JobStatus | None]) -> str | None:
    """The job id to use, or None when a waiting job will already see the latest data.

    A job that is running may have read the data before this change, so a follow-up
    job (`<id>-next`) is queued behind it; its id is deterministic too.
    """
    for jid, status in zip((base, f"{base}-next"), statuses, strict=True):
        if status in _WAITING:
            return None
        if status != JobStatus.STARTED:
            return jid
    return base


def _choose_ids(conn: Redis, bases: list[str]) -> list[str | None]:
    """`_pick` for each base id, with the jobs' statuses read in one round trip."""
    jobs = Job.fetch_many([jid for base in bases for jid in (base, f"{base}-next")], connection=conn)
    statuses = [job.get_status(refresh=False) if job is not None else None for job in jobs]
    return [_pick(base, (statuses[2 * i], statuses[2 * i + 1])) for i, base in enumerate(bases)]


def jobs_gone(conn: Redis, job_ids: list[str]) -> set[str]:
    """The job ids of which Redis holds no job that will still run (none at all, e.g. after
    Redis restarted empty, or one that ended), in one round trip per `BULK` ids."""
    gone = set()
    for i in range(0, len(job_ids), BULK):
        chunk = job_ids[i:i + BULK]
        for jid, job in zip(chunk, Job.fetch_many(chunk, connection=conn), strict=True):
            if job is None or job.get_status(refresh=False) not in _ALIVE:
                gone.add(jid)
    return gone


def _retry(times: int, intervals: tuple[int, ...]) -> Retry | None:
    """Retry `times` times with backoff (PUENTE_RETRY_INTERVALS: 5 s, 30 s, then 2 min)."""
    if times <= 0:
        return None
    intervals = intervals or (0,)
    return Retry(max=times, interval=[intervals[min(i, len(intervals) - 1)] for i in range(times)])


def _job_data(settings, kind: str, target_id: int, jid: str):
    return Queue.prepare_data(JOBS[kind], (target_id,), job_id=jid, timeout=settings.job_timeout,
                              retry=_retry(settings.job_retries, settings.retry_intervals),
                              failure_ttl=settings.failed_job_ttl, result_ttl=settings.result_ttl,
                              description=f"match {kind} {int(target_id)}")


def enqueue_matches(session, conn: Redis, settings, kind: str, target_ids: list[int],
                    reason: str = "submitted") -> bool:
    """Record runs and queue the matching jobs of many profiles or vacancies at once.

    Two Redis round trips per `BULK` targets, whatever their number: one reads the jobs
    already there (a target whose job still waits needs none), one pipeline enqueues the
    others (`Queue.enqueue_many`). The runs are committed in between: if Redis is away the
    submissions are still safe, the runs stay "queued" and the reconciler queues them when
    Redis is back.

    Args:
        session: a database session; this function commits it when it records a run.
        conn: the Redis connection.
        settings: the `config.Settings`.
        kind: "profile" or "vacancy".
        target_ids: the row ids.
        reason: why (submitted, edited, reconcile), kept with the runs.

    Returns:
        True when every job is in Redis (queued now or already waiting), False when Redis
        could not be reached.
    """
    # Every chunk is tried, even after one failed: its runs are recorded either way.
    queued = [_enqueue_chunk(session, conn, settings, kind, list(target_ids[i:i + BULK]), reason)
              for i in range(0, len(target_ids), BULK)]
    return all(queued)


def _enqueue_chunk(session, conn: Redis, settings, kind: str, target_ids: list[int], reason: str) -> bool:
    bases = [job_id(kind, t) for t in target_ids]
    try:
        chosen = _choose_ids(conn, bases)
    except RedisError as exc:
        chosen, redis_error = list(bases), exc
    else:
        redis_error = None
    todo = [(t, jid) for t, jid in zip(target_ids, chosen, strict=True) if jid is not None]
    if not todo:    # waiting jobs will read the latest data
        return True
    for target_id, jid in todo:
        open_run(session, kind, target_id, jid, reason)
    session.commit()
    if redis_error is None:
        try:
            Queue(settings.queue_name, connection=conn).enqueue_many(
                [_job_data(settings, kind, t, jid) for t, jid in todo])
            return True
        except RedisError as exc:
            redis_error = exc
    log.warning("matching delayed: Redis unavailable (%s) for %s", type(redis_error).__name__,
                bases[0] if len(bases) == 1 else f"{len(todo)} {kind} jobs")
    return False


def enqueue_match(session, conn: Redis, settings, kind: str, target_id: int, reason: str = "submitted") -> bool:
    """Record a run and queue the matching job for a profile or a vacancy.

    The run is committed first: if Redis is away the submission is still safe, the run
    stays "queued" and the reconciler queues it when Redis is back.

    Args:
        session: a database session; this function commits it.
        conn: the Redis connection.
        settings: the `config.Settings`.
        kind: "profile" or "vacancy".
        target_id: the row id.
        reason: why (submitted, edited, reconcile), kept with the run.

    Returns:
        True when the job is in Redis (queued now or already waiting), False when Redis
        could not be reached.
    """
    return enqueue_matches(session, conn, settings, kind, [target_id], reason)


def enqueue_reconcile(conn: Redis, settings) -> None:
    """Queue one reconcile pass (deduplicated by its fixed id)."""
    if _status(conn, "reconcile") in _WAITING:
        return
    Queue(settings.queue_name, connection=conn).enqueue(
        "worker.jobs.reconcile", job_id="reconcile", job_timeout=settings.job_timeout,
        failure_ttl=settings.failed_job_ttl, result_ttl=settings.result_ttl, description="reconcile rankings")


def enqueue_learning(conn: Redis, settings) -> bool:
    """Queue one learning pass (`worker.learning.learn_weights`); False when one waits already."""
    if _status(conn, "learn-weights") in _ALIVE:   # queued or running: one at a time
        return False
    Queue(settings.queue_name, connection=conn).enqueue(
        "worker.learning.learn_weights", job_id="learn-weights", job_timeout=settings.job_timeout * 4,
        failure_ttl=settings.failed_job_ttl, result_ttl=settings.result_ttl, description="learn the weights")
    return True


# --- Bulk re-matching (the chunks are `worker.rematch.rematch_chunk` jobs) ---------------

REMATCH_KEY = "puente:rematch:{}"
REMATCH_LATEST = "puente:rematch:latest"
REMATCH_TTL = 7 * 24 * 3600


def start_rematch(conn: Redis, settings, db, chunk: int = 200, kinds: tuple[str, ...] = (VACANCY, PROFILE),
                  floors_chunk: int = 5000, one_by_one: bool = False) -> str:
    """Queue a bulk re-match of every open vacancy and every profile; return the run id.

    First the jobs that compute every row's reach floor afresh (`worker.rematch.rematch_floors`,
    `floors_chunk` rows each), then, behind all of them, the chunks of `chunk` targets that
    rank (`worker.rematch.rematch_chunk`); progress counts the targets ranked. `one_by_one`:
    chunks that run each target's own matching job instead (what a re-match was before it
    was batched; `scripts.bench_rematch` measures it beside the batched one).
    """
    # One side alone is re-matched by its rows' own jobs: they merge into the other side's rankings.
    one_by_one = one_by_one or not (PROFILE in kinds and VACANCY in kinds)
    run = time.strftime("%Y%m%d-%H%M%S-") + secrets.token_hex(3)
    with db.session() as s:
        targets = {VACANCY: list(s.scalars(select(Vacancy.id).where(Vacancy.status == "open").order_by(Vacancy.id))),
                   PROFILE: list(s.scalars(select(Profile.id).order_by(Profile.id)))}
    chunks = [(kind, targets[kind][i:i + chunk]) for kind in kinds for i in range(0, len(targets[kind]), chunk)]
    # The floors of both sides, whatever `kinds`: a target's candidates depend on the other side's.
    floors = [] if one_by_one else [(kind, targets[kind][i:i + floors_chunk]) for kind in (VACANCY, PROFILE)
                                    for i in range(0, len(targets[kind]), floors_chunk)]
    key = REMATCH_KEY.format(run)
    total = sum(len(ids) for _, ids in chunks)
    # With both sides, each pair is scored once: the profiles' chunks stage the pairs, and the
    # vacancies' chunks, behind all of them, rank from those (`worker.rematch`).
    stage = not one_by_one and bool(targets[PROFILE])
    conn.hset(key, mapping={"total": total, "done": 0, "failed": 0, "chunks": len(chunks), "started": time.time(),
                            "stage": int(stage)})
    conn.expire(key, REMATCH_TTL)
    conn.set(REMATCH_LATEST, run, ex=REMATCH_TTL)
    _enqueue_rematch(Queue(settings.queue_name, connection=conn), settings, run, floors, chunks, stage, one_by_one)
    return run


def _enqueue_rematch(queue: Queue, settings, run: str, floors: list, chunks: list, stage: bool,
                     one_by_one: bool) -> None:
    """Queue the floors jobs, then the chunks behind them; with `stage`, the profiles' chunks,
    then `rematch_staged` behind those, then the vacancies' chunks behind it."""
    common = {"timeout": settings.job_timeout * 4, "result_ttl": settings.result_ttl,
              "failure_ttl": settings.failed_job_ttl}
    first = [Queue.prepare_data("worker.rematch.rematch_floors", (run, kind, ids), job_id=f"rematch-{run}-floors-{n}",
                                description=f"rematch floors {kind} x{len(ids)}", **common)
             for n, (kind, ids) in enumerate(floors)]
    # A job that failed for good leaves what was there (older floors; pairs not staged: see
    # `worker.rematch.rematch_staged`): the jobs behind it still run.
    after = Dependency([d.job_id for d in first], allow_failure=True) if first else None
    jobs = [Queue.prepare_data("worker.rematch.rematch_chunk", (run, kind, ids),
                               {"one_by_one": True} if one_by_one else None, job_id=f"rematch-{run}-{n}",
                               description=f"rematch {kind} x{len(ids)}", depends_on=after, **common)
            for n, (kind, ids) in enumerate(chunks)]
    if not stage:
        queue.enqueue_many(first + jobs)
        return
    profiles = [j for j, (kind, _) in zip(jobs, chunks, strict=True) if kind == PROFILE]
    barrier = Queue.prepare_data("worker.rematch.rematch_staged", (run, [j.job_id for j in profiles]),
                                 job_id=f"rematch-{run}-staged", description="rematch: pairs staged",
                                 depends_on=Dependency([j.job_id for j in profiles], allow_failure=True), **common)
    queue.enqueue_many(first + profiles + [barrier])
    queue.enqueue_many([j._replace(depends_on=Dependency([barrier.job_id], allow_failure=True))
                        for j, (kind, _) in zip(jobs, chunks, strict=True) if kind == VACANCY])


def latest_rematch(conn: Redis) -> str | None:
    """Return the id of the latest bulk re-match, if one ran in the last week."""
    raw = conn.get(REMATCH_LATEST)
    return raw.decode() if raw else None


def rematch_progress(conn: Redis, run: str) -> dict | None:
    """Return how far the bulk re-match `run` is (None when unknown or expired)."""
    raw = conn.hgetall(REMATCH_KEY.format(run))
    if not raw:
        return None
    data = {k.decode(): float(v) for k, v in raw.items()}
    total = int(data.get("total", 0))
    finished = int(data.get("done", 0) + data.get("failed", 0))
    return {"run": run, "total": total, "done": int(data.get("done", 0)), "failed": int(data.get("failed", 0)),
            "finished": finished >= total, "seconds": time.time() - data.get("started", time.time())}
