"""The RQ worker classes of `python -m worker`: each holds its process's matcher and hands
it to every job it performs.

The web enqueues jobs by name with ids only (`worker.jobs.match_profile(42)`); the worker
binds its matcher around each job (`Matcher.bound`), and the job reads it from there.
`rq worker --worker-class worker.runner.MatchingWorker` works too: the worker then builds
its matcher from the environment's settings.
"""
from __future__ import annotations

from rq.executions import Execution
from rq.job import Job
from rq.queue import Queue
from rq.worker import SimpleWorker, Worker

from config import load_settings

from .matcher import Matcher

__all__ = ["ForkingMatchingWorker", "MatchingWorker"]


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
