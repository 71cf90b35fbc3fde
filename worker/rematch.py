"""The job of a bulk re-match: one chunk of profiles or vacancies matched again, its
progress counted in Redis. `worker.queueing.start_rematch` queues the chunks, and
`worker.queueing.rematch_progress` reads the progress (the command line, the admin page).
"""
from __future__ import annotations

import logging

from models import PROFILE

from .jobs import MatchingFailed, match_profile, match_vacancy
from .matcher import Matcher, running_matcher
from .queueing import REMATCH_KEY, connect

log = logging.getLogger(__name__)

__all__ = ["rematch_chunk"]


def rematch_chunk(run: str, kind: str, ids: list[int], matcher: Matcher | None = None) -> dict:
    """Match each target of the chunk in this one job (one job, many targets: the worker's
    per-job overhead is paid once), counting progress in Redis.

    `matcher`: default, the one of the worker running the job.
    """
    m = matcher if matcher is not None else running_matcher()
    match = match_profile if kind == PROFILE else match_vacancy
    conn = connect(m.settings.redis_url)
    key = REMATCH_KEY.format(run)
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
