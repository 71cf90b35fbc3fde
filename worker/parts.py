"""Where a job's time goes: each part's seconds, summed over the job.

    with recording() as parts:      # around a job (`worker.jobs._run`)
        with part("link"):          # anywhere below it, in the same thread
            ...
    parts.milliseconds()            # {"load": 1.2, "link": 31.0, ...}

The job's result (kept by RQ, logged by the worker) holds them, and `scripts.bench`
reads them to break a job into its parts. Outside `recording`, `part` costs a context
variable read. Only names and times: nothing of what was read.
"""
from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

__all__ = ["PARTS", "Parts", "part", "recording"]

# The parts of a matching job, in the order they run (`worker.jobs`).
PARTS = ("load", "link", "encode", "keep", "sync", "retrieve", "score", "lock", "write", "merge", "queue")

_CURRENT: ContextVar[Parts | None] = ContextVar("puente_job_parts", default=None)


class Parts:
    """Seconds per part of one job, and how many times each ran."""

    def __init__(self):
        self.seconds: dict[str, float] = {}
        self.calls: dict[str, int] = {}

    def add(self, name: str, seconds: float) -> None:
        self.seconds[name] = self.seconds.get(name, 0.0) + seconds
        self.calls[name] = self.calls.get(name, 0) + 1

    def milliseconds(self) -> dict[str, float]:
        """{part: milliseconds}, in the order of `PARTS` (others after)."""
        order = [p for p in PARTS if p in self.seconds] + [p for p in self.seconds if p not in PARTS]
        return {p: round(self.seconds[p] * 1000, 2) for p in order}


@contextmanager
def recording() -> Iterator[Parts]:
    """Record the parts run inside the block (nested: the inner block records on its own)."""
    parts = Parts()
    token = _CURRENT.set(parts)
    try:
        yield parts
    finally:
        _CURRENT.reset(token)


@contextmanager
def part(name: str) -> Iterator[None]:
    """Count the block's time as part `name` of the job being recorded (if any)."""
    parts = _CURRENT.get()
    if parts is None:
        yield
        return
    t0 = time.perf_counter()
    try:
        yield
    finally:
        parts.add(name, time.perf_counter() - t0)
