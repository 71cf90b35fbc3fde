"""Worker entry point: `python -m worker` (see `--help`)."""
from __future__ import annotations

import argparse
import logging
import os
import sys

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

        cron = CronScheduler(connection=conn, logging_level=args.log_level)
        cron.register(reconcile, settings.queue_name, interval=settings.reconcile_interval,
                      job_timeout=settings.job_timeout)
        cron.start()
        return 0

    limit_threads(settings.worker_threads)
    # Imported only now: numpy and the encoder's OpenMP runtime read the thread limits
    # above when they load.
    from . import runner
    from .matcher import Matcher

    # The model, the taxonomy and the knowledge base are loaded now, before the work loop,
    # never per job; the worker hands this one matcher to every job it runs.
    matcher = Matcher(settings).warm()
    logging.getLogger(__name__).info("worker ready: encoder %s, taxonomy %s", matcher.encoder.version,
                                     matcher.taxonomy.taxonomy.version)
    enqueue_reconcile(conn, settings)  # catch up on anything missed while no worker ran
    worker_cls = getattr(runner, WORKER_CLASSES[args.worker_class])
    worker = worker_cls([settings.queue_name], connection=conn, name=args.name, matcher=matcher)
    worker.work(burst=args.burst, with_scheduler=True, logging_level=args.log_level)
    return 0


if __name__ == "__main__":
    sys.exit(main())
