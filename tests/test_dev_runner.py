"""`./scripts/run` (scripts/dev.py) keeps its processes running: one that stops is started
again after 1, 2, 4 ... 30 s, one that keeps stopping as it starts is given up on, a taken
port stops the run before it starts, and SIGTERM or Ctrl-C leaves no process behind. Real
processes throughout; the last test runs the whole local stack (web, worker, cron)."""
from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import psutil
import pytest
from rq import Queue
from rq.worker import Worker

from scripts import dev
from tests.test_faults import _add_profiles, _add_vacancies, _settled, _wait

ROOT = Path(__file__).resolve().parent.parent

# A child that starts a grandchild in its process group, writes its pid, and waits.
FAMILY = ("import subprocess, sys, time; g = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(120)']); "
          "open(sys.argv[1], 'w').write(str(g.pid)); time.sleep(120)")


def _gone(pid: int) -> bool:
    """The process ended (a zombie no one reaped yet counts: PID 1 here may not reap)."""
    try:
        return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


def _grandchild(path: Path, seconds: float = 20) -> int:
    _wait(lambda: path.exists() and path.read_text(), seconds, "the grandchild started")
    pid = int(path.read_text())
    path.unlink()
    return pid


class Watching:
    """`dev._watch` in a thread, as the runner's main loop, until `stop()`."""

    def __init__(self, children, backoff: dev.Backoff):
        self.stopping, self.code = False, None
        self.thread = threading.Thread(target=self._run, args=(children, backoff), daemon=True)
        self.thread.start()

    def _run(self, children, backoff):
        self.code = dev._watch(children, dict(os.environ), lambda: self.stopping, backoff=backoff)

    def stop(self) -> int | None:
        self.stopping = True
        self.thread.join(10)
        return self.code


def test_a_killed_process_is_started_again_under_a_new_name_and_its_leftovers_go(tmp_path, capsys):
    pidfile = tmp_path / "grandchild"
    child = dev.Child("worker w", [sys.executable, "-c", FAMILY, str(pidfile), "--name", "w"])
    child.start(dict(os.environ))
    first, orphan = child.proc, _grandchild(pidfile)
    watching = Watching([child], dev.Backoff(first=0.2))
    try:
        first.send_signal(signal.SIGKILL)
        _wait(lambda: child.starts == 2, 10, "the child started again")
        second = _grandchild(pidfile)
        assert child.proc.args[-2:] == ["--name", "w.1"]   # RQ still holds the killed worker's name
        _wait(lambda: _gone(orphan), 5, "the killed child's grandchild is stopped with it")
        assert child.proc.poll() is None and watching.code is None
    finally:
        assert watching.stop() == 0
        dev._stop_all([child], None)
    _wait(lambda: _gone(child.proc.pid) and _gone(second), 5, "the child and its grandchild stopped")
    assert "worker w stopped (killed by SIGKILL); starting it again in 0.2 s" in capsys.readouterr().err


def test_a_process_that_keeps_stopping_as_it_starts_is_given_up_on(capsys):
    child = dev.Child("web", [sys.executable, "-c", "import sys; sys.exit(3)"])
    child.start(dict(os.environ))
    started = time.monotonic()
    assert dev._watch([child], dict(os.environ), lambda: False, backoff=dev.Backoff(first=0.05, give_up=3)) == 1
    assert time.monotonic() - started < 10 and child.starts == 3
    err = capsys.readouterr().err
    assert re.findall(r"web stopped \(exit 3\); starting it again in ([\d.]+) s", err) == ["0.05", "0.1"]
    assert "web stopped 3 times in a row within 10 s of starting (last: exit 3); giving up" in err


def test_restarts_wait_longer_each_time_up_to_30_s_and_start_over_after_a_steady_minute(capsys):
    child = dev.Child("cron", [sys.executable, "-c", "pass"])
    child.start(dict(os.environ))
    child.proc.wait()
    for ran in [20] * 7 + [61, 20]:   # seconds each run lasted: neither quick nor (but one) steady
        child.started, child.due = time.monotonic() - ran, None
        assert dev._stopped(child, dev.Backoff())
    delays = re.findall(r"cron stopped \(exit 0\); starting it again in ([\d.]+) s", capsys.readouterr().err)
    assert delays == ["1", "2", "4", "8", "16", "30", "30", "1", "2"]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_a_taken_port_stops_the_run_before_it_starts_anything():
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        env = {k: v for k, v in os.environ.items() if k != "REDIS_URL"}
        done = subprocess.run([sys.executable, "-m", "scripts.dev", "--port", str(port)], cwd=ROOT, env=env,
                              capture_output=True, text=True, timeout=60)
    assert done.returncode == 1
    assert f"Cannot start: 127.0.0.1:{port} is taken" in done.stderr and "Redis: embedded" not in done.stderr
    assert dev._port_taken("127.0.0.1", _free_port()) == ""


# --- the whole local stack ---------------------------------------------------------------

def _session(sid: int) -> list[psutil.Process]:
    """The live processes of session `sid` (zombies aside)."""
    alive = []
    for proc in psutil.process_iter(["pid", "status"]):
        try:
            if os.getsid(proc.pid) == sid and proc.info["status"] != psutil.STATUS_ZOMBIE:
                alive.append(proc)
        except (ProcessLookupError, PermissionError):
            pass
    return alive


def _live_worker(redis, queue: str, prefix: str):
    """The RQ worker of this run that is alive (RQ keeps a killed one's record for minutes)."""
    for worker in Worker.all(queue=Queue(queue, connection=redis)):
        if worker.name.startswith(prefix) and worker.pid and not _gone(worker.pid):
            return worker
    return None


@pytest.mark.slow
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)   # ./scripts/run's own database
def test_the_local_run_brings_a_killed_worker_back_and_leaves_nothing_when_terminated(
        settings, app, db, redis, tmp_path):
    env = {**os.environ, "DATABASE_URL": settings.database_url, "REDIS_URL": settings.redis_url,
           "PUENTE_QUEUE": settings.queue_name, "PUENTE_DATA_DIR": settings.data_dir, "HF_HUB_OFFLINE": "1",
           "PUENTE_MIN_SCORE": "0", "PUENTE_WORKER_THREADS": "1"}
    log = tmp_path / "run.log"
    with open(log, "w") as out:
        run = subprocess.Popen([sys.executable, "-m", "scripts.dev", "--port", str(_free_port())], cwd=ROOT, env=env,
                               stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        _wait(lambda: "Puente is running" in log.read_text(), 120, "the web answers")
        name = f"local-{run.pid}-0"
        killed = _wait(lambda: _live_worker(redis, settings.queue_name, name), 120, "the worker serves")
        os.kill(killed.pid, signal.SIGKILL)
        back = _wait(lambda: (w := _live_worker(redis, settings.queue_name, name)) and w.name != killed.name and w,
                     120, "the worker is back")
        assert back.name.startswith(f"{name}.")   # a new name: RQ still holds the killed one's
        _add_vacancies(app, 2)
        _add_profiles(app, 1)
        _wait(lambda: _settled(db), 120, "the new worker ranked them", every=0.5)
        assert run.poll() is None
        assert re.search(rf"worker {name} stopped \(killed by SIGKILL\); starting it again in \d+ s", log.read_text())
        assert len(_session(run.pid)) > 4   # the runner, worker, cron, gunicorn and its workers
        run.send_signal(signal.SIGTERM)
        assert run.wait(30) == 0
        _wait(lambda: not _session(run.pid), 10, "every process of the run stopped")
    finally:
        if run.poll() is None:
            os.killpg(run.pid, signal.SIGKILL)
            run.wait()
        for proc in _session(run.pid):   # only what this run started
            proc.kill()
    assert "stopped" in log.read_text().splitlines()[-1], log.read_text()[-3000:]
