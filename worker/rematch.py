"""Bulk re-matching: every profile and vacancy again (after a change of taxonomy, weights
or knowledge base), split into chunked RQ jobs that any number of workers take in
parallel. Progress lives in Redis (`puente:rematch:<run>`), read by the command line and
the admin page.
"""
from __future__ import annotations

import logging
import secrets
import time

from redis import Redis
from rq import Queue
from sqlalchemy import select

from models import PROFILE, VACANCY, Profile, Vacancy

from .jobs import MatchingFailed, match_profile, match_vacancy
from .matcher import Matcher, running_matcher
from .queueing import connect

log = logging.getLogger(__name__)

__all__ = ["latest_run_id", "progress", "rematch_chunk", "start_rematch"]

KEY = "puente:rematch:{}"
LATEST = "puente:rematch:latest"
TTL = 7 * 24 * 3600


def start_rematch(conn: Redis, settings, db, chunk: int = 200, kinds: tuple[str, ...] = (VACANCY, PROFILE)) -> str:
    """Queue chunked jobs over every open vacancy and every profile; return the run id."""
    run = time.strftime("%Y%m%d-%H%M%S-") + secrets.token_hex(3)
    with db.session() as s:
        targets = {VACANCY: list(s.scalars(select(Vacancy.id).where(Vacancy.status == "open").order_by(Vacancy.id))),
                   PROFILE: list(s.scalars(select(Profile.id).order_by(Profile.id)))}
    chunks = [(kind, targets[kind][i:i + chunk]) for kind in kinds for i in range(0, len(targets[kind]), chunk)]
    key = KEY.format(run)
    total = sum(len(ids) for _, ids in chunks)
    conn.hset(key, mapping={"total": total, "done": 0, "failed": 0, "chunks": len(chunks), "started": time.time()})
    conn.expire(key, TTL)
    conn.set(LATEST, run, ex=TTL)
    Queue(settings.queue_name, connection=conn).enqueue_many([
        Queue.prepare_data(rematch_chunk, (run, kind, ids), job_id=f"rematch-{run}-{n}", timeout=settings.job_timeout * 4,
                           result_ttl=settings.result_ttl, failure_ttl=settings.failed_job_ttl,
                           description=f"rematch {kind} x{len(ids)}")
        for n, (kind, ids) in enumerate(chunks)])
    return run


def rematch_chunk(run: str, kind: str, ids: list[int], matcher: Matcher | None = None) -> dict:
    """Match each target of the chunk in this one job (one job, many targets: the worker's
    per-job overhead is paid once), counting progress in Redis.

    `matcher`: default, the one of the worker running the job.
    """
    m = matcher if matcher is not None else running_matcher()
    match = match_profile if kind == PROFILE else match_vacancy
    conn = connect(m.settings.redis_url)
    key = KEY.format(run)
    done = failed = 0
    try:
        for target in ids:
            try:
                match(int(target), m)
                done += 1
                conn.hincrby(key, "done", 1)
            except MatchingFailed:
                failed += 1
                conn.hincrby(key, "failed", 1)
    finally:
        conn.close()
    return {"done": done, "failed": failed}


def latest_run_id(conn: Redis) -> str | None:
    raw = conn.get(LATEST)
    return raw.decode() if raw else None


def progress(conn: Redis, run: str) -> dict | None:
    raw = conn.hgetall(KEY.format(run))
    if not raw:
        return None
    data = {k.decode(): float(v) for k, v in raw.items()}
    total = int(data.get("total", 0))
    finished = int(data.get("done", 0) + data.get("failed", 0))
    return {"run": run, "total": total, "done": int(data.get("done", 0)), "failed": int(data.get("failed", 0)),
            "finished": finished >= total, "seconds": time.time() - data.get("started", time.time())}
