"""The RQ worker classes of `python -m worker`: each holds its process's matcher and hands
it to every job it performs.

The web enqueues jobs by name with ids only (`worker.jobs.match_profile(42)`); the worker
binds its matcher around each job (`Matcher.bound`), and the job reads it from there.
`rq worker --worker-class worker.runner.MatchingWorker` works too: the worker then builds
its matcher from the environment's settings.
"""
from __future__ import annotations

import gc

from rq.executions import Execution
from rq.job import Job
from rq.queue import Queue
from rq.worker import SimpleWorker, Worker

from config import load_settings

from .matcher import Matcher

__all__ = ["ForkingMatchingWorker", "MatchingWorker", "settle_heap"]

# A worker's heap is large and lives as long as it does: the model, the taxonomy and the
# knowledge base (about 260,000 objects once warm), then its caches (the documents of up to
# PUENTE_DOC_CACHE rows a side, the scoring memo: 1.4 million objects in a re-match). CPython's
# collector went through all of it whenever a quarter as many objects had survived since its
# last full pass: about 0.5 s a pass, on average 0.5 s of each 3.5 s re-match chunk, and a
# quarter of the chunks' processor time with the smaller passes (docs/benchmarks.md). The
# jobs leave next to no cyclic garbage (a full pass after 13 chunks found about 1,000 objects).
YOUNG_COLLECTION = 50_000   # allocations between two passes over the youngest objects (CPython: 700)


def settle_heap() -> None:
    """Once warm, before the work loop: the objects alive now stay for the process's life,
    so the collector leaves them out of its passes (`gc.freeze`; a forked work horse then also
    shares their pages), and passes come rarely: each young pass every `YOUNG_COLLECTION`
    allocations, a full one after 5,000 of them (about 1,400 re-match chunks)."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(YOUNG_COLLECTION, 50, 100)


class _HandsMatcher:
    """Mixed into an RQ worker class: holds a matcher, bound while each job is performed."""

    def __init__(self, *args, matcher: Matcher | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.matcher = matcher if matcher is not None else Matcher(load_settings())

    #: Whether the worker was asked to stop (SIGTERM, Ctrl-C), as opposed to quitting
    #: because Redis went away (`python -m worker` then waits for Redis and serves again).
    stop_requested = False

    def request_stop(self, signum, frame):
        self.stop_requested = True
        super().request_stop(signum, frame)

    def perform_job(self, job: Job, queue: Queue, execution: Execution) -> bool:
        with self.matcher.bound():
            return super().perform_job(job, queue, execution)


class MatchingWorker(_HandsMatcher, SimpleWorker):
    """Runs each job in this process, with the matcher loaded once."""


class ForkingMatchingWorker(_HandsMatcher, Worker):
    """Forks a work horse per job; the horse inherits the matcher loaded before the fork."""

    def perform_job(self, job: Job, queue: Queue, execution: Execution) -> bool:
        # In the horse: database connections pooled before the fork belong to the parent.
        self.matcher.db.engine.dispose(close=False)
        return super().perform_job(job, queue, execution)
