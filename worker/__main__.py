"""Worker entry point: `python -m worker` (see `--help`)."""
from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import time

from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from rq.cron import CronScheduler

from config import ConfigError, load_settings

from .queueing import connect, enqueue_reconcile

WORKER_CLASSES = {
    # SimpleWorker runs jobs in this process, where the encoder was loaded once. The
    # forking Worker would copy the model into a child per job: tens of milliseconds
    # each, and OpenMP or PyTorch thread pools can deadlock after fork (rq issue 1609).
    "simple": "MatchingWorker",
    "fork": "ForkingMatchingWorker",
}


def limit_threads(threads: int) -> None:
    """Cap the threads of the encoder (OpenMP) and of numpy (BLAS) before they start.

    Several workers on one machine must share its cores: measured on 2 cores, two workers
    each running 2 OpenMP threads ranked 1.2 profiles/s where one worker ranked 4.9
    (docs/benchmarks.md). When the cores are shared, idle threads wait passively instead of
    spinning (a lone worker keeps spinning: passive waiting cost it latency).
    """
    if 0 < threads < (os.cpu_count() or 1):   # sharing the cores: idle threads must not spin
        os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    if threads > 0:
        for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
            os.environ[name] = str(threads)


log = logging.getLogger(__name__)
REDIS_AWAY = (RedisConnectionError, RedisTimeoutError)
MAX_WAIT = 30.0   # seconds between two tries at most, while Redis is away
STEADY = 60.0     # a loop that ran this long ended on a blip, not in a crash loop: wait 1 s again


def wait_for_redis(conn, sleep=time.sleep) -> int:
    """Block until Redis answers, trying again after 1, 2, 4... up to MAX_WAIT seconds; return the tries.

    SIGTERM and Ctrl-C stop the process meanwhile (RQ's handlers belong to the worker that ended).
    """
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    tries, delay = 0, 1.0
    while True:
        tries += 1
        try:
            conn.ping()
            return tries
        except REDIS_AWAY:
            sleep(delay)
            delay = min(delay * 2, MAX_WAIT)


def serve(run, conn, again=lambda: None, sleep=time.sleep) -> None:
    """Call `run()` (one RQ worker's or scheduler's loop) until it ends for a reason other than
    Redis going away; when Redis is away, wait for it and run again.

    Args:
        run: runs the loop and returns whether it ended on request (a signal, a burst done).
        conn: the Redis connection to wait on.
        again: called once Redis answers again, before the loop restarts.
        sleep: how to wait (tests pass their own).
    """
    pause = 1.0   # grows while the loop keeps ending with Redis up: a crash loop must not spin
    while True:
        started = time.monotonic()
        try:
            if run():
                return
        except REDIS_AWAY as exc:   # RQ's teardown, or the scheduler, meeting Redis away
            log.warning("Redis went away (%s)", type(exc).__name__)
        pause = 1.0 if time.monotonic() - started > STEADY else pause
        try:
            conn.ping()
            log.warning("the worker loop ended with Redis up: starting it again in %.0f s", pause)
            sleep(pause)
            pause = min(pause * 2, MAX_WAIT)
        except REDIS_AWAY:
            log.warning("Redis is away: waiting for it, then resuming")
            wait_for_redis(conn, sleep)
            log.info("Redis is back: resuming")
        again()


def when_redis_answers(conn, call, sleep=time.sleep):
    """Call `call()`; while Redis is away, wait for it (with backoff) and call again."""
    while True:
        try:
            return call()
        except REDIS_AWAY as exc:
            log.warning("Redis is away (%s): waiting for it", type(exc).__name__)
            wait_for_redis(conn, sleep)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m worker", description="Puente matching worker.")
    parser.add_argument("--burst", action="store_true", help="stop when the queue is empty")
    parser.add_argument("--cron", action="store_true",
                        help="run the scheduler that queues a reconcile pass periodically, instead of a worker")
    parser.add_argument("--class", dest="worker_class", choices=sorted(WORKER_CLASSES), default="simple")
    parser.add_argument("--name", default=None, help="worker name (default: host and pid)")
    parser.add_argument("--log-level", default="INFO")
    args = parser.parse_args(argv)
    logging.basicConfig(level=args.log_level, format="%(asctime)s %(name)s %(levelname)s %(message)s")

    try:
        settings = load_settings()
    except ConfigError as exc:
        print(f"configuration error: {exc}", file=sys.stderr)
        return 2

    conn = connect(settings.redis_url)
    if args.cron:
        from .jobs import reconcile  # here, not at the top: see the imports below

        def run_cron() -> bool:
            cron = CronScheduler(connection=conn, logging_level=args.log_level)
            cron.register(reconcile, settings.queue_name, interval=settings.reconcile_interval,
                          job_timeout=settings.job_timeout)
            cron.start()
            return True   # start() returns only when asked to stop; Redis away raises

        serve(run_cron, conn)
        return 0

    limit_threads(settings.worker_threads)
    # Imported only now: numpy and the encoder's OpenMP runtime read the thread limits
    # above when they load.
    from . import runner
    from .matcher import Matcher

    # The model, the taxonomy and the knowledge base are loaded now, before the work loop,
    # never per job; the worker hands this one matcher to every job it runs.
    matcher = Matcher(settings).warm()
    runner.settle_heap()
    logging.getLogger(__name__).info("worker ready: encoder %s, taxonomy %s", matcher.encoder.version,
                                     matcher.taxonomy.taxonomy.version)
    # Catch up on anything missed while no worker ran (a worker started before Redis waits for it).
    when_redis_answers(conn, lambda: enqueue_reconcile(conn, settings))
    worker_cls = getattr(runner, WORKER_CLASSES[args.worker_class])

    def run_worker() -> bool:
        worker = worker_cls([settings.queue_name], connection=conn, name=args.name, matcher=matcher)
        try:
            worker.work(burst=args.burst, with_scheduler=True, logging_level=args.log_level)
        finally:
            _forget(worker)
        return args.burst or worker.stop_requested

    # RQ quits its loop when Redis goes away; this process waits for Redis and serves again.
    serve(run_worker, conn, again=lambda: enqueue_reconcile(conn, settings))
    return 0


def _forget(worker) -> None:
    """Mark an ended worker dead in Redis, so that a new one may take its name (best effort)."""
    try:
        worker.register_death()
    except REDIS_AWAY:
        pass


if __name__ == "__main__":
    sys.exit(main())
