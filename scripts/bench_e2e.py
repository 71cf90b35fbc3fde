"""End-to-end benchmark: profiles submitted over HTTP, ranked by real worker processes.

    python -m scripts.bench_e2e [--rate 5] [--seconds 20] [--workers 1 2 3] [--database URL]

For each worker count W it starts a fresh database (the demo vacancies, already ranked),
the web app over HTTP, and W `python -m worker` processes (RQ SimpleWorker, no fork per
job); then it submits profiles at `--rate` per second for `--seconds`, and measures for
each the time from the POST until its ranking is stored (p50, p95), the queue depth every
0.2 s (plotted to docs/benchmarks-e2e.png), and the jobs per second. `--fork` runs the
same with RQ's forking worker, for the cost of a fork per job.

Redis: 127.0.0.1:6379 (db 13) when it answers, else an embedded one. Database: SQLite
in a temporary folder, or `--database` (PostgreSQL: an empty database it may fill).
Writes its table to docs/benchmarks.md (its own section per rate, replaced in place).
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"


def _redis_url() -> tuple[str, object]:
    from redis import Redis

    try:
        Redis.from_url("redis://127.0.0.1:6379/13", socket_connect_timeout=1).ping()
        return "redis://127.0.0.1:6379/13", None
    except Exception:  # noqa: BLE001 - no server here (refused, timeout, DNS): an embedded one
        from scripts.dev import start_embedded_redis

        server, url = start_embedded_redis()
        return url, server


def run_once(workers: int, rate: float, seconds: float, database: str | None, fork: bool) -> dict:
    from redis import Redis
    from rq import Queue
    from werkzeug.serving import make_server

    tmp = Path(tempfile.mkdtemp(prefix="puente-e2e-"))
    redis_url, embedded = _redis_url()
    conn = Redis.from_url(redis_url)
    conn.flushdb()
    db_url = database or f"sqlite:///{tmp / 'bench.db'}"
    if database:   # start from empty tables
        _empty_schema(database)
    env = {**os.environ, "DATABASE_URL": db_url, "REDIS_URL": redis_url, "PUENTE_QUEUE": "bench",
           "PUENTE_WORKER_THREADS": str(max(1, (os.cpu_count() or 1) // workers)),
           "PUENTE_RATE_LIMIT_ENABLED": "0", "HF_HUB_OFFLINE": "1", "PUENTE_ENV": "development"}
    app, token = _demo_app(env, db_url)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_port}"
    cls = ["--class", "fork"] if fork else []
    logs = [open(tmp / f"worker-{i}.log", "w") for i in range(workers)]
    procs = [subprocess.Popen([sys.executable, "-m", "worker", "--name", f"bench-{os.getpid()}-{i}", "--log-level",
                               "INFO", *cls], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
             for i, log in enumerate(logs)]
    for log in logs:
        log.close()
    queue = Queue("bench", connection=conn)
    kind = "postgresql" if database else "sqlite"
    try:
        if not _warmed_up(queue):   # the workers make no progress (a forked job horse that hangs, for one)
            return {"workers": workers, "fork": fork, "rate": rate, "submitted": 0, "ranked": 0, "p50": None,
                    "p95": None, "jobs_per_s": 0.0, "depth": [], "stuck": len(queue), "database": kind}
        measured = _measure(queue, base, token, db_url, rate, seconds)
        return {"workers": workers, "fork": fork, "rate": rate, **measured, "database": kind,
                "parts_ms": _job_parts(tmp)}
    finally:
        _stop_workers(procs)
        server.shutdown()
        app.extensions["puente_db"].dispose()
        conn.flushdb()
        conn.close()
        if embedded is not None:
            getattr(embedded, "shutdown", lambda: None)()


def _job_parts(folder: Path) -> dict[str, float]:
    """The median milliseconds of each part of the profile jobs the workers logged (`worker.parts`)."""
    import ast
    import re

    runs = []
    for path in folder.glob("worker-*.log"):
        for line in path.read_text(errors="replace").splitlines():
            found = re.search(r"match profile \d+: (\{.*\})$", line)
            if found and "parts_ms" in found.group(1):
                runs.append(ast.literal_eval(found.group(1))["parts_ms"])
    names = list(dict.fromkeys(p for r in runs for p in r))
    return {p: round(statistics.median(r.get(p, 0.0) for r in runs), 1) for p in names} | {"jobs": len(runs)}


def _empty_schema(database: str) -> None:
    from sqlalchemy import create_engine, text

    engine = create_engine(database)
    with engine.begin() as c:
        c.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
    engine.dispose()


def _demo_app(env: dict[str, str], db_url: str):
    """The app on a migrated database holding the demo data, and a token to submit profiles with."""
    import secrets

    from config import load_settings
    from models import upgrade
    from scripts.create_token import create_token
    from scripts.create_user import create_user
    from scripts.demo import load_demo
    from web import create_app

    settings = load_settings(environ=env)
    upgrade(db_url)
    app = create_app(settings)
    load_demo(app)
    # Submitting profiles needs a case worker's token with profiles:write, as for any API client.
    create_user(db_url, "bench@puente.test", secrets.token_urlsafe(), admin=True)
    return app, create_token(db_url, "bench@puente.test", "profiles:write", "bench_e2e")


def _warmed_up(queue) -> bool:
    """Wait (up to 240 s) for the demo's own jobs (encoder and taxonomy loaded, vacancies
    embedded); False if some are still queued then."""
    deadline = time.monotonic() + 240
    while (len(queue) or queue.started_job_registry.count) and time.monotonic() < deadline:
        time.sleep(0.5)
    return not len(queue)


def _measure(queue, base: str, token: str, db_url: str, rate: float, seconds: float) -> dict:
    """Submit `rate` profiles a second for `seconds`, sampling the queue's depth; return
    the counts, the latency percentiles and the throughput."""
    from models import utcnow

    profiles = json.loads((ROOT / "scripts" / "demo" / "profiles.json").read_text())
    depth: list[tuple[float, int]] = []
    stop = threading.Event()
    threading.Thread(target=_sample_depth, args=(queue, depth, stop), daemon=True).start()
    submitted_after = utcnow()
    start = time.monotonic()
    n = int(rate * seconds)
    _submit(base, token, profiles, rate, n, start)
    values = _latencies(db_url, submitted_after, n)
    elapsed = time.monotonic() - start
    stop.set()
    return {"submitted": n, "ranked": len(values), "p50": statistics.median(values) if values else None,
            "p95": values[int(0.95 * (len(values) - 1))] if values else None,
            "jobs_per_s": len(values) / elapsed, "depth": depth}


def _sample_depth(queue, depth: list[tuple[float, int]], stop: threading.Event) -> None:
    t0 = time.monotonic()
    while not stop.is_set():
        depth.append((time.monotonic() - t0, len(queue) + queue.started_job_registry.count))
        time.sleep(0.2)


def _submit(base: str, token: str, profiles: list[dict], rate: float, n: int, start: float) -> list[str]:
    """POST `n` profiles on schedule (the i-th at `start + i / rate`); return their ids."""
    import requests

    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {token}"
    submitted = []
    for i in range(n):
        target = start + i / rate
        time.sleep(max(0.0, target - time.monotonic()))
        body = dict(profiles[i % len(profiles)])
        body["summary"] = f"{body.get('summary', '')} ({i})"   # a new text: a new embedding each time
        resp = session.post(f"{base}/api/v1/profiles", json=body, timeout=10)
        resp.raise_for_status()
        submitted.append(resp.json()["id"])
    return submitted


def _latencies(db_url: str, submitted_after, n: int) -> list[float]:
    """Seconds from enqueued to finished of the profile runs since `submitted_after`,
    sorted, once `n` of them are over (or after 300 s).

    From the database's own run records: polling every profile over HTTP would load the
    web server the benchmark is measuring.
    """
    from models import PROFILE, Database, MatchRun

    bench_db = Database(db_url)
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        with bench_db.session() as s:
            done = s.query(MatchRun).filter(MatchRun.kind == PROFILE, MatchRun.status.in_(("done", "failed")),
                                            MatchRun.enqueued_at >= submitted_after).count()
        if done >= n:
            break
        time.sleep(0.5)
    with bench_db.session() as s:
        runs = s.query(MatchRun).filter(MatchRun.kind == PROFILE, MatchRun.enqueued_at >= submitted_after,
                                        MatchRun.finished_at.isnot(None)).all()
        values = sorted((r.finished_at - r.enqueued_at).total_seconds() for r in runs)
    bench_db.dispose()
    return values


def _stop_workers(procs: list[subprocess.Popen]) -> None:
    for p in procs:
        p.terminate()
    for p in procs:
        try:
            p.wait(timeout=20)
        except subprocess.TimeoutExpired:
            p.kill()


def plot(results: list[dict], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 3.5), dpi=110)
    for r in results:
        xs, ys = zip(*r["depth"]) if r["depth"] else ((), ())
        ax.plot(xs, ys, label=f"{r['workers']} worker{'s' if r['workers'] > 1 else ''}{' (fork)' if r['fork'] else ''}")
    ax.set_xlabel("seconds since the first submission")
    ax.set_ylabel("jobs queued or running")
    ax.set_title(f"Queue depth at {results[0]['rate']:g} profiles/s ({results[0]['database']})")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rate", type=float, default=5.0)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--fork", action="store_true", help="also run 1 worker with RQ's forking worker")
    parser.add_argument("--database", default=None, help="a PostgreSQL URL to use (its public schema is emptied)")
    args = parser.parse_args(argv)
    results = []
    for w in args.workers:
        results.append(run_once(w, args.rate, args.seconds, args.database, False))
        print({k: v for k, v in results[-1].items() if k != "depth"}, file=sys.stderr, flush=True)
    if args.fork:
        results.append(run_once(1, args.rate, args.seconds, args.database, True))
        print({k: v for k, v in results[-1].items() if k != "depth"}, file=sys.stderr, flush=True)
    png = DOCS / "benchmarks-e2e.png"
    plot([r for r in results if r["depth"]] or results, png)
    lines = ["", f"## End to end over HTTP ({results[0]['database']}, {args.rate:g} profiles/s for {args.seconds:g} s)", "",
             "| workers | submitted | ranked | submit-to-ranking p50 | p95 | jobs/s |", "| --- | --- | --- | --- | --- | --- |"]
    for r in results:
        name = f"{r['workers']}{' (RQ fork per job)' if r['fork'] else ' (SimpleWorker)'}"
        if r.get("stuck"):
            lines.append(f"| {name} | – | – | – | – | 0: {r['stuck']} warm-up jobs still queued after 240 s, "
                         "the forked job process hung |")
        elif r["p50"] is None:
            lines.append(f"| {name} | {r['submitted']} | 0 | – | – | – |")
        else:
            lines.append(f"| {name} | {r['submitted']} | {r['ranked']} | {r['p50']:.2f} s | {r['p95']:.2f} s | "
                         f"{r['jobs_per_s']:.2f} |")
    lines += ["", f"Queue depth over time: ![queue depth]({png.name})", ""]
    text = "\n".join(lines)
    print(text)
    from scripts.sections import write_section

    write_section(DOCS / "benchmarks.md", f"end to end at {args.rate:g} per second", text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
