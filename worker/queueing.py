"""Enqueue matching work: the one helper the web and the reconciler call.

It knows job names and ids, never the jobs' internals, and loads no model.
"""
from __future__ import annotations

import logging

from redis import Redis
from redis.exceptions import RedisError
from rq import Queue, Retry
from rq.exceptions import NoSuchJobError
from rq.job import Job, JobStatus

from models import PROFILE, VACANCY
from models.queries import open_run

log = logging.getLogger(__name__)

__all__ = ["JOBS", "connect", "enqueue_match", "enqueue_reconcile", "job_id"]

JOBS = {PROFILE: "worker.jobs.match_profile", VACANCY: "worker.jobs.match_vacancy"}
_WAITING = {JobStatus.QUEUED, JobStatus.SCHEDULED, JobStatus.DEFERRED}


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


def _choose_id(conn: Redis, base: str) -> str | None:
    """Pick the job id to use, or None when a waiting job will already see the latest data.

    A job that is running may have read the data before this change, so a follow-up
    job (`<id>-next`) is queued behind it; its id is deterministic too.
    """
    for jid in (base, f"{base}-next"):
        status = _status(conn, jid)
        if status in _WAITING:
            return None
        if status != JobStatus.STARTED:
            return jid
    return base


def _retry(times: int, intervals: tuple[int, ...]) -> Retry | None:
    """Retry `times` times with backoff (PUENTE_RETRY_INTERVALS: 5 s, 30 s, then 2 min)."""
    if times <= 0:
        return None
    intervals = intervals or (0,)
    return Retry(max=times, interval=[intervals[min(i, len(intervals) - 1)] for i in range(times)])


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
    base = job_id(kind, target_id)
    try:
        jid = _choose_id(conn, base)
    except RedisError as exc:
        jid = None
        redis_error: RedisError | None = exc
    else:
        redis_error = None
        if jid is None:     # a waiting job will read the latest data
            return True
    open_run(session, kind, target_id, jid or base, reason)
    session.commit()
    if redis_error is not None:
        log.warning("matching delayed: Redis unavailable (%s) for %s", type(redis_error).__name__, base)
        return False
    try:
        queue = Queue(settings.queue_name, connection=conn)
        queue.enqueue(JOBS[kind], target_id, job_id=jid, job_timeout=settings.job_timeout,
                      retry=_retry(settings.job_retries, settings.retry_intervals),
                      failure_ttl=settings.failed_job_ttl, result_ttl=settings.result_ttl,
                      description=f"match {kind} {int(target_id)}")
        return True
    except RedisError as exc:
        log.warning("matching delayed: Redis unavailable (%s) for %s", type(exc).__name__, base)
        return False


def enqueue_reconcile(conn: Redis, settings) -> None:
    """Queue one reconcile pass (deduplicated by its fixed id)."""
    if _status(conn, "reconcile") in _WAITING:
        return
    Queue(settings.queue_name, connection=conn).enqueue(
        "worker.jobs.reconcile", job_id="reconcile", job_timeout=settings.job_timeout,
        failure_ttl=settings.failed_job_ttl, result_ttl=settings.result_ttl, description="reconcile rankings")
