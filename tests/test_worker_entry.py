"""`python -m worker`'s loop around RQ: waiting for Redis and serving again (with a real
redis-server the test stops and starts; the process-level test is in test_faults.py)."""
from __future__ import annotations

import json
import subprocess
import sys
import threading
import time

from redis import Redis

from tests.processes import RedisServer
from worker.__main__ import serve, wait_for_redis
from worker.runner import YOUNG_COLLECTION


def test_waiting_for_redis_returns_once_it_answers(tmp_path):
    server = RedisServer(tmp_path)
    server.start()
    server.stop()
    conn = Redis.from_url(server.url, socket_connect_timeout=0.5)
    threading.Timer(1.5, server.start).start()
    slept = []
    try:
        tries = wait_for_redis(conn, sleep=lambda s: (slept.append(s), time.sleep(min(s, 0.5))))
        assert tries > 1 and conn.ping()
        assert slept[:3] == [1.0, 2.0, 4.0][:len(slept[:3])] and max(slept) <= 30
    finally:
        conn.close()
        time.sleep(0.1)
        if server.proc is not None:
            server.stop()


def test_serve_runs_again_after_redis_went_away_and_stops_on_request(tmp_path):
    server = RedisServer(tmp_path)
    server.start()
    conn = Redis.from_url(server.url, socket_connect_timeout=0.5)
    runs, agains = [], []

    def run() -> bool:
        runs.append(time.monotonic())
        if len(runs) == 1:   # the first loop meets Redis away, as RQ's teardown does
            server.stop()
            threading.Timer(1.0, server.start).start()
            conn.ping()
        return True          # the second ends on request

    try:
        serve(run, conn, again=lambda: agains.append(conn.ping()), sleep=lambda s: time.sleep(min(s, 0.5)))
        assert len(runs) == 2 and agains == [True]
    finally:
        conn.close()
        time.sleep(0.1)
        if server.proc is not None:
            server.stop()


def test_a_loop_that_keeps_ending_with_redis_up_is_restarted_ever_more_slowly(tmp_path):
    server = RedisServer(tmp_path)
    server.start()
    conn = Redis.from_url(server.url, socket_connect_timeout=0.5)
    runs, slept = [], []

    def run() -> bool:   # ends at once, as RQ's loop does after an error it does not survive
        runs.append(1)
        return len(runs) == 8

    try:
        serve(run, conn, sleep=slept.append)
        assert slept == [1.0, 2.0, 4.0, 8.0, 16.0, 30.0, 30.0]   # never a tight crash loop
    finally:
        conn.close()
        server.stop()


def test_a_warm_worker_leaves_its_heap_out_of_the_collectors_passes_and_still_collects():
    """`settle_heap` (called by `python -m worker` once warm): what is alive then is frozen
    out of the collector's passes, the passes come rarely, and garbage cycles made later are
    still collected."""
    code = (
        "import gc, json\n"
        "from worker.runner import settle_heap\n"
        "warm = [[i] for i in range(10_000)]\n"
        "settle_heap()\n"
        "class Cycle: pass\n"
        "c = Cycle(); c.me = c; del c\n"
        "print(json.dumps({'frozen': gc.get_freeze_count(), 'threshold': gc.get_threshold(),\n"
        "                  'enabled': gc.isenabled(), 'collected': gc.collect()}))\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120)
    found = json.loads(out.stdout.strip().splitlines()[-1])
    assert found["frozen"] >= 10_000
    assert found["threshold"] == [YOUNG_COLLECTION, 50, 100]
    assert found["enabled"] and found["collected"] >= 1   # the cycle
