"""Cold start from a clean clone: `python -m scripts.bench_coldstart [--runs 3] [--baseline REV] [--write]`.

Each run clones this repository (its committed HEAD) into a new temporary folder with
nothing beside it (as on a user's machine), installs it as the README says, starts
`./scripts/run --demo` and, once the web answers, posts an English welder vacancy and a
Spanish welder's profile (through the API, with a token of the demo case worker), then
waits for the profile's ranking. It reports, per run and as the median:

  install   creating .venv and installing requirements.txt (pip's cache helps after the first)
  web       from `./scripts/run --demo` to the web answering /healthz
  ranked    from the web answering to the profile's ranking holding the welder vacancy
            (the worker loads the taxonomy, ranks the demo data queued before it, then it)

and checks the explanation names the occupation in Spanish. With --baseline REV, each run
also measures that older commit the same way, one after the other, so both share the
machine's state. With --write, the table replaces the "Cold start" section of
docs/benchmarks.md.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

from scripts.sections import write_section

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs" / "benchmarks.md"

WELDER_VACANCY = {
    "title": "Welder", "description": "MIG and TIG welding of steel structures in our Bogotá workshop.",
    "essential_skills": ["MIG welding", "TIG welding", "read engineering drawings"], "country": "CO",
    "city": "Bogotá", "languages": ["es"], "experience_years": 2, "employer": "Metalmecánica Andina",
}
WELDER_PROFILE = {
    "summary": "Soldador con 8 años en estructuras metálicas.", "nationalities": ["VE"],
    "jobs": [{"title": "Soldador", "years": 8, "country": "VE", "description": "Soldadura MIG y TIG."}],
    "skills": ["soldadura MIG", "soldadura TIG", "lectura de planos"],
    "languages": [{"code": "es", "level": "native"}],
    "education": {"level": "upper_secondary", "field": "", "country": "VE"},
    "country": "CO", "city": "Bogotá", "target_countries": ["CO"], "relocate": False,
    "status": "ppt", "consent": True,
}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _request(url: str, body: dict | None = None, token: str | None = None) -> tuple[int, dict]:
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, method="POST" if body is not None else "GET")
    req.add_header("Content-Type", "application/json")
    if token:
        req.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            return resp.status, json.loads(resp.read() or b"{}")
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"{}")


def _clean_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("PUENTE_", "DATABASE_URL", "REDIS_URL", "VIRTUAL_ENV"))}
    env["PATH"] = ":".join(p for p in env.get("PATH", "").split(":") if ".venv" not in p)
    return env


def one_run(rev: str = "HEAD", timeout: float = 1800) -> dict:
    """Clone `rev`, install, start, submit, wait; return the timings and what the page would say."""
    base = Path(tempfile.mkdtemp(prefix="puente-cold-"))
    clone = base / "p"
    subprocess.run(["git", "clone", "-q", str(ROOT), str(clone)], check=True)
    subprocess.run(["git", "checkout", "-q", rev], cwd=clone, check=True)
    env = _clean_env()
    install = _install(clone, env)
    port = _free_port()
    log = open(base / "run.log", "w")
    t_start = time.monotonic()
    proc = subprocess.Popen(["./scripts/run", "--demo", "--port", str(port)], cwd=clone, env=env, stdout=log,
                            stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_for_web(proc, url, base, t_start, timeout)
        t_web = time.monotonic()
        match = _welder_match(url, _demo_token(clone, env), t_web, timeout)
        ranked = time.monotonic() - t_web
        result = {"rev": rev, "install": install, "web": t_web - t_start, "ranked": ranked, **_what_it_shows(match)}
    finally:
        _stop(proc)
        log.close()
    shutil.rmtree(base, ignore_errors=True)   # a failed run's folder stays, to read its run.log
    return result


def _install(clone: Path, env: dict[str, str]) -> float:
    """Install the clone as the README says; return the seconds it took."""
    t = time.monotonic()
    subprocess.run(["bash", "-c", ". scripts/_venv.sh && ensure_venv requirements.txt"], cwd=clone, env=env,
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.monotonic() - t


def _wait_for_web(proc: subprocess.Popen, url: str, base: Path, t_start: float, timeout: float) -> None:
    """Wait until the web answers /healthz; fail if ./scripts/run stops or `timeout` passes."""
    while True:
        if proc.poll() is not None:
            raise RuntimeError(f"./scripts/run stopped; see {base / 'run.log'}")
        try:
            if _request(url + "/healthz")[0] == 200:
                return
        except (urllib.error.URLError, ConnectionError, OSError):
            pass
        if time.monotonic() - t_start > timeout:
            raise TimeoutError("the web did not answer")
        time.sleep(0.2)


def _demo_token(clone: Path, env: dict[str, str]) -> str:
    """An API token of the demo case worker, made by the clone's own command."""
    return subprocess.run(
        [".venv/bin/python", "-m", "scripts.create_token", "--email", "orientadora@puente.local",
         "--scopes", "profiles:write vacancies:write", "--name", "cold start"],
        cwd=clone, env=env, capture_output=True, text=True, check=True).stdout.strip()


def _welder_match(url: str, token: str, t_web: float, timeout: float) -> dict:
    """Post the welder vacancy and profile; return the match once the profile's ranking holds it."""
    status, vacancy = _request(url + "/api/v1/vacancies", WELDER_VACANCY, token)
    assert status == 202, (status, vacancy)
    status, profile = _request(url + "/api/v1/profiles", WELDER_PROFILE, token)
    assert status == 202, (status, profile)
    while True:
        status, body = _request(f"{url}/api/v1/profiles/{profile['id']}/matches")
        found = [m for m in body.get("matches", []) if m["vacancy_id"] == vacancy["id"]]
        if body.get("status") == "done" and found:
            return found[0]
        if time.monotonic() - t_web > timeout:
            raise TimeoutError(f"not ranked after {timeout} s: {body.get('status')}")
        time.sleep(0.5)


def _what_it_shows(match: dict) -> dict:
    """The match's rank and score, the occupations' labels and the matched skills."""
    occupations = match["explanation"].get("occupations", {})
    return {"rank": match["rank"], "score": match["score"],
            "vacancy_occupation": (occupations.get("vacancy") or {}).get("labels", {}),
            "profile_occupation": [o.get("labels", {}) for o in occupations.get("profile", [])],
            "matched_skills": [s.get("skill") for s in match["explanation"].get("matched_skills", [])]}


def _stop(proc: subprocess.Popen) -> None:
    os.killpg(proc.pid, signal.SIGINT)   # as Ctrl-C: ./scripts/run stops what it started
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        pass
    try:
        os.killpg(proc.pid, signal.SIGKILL)   # and nothing of this run outlives it
    except ProcessLookupError:
        pass


def table(runs: list[dict]) -> str:
    lines = [("| commit | run | install (s) | start to web answering (s) | web answering to ranked (s) "
             "| rank of the welder vacancy | its occupation (es) |"), "| --- | --- | ---: | ---: | ---: | ---: | --- |"]
    for rev in dict.fromkeys(r["rev"] for r in runs):
        mine = [r for r in runs if r["rev"] == rev]
        for i, r in enumerate(mine, 1):
            lines.append(f"| {rev} | {i} | {r['install']:.0f} | {r['web']:.1f} | {r['ranked']:.1f} | {r['rank']} | "
                         f"{r['vacancy_occupation'].get('es', '-')} |")
        med = {k: statistics.median(r[k] for r in mine) for k in ("install", "web", "ranked")}
        lines.append(f"| {rev} | **median** | {med['install']:.0f} | {med['web']:.1f} | **{med['ranked']:.1f}** | | |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m scripts.bench_coldstart", description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--baseline", metavar="REV", help="also measure this older commit, run for run")
    parser.add_argument("--write", action="store_true", help="put the table in docs/benchmarks.md")
    args = parser.parse_args(argv)
    head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                          cwd=ROOT).stdout.strip()
    revs = [head] + ([subprocess.run(["git", "rev-parse", "--short", args.baseline], capture_output=True, text=True,
                                     cwd=ROOT, check=True).stdout.strip()] if args.baseline else [])
    runs = []
    for _ in range(args.runs):
        for rev in revs:
            r = one_run(rev)
            runs.append(r)
            print(json.dumps(r, ensure_ascii=False), file=sys.stderr, flush=True)
    text = table(runs)
    print(text)
    if args.write:
        baseline = f" --baseline {revs[1]}" if args.baseline else ""
        section = ("## Cold start from a clean clone\n\nMeasured with `python -m scripts.bench_coldstart "
                   f"--runs {args.runs}{baseline} --write` on commit `{head}`, {os.cpu_count()} cores: a clone with no "
                   "developers' data beside it (as on a user's machine), `./scripts/run --demo` (which queues the 25 demo profiles and 24 "
                   "vacancies first), then an English welder vacancy and a Spanish welder's profile posted as "
                   "soon as the web answers. A '-' in the last column: the occupation the vacancy was linked to "
                   "has no Spanish label (a taxonomy without Spanish).\n\n" + text)
        write_section(DOCS, "cold start", section)
    return 0


if __name__ == "__main__":
    sys.exit(main())
