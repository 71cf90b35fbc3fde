"""A full re-match, timed: every profile and vacancy ranked again by W real workers.

    python -m scripts.bench_rematch [--profiles 10000] [--vacancies 2000] [--workers 2]

Fills a PostgreSQL database as `scripts.bench_job` does (each row linked and embedded, each
vacancy with a full candidate list; default: the `bench` database on 127.0.0.1, its tables
dropped first), starts W `python -m worker` processes (their own process groups, one thread
each on 2 cores), waits until they are idle (warm), then queues the re-match as a case worker
does (`worker.queueing.start_rematch`, chunks of `--chunk` targets) and times it until the
last chunk is done. Then, as its baseline in the same run (unless `--no-baseline`), the
re-match as it was before it was batched (each target's own job, in the same chunks), and
whether it left the same rankings. Where that baseline would take hours (100,000 profiles:
about 1.5 h), `--baseline-sample N` times it on the first N profiles and N/5 vacancies instead,
in the same chunks, after the batched run: its rate, not the whole. Redis: 127.0.0.1:6379 db 12.
"""
from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
REDIS_URL = "redis://127.0.0.1:6379/12"
QUEUE = "bench-rematch"


def _as_ranked(url: str) -> None:
    """The fill ranks the vacancies only; mark the profiles ranked too, so that the workers'
    reconciler does not rank them all before the timed re-match starts."""
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.begin() as c:
        c.execute(text("UPDATE profiles SET ranked_version = updated_at, ranked_at = updated_at, "
                       "changed_at = changed_at"))
    engine.dispose()


def _start_workers(n: int, env: dict, folder: Path) -> list[subprocess.Popen]:
    procs = []
    for i in range(n):
        with open(folder / f"worker-{i}.log", "w") as log:
            procs.append(subprocess.Popen([sys.executable, "-m", "worker", "--name", f"rematch-{os.getpid()}-{i}",
                                           "--log-level", "WARNING"], cwd=ROOT, env=env, stdout=log,
                                          stderr=subprocess.STDOUT, start_new_session=True))
    return procs


def _wait_idle(conn, n: int, timeout: float = 300) -> None:
    from rq import Worker

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        ours = [w for w in Worker.all(connection=conn) if w.name.startswith(f"rematch-{os.getpid()}-")]
        if len(ours) == n and all(w.get_state() == "idle" for w in ours):
            return
        time.sleep(0.5)
    raise RuntimeError("the workers did not start")


def _stop(procs: list[subprocess.Popen]) -> None:
    for p in procs:
        try:
            os.killpg(p.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
    for p in procs:
        try:
            p.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, signal.SIGKILL)


def _timed(conn, settings, url: str, chunk: int, one_by_one: bool) -> dict:
    from models import Database
    from worker.queueing import rematch_progress, start_rematch

    t0 = time.monotonic()
    rematch = start_rematch(conn, settings, Database(url), chunk=chunk, one_by_one=one_by_one)
    analysed = t0
    while not (state := rematch_progress(conn, rematch))["finished"]:
        time.sleep(0.5)
        if time.monotonic() - analysed > ANALYZE_EVERY:
            _analyze(url)
            analysed = time.monotonic()
    seconds = time.monotonic() - t0
    return {"seconds": round(seconds, 1), "targets": state["total"], "failed": state["failed"],
            "targets_per_s": round(state["total"] / seconds, 2), "chunks": _chunk_parts(conn, rematch)}


# PostgreSQL's autovacuum (off on this machine's server) analyses a table once a tenth of it
# changed, looking every minute. A re-match rewrites `matches`; with the statistics of the
# fill (no profile rankings yet) the planner reads a profile's ranking through the vacancies'
# index, and the chunks slow down as the rankings grow (lock and write 2.5-3 s a chunk after
# 40,000 profiles). The bench does what autovacuum would.
ANALYZE_EVERY = 60.0


def _analyze(url: str) -> None:
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.begin() as c:
        c.execute(text("ANALYZE matches"))
    engine.dispose()


def _timed_sample(conn, settings, url: str, chunk: int, profiles: int) -> dict:
    """The one-by-one re-match (each target's own job, in chunks of `chunk`) of the first
    `profiles` profiles and `profiles // 5` open vacancies, timed as `_timed` times a whole one."""
    import secrets

    from rq import Queue
    from sqlalchemy import select

    from models import PROFILE, VACANCY, Database, Profile, Vacancy
    from worker.queueing import REMATCH_KEY, _enqueue_rematch, rematch_progress

    db = Database(url)
    with db.session() as s:
        ids = {PROFILE: list(s.scalars(select(Profile.id).order_by(Profile.id).limit(profiles))),
               VACANCY: list(s.scalars(select(Vacancy.id).where(Vacancy.status == "open").order_by(Vacancy.id)
                                       .limit(max(1, profiles // 5))))}
    db.dispose()
    chunks = [(kind, ids[kind][i:i + chunk]) for kind in (VACANCY, PROFILE) for i in range(0, len(ids[kind]), chunk)]
    run = "sample-" + secrets.token_hex(3)
    total = sum(len(c) for _, c in chunks)
    t0 = time.monotonic()
    conn.hset(REMATCH_KEY.format(run), mapping={"total": total, "done": 0, "failed": 0, "chunks": len(chunks),
                                                "started": time.time(), "stage": 0})
    _enqueue_rematch(Queue(settings.queue_name, connection=conn), settings, run, [], chunks, False, True)
    while not (state := rematch_progress(conn, run))["finished"]:
        time.sleep(0.5)
    seconds = time.monotonic() - t0
    return {"seconds": round(seconds, 1), "targets": total, "failed": state["failed"],
            "targets_per_s": round(total / seconds, 2), "sample": True, "chunks": {}}


def _chunk_parts(conn, run: str) -> dict:
    """Per kind of chunk: how many, their median seconds and pairs, and their parts' medians (ms)."""
    import statistics

    from rq.job import Job

    results: dict[str, list] = {}
    ids = [k.decode().removeprefix("rq:results:") for k in conn.scan_iter(f"rq:results:rematch-{run}-*")]
    for job in Job.fetch_many(ids, connection=conn):
        value = job.return_value() if job is not None else None
        if isinstance(value, dict) and "parts_ms" in value:
            results.setdefault(job.description.split()[1], []).append(value)
    return {kind: {"chunks": len(rs), "seconds": statistics.median(r["seconds"] for r in rs),
                   "pairs": statistics.median(r["pairs"] for r in rs),
                   # targets a chunk found changed under it and handed to their own jobs
                   "queued_again": sum(r.get("queued_again", 0) for r in rs),
                   "parts_ms": {p: round(statistics.median(r["parts_ms"].get(p, 0.0) for r in rs), 1)
                                for p in rs[0]["parts_ms"]}}
            for kind, rs in results.items()}


def _rankings_digest(url: str) -> tuple:
    """The stored rankings in short: entries, and a sum over (owner, pair, rank, score)."""
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.connect() as c:
        row = c.execute(text("SELECT count(*), coalesce(sum(profile_id * 7 + vacancy_id * 13 + rank * 101 "
                             "+ round(score * 10000) * (CASE owner WHEN 'profile' THEN 1 ELSE 3 END)), 0) "
                             "FROM matches")).one()
    engine.dispose()
    return int(row[0]), int(row[1])


def run(profiles: int, vacancies: int, workers: int, chunk: int, url: str, baseline: bool = True,
        sample: int = 0) -> dict:
    from redis import Redis

    from config import load_settings
    from scripts.bench_job import ensure_database, fill
    from worker.matcher import Matcher

    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    env = {**os.environ, "DATABASE_URL": url, "REDIS_URL": REDIS_URL, "PUENTE_QUEUE": QUEUE,
           "PUENTE_WORKER_THREADS": str(max(1, (os.cpu_count() or 1) // workers))}
    ensure_database(url)
    settings = load_settings(environ=env)
    m = Matcher(settings).warm()
    info = fill(m, url, vacancies, profiles=profiles)
    m.close()
    _as_ranked(url)
    conn = Redis.from_url(REDIS_URL)
    conn.flushdb()
    folder = Path(tempfile.mkdtemp(prefix="puente-rematch-"))
    procs = _start_workers(workers, env, folder)
    try:
        _wait_idle(conn, workers)
        batched = _timed(conn, settings, url, chunk, one_by_one=False)
        digest = _rankings_digest(url)
        # The baseline, on the rankings the batched run left (the same steady state): each
        # target's own job, in chunks, as a re-match ran before it was batched.
        if sample:
            before, same = _timed_sample(conn, settings, url, chunk, sample), None
        else:
            before = _timed(conn, settings, url, chunk, one_by_one=True) if baseline else None
            same = _rankings_digest(url) == digest if baseline else None
    finally:
        _stop(procs)
        conn.flushdb()
    targets = batched["targets"]
    return {"profiles": info["profiles"], "vacancies": vacancies, "workers": workers, "targets": targets,
            "batched": batched, "one_by_one": before, "same_rankings": same, "entries": digest[0], "sample": sample,
            "ms_per_target_per_worker": round(1000 * batched["seconds"] * workers / targets, 2), "logs": str(folder)}


def section(result: dict, commit: str, date: str) -> str:
    """The section of docs/benchmarks.md."""
    b, o = result["batched"], result["one_by_one"]
    own = ("each target's own job, in the same chunks (baseline" + (
        f", timed on a sample of {o['targets']:,} targets after the batched run)" if o and o.get("sample") else ")"))
    rows = [("batched (this code)", b)] + ([(own, o)] if o else [])
    table = "\n".join(f"| {name} | {r['seconds']:,.1f} s | {r['targets_per_s']:.1f} | "
                      f"{1000 * r['seconds'] * result['workers'] / r['targets']:.1f} | "
                      f"{(100_000 + 20_000) / r['targets_per_s'] / 60:.0f} min |" for name, r in rows)
    same = ("; both left the same rankings (every entry's pair, rank and score)" if result["same_rankings"]
            else "; **the two left different rankings**" if result["same_rankings"] is False else "")
    return (f"## A full re-match\n\nMeasured by `python -m scripts.bench_rematch --profiles {result['profiles']} "
            f"--vacancies {result['vacancies']} --workers {result['workers']}"
            + (f" --baseline-sample {result['sample']}" if result.get("sample") else "")
            + f"` on commit `{commit}`, {date}, "
            f"PostgreSQL on the same machine: the rows filled as for \"One job\" (linked, embedded, the vacancies' "
            f"candidate lists full), {result['workers']} real workers (`python -m worker`, one thread each), warm; "
            f"then the re-match a case worker starts (`worker.queueing.start_rematch`), timed until its last "
            f"chunk is done, {result['targets']:,} targets, {result['entries']:,} ranking entries{same}.\n\n"
            "| re-match | time | targets/s | ms per target per worker | 100,000 + 20,000 targets at this rate |\n"
            "| --- | ---: | ---: | ---: | ---: |\n" + table + "\n")


def main(argv: list[str] | None = None) -> int:
    from scripts.bench_job import DEFAULT_DB

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--profiles", type=int, default=10_000)
    parser.add_argument("--vacancies", type=int, default=2_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--chunk", type=int, default=200)
    parser.add_argument("--database", default=DEFAULT_DB)
    parser.add_argument("--no-baseline", action="store_true", help="leave out the one-by-one re-match")
    parser.add_argument("--baseline-sample", type=int, default=0, metavar="N",
                        help="time the one-by-one re-match on the first N profiles and N/5 vacancies only")
    parser.add_argument("--write", action="store_true", help="replace the section in docs/benchmarks.md")
    args = parser.parse_args(argv)
    result = run(args.profiles, args.vacancies, args.workers, args.chunk, args.database, not args.no_baseline,
                 args.baseline_sample)
    print(result)
    if args.write:
        from scripts.sections import BENCHMARKS, current_commit, write_section

        write_section(BENCHMARKS, "full re-match", section(result, current_commit(), time.strftime("%Y-%m-%d")))
    at_scale = (100_000 + 20_000) / result["batched"]["targets_per_s"]
    print(f"at this rate, 100,000 profiles and 20,000 vacancies: {at_scale / 60:.0f} min "
          "(linear in the number of targets; a target's cost also grows with the candidates within reach)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
