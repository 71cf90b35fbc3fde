"""The named steps of the benchmark, evaluation and start-up commands, each on its own:
the commands themselves clone, install or start a whole Puente, too slow to run here."""
from __future__ import annotations

import argparse
import subprocess
import sys
import threading
import time
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

from matching.linking import ConceptLinker
from matching.taxonomy import Concept, Taxonomy
from scripts import bench_coldstart, bench_e2e, dev, evaluate


@pytest.fixture
def healthz():
    """A web that answers /healthz with 200, over real HTTP."""
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200 if self.path == "/healthz" else 404)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(b"{}")

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()


@pytest.fixture
def running():
    proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"], start_new_session=True)
    yield proc
    if proc.poll() is None:
        proc.kill()
        proc.wait()


def test_cold_start_waits_for_the_web_and_fails_when_run_stops_or_time_is_up(healthz, running, tmp_path):
    bench_coldstart._wait_for_web(running, healthz, tmp_path, time.monotonic(), timeout=30)
    stopped = subprocess.Popen([sys.executable, "-c", "pass"])
    stopped.wait()
    with pytest.raises(RuntimeError, match="run.log"):
        bench_coldstart._wait_for_web(stopped, healthz, tmp_path, time.monotonic(), timeout=30)
    closed = f"http://127.0.0.1:{bench_coldstart._free_port()}"
    with pytest.raises(TimeoutError):
        bench_coldstart._wait_for_web(running, closed, tmp_path, time.monotonic() - 1, timeout=0)


def test_cold_start_stops_the_whole_process_group(running):
    bench_coldstart._stop(running)
    assert running.poll() is not None


def test_cold_start_reports_what_the_page_shows():
    match = {"rank": 1, "score": 0.8, "explanation": {
        "occupations": {"vacancy": {"labels": {"es": "soldador"}}, "profile": [{"labels": {"es": "soldador"}}, {}]},
        "matched_skills": [{"skill": "MIG welding"}]}}
    assert bench_coldstart._what_it_shows(match) == {
        "rank": 1, "score": 0.8, "vacancy_occupation": {"es": "soldador"},
        "profile_occupation": [{"es": "soldador"}, {}], "matched_skills": ["MIG welding"]}
    assert bench_coldstart._what_it_shows({"rank": 2, "score": 0.1, "explanation": {}}) == {
        "rank": 2, "score": 0.1, "vacancy_occupation": {}, "profile_occupation": [], "matched_skills": []}


def test_e2e_latencies_are_read_from_the_finished_profile_runs(tmp_path):
    from models import PROFILE, VACANCY, Database, MatchRun, upgrade, utcnow

    url = f"sqlite:///{tmp_path / 'bench.db'}"
    upgrade(url)
    since = utcnow()
    db = Database(url)
    with db.session() as s:
        def run(kind, status, enqueued, seconds):
            finished = enqueued + timedelta(seconds=seconds) if seconds is not None else None
            s.add(MatchRun(kind=kind, target_id=1, job_id="j", status=status, enqueued_at=enqueued,
                           finished_at=finished))

        run(PROFILE, "done", since + timedelta(seconds=1), 3.0)
        run(PROFILE, "failed", since + timedelta(seconds=2), 0.5)
        run(PROFILE, "done", since + timedelta(seconds=3), 1.5)
        run(PROFILE, "queued", since + timedelta(seconds=4), None)        # not over yet
        run(VACANCY, "done", since + timedelta(seconds=1), 9.0)            # not a profile
        run(PROFILE, "done", since - timedelta(seconds=60), 7.0)           # before the benchmark
        s.commit()
    db.dispose()
    assert bench_e2e._latencies(url, since, 3) == [0.5, 1.5, 3.0]


def test_dev_runs_the_workers_the_scheduler_and_the_web():
    env: dict[str, str] = {}
    commands = dev._commands(argparse.Namespace(workers=2, host="127.0.0.1", port=5001), env)
    assert [c[2:4] for c in commands] == [["worker", "--name"], ["worker", "--name"], ["worker", "--cron"],
                                          ["gunicorn", "--bind"]]
    assert commands[-1][4] == "127.0.0.1:5001" and int(env["PUENTE_WORKER_THREADS"]) >= 1
    env = {"PUENTE_WORKER_THREADS": "3"}
    dev._commands(argparse.Namespace(workers=1, host="h", port=1), env)
    assert env == {"PUENTE_WORKER_THREADS": "3"}


def test_evaluation_hides_a_querys_label_and_its_gender_twin():
    tax = Taxonomy([Concept("nurse", {"es": ["enfermero/enfermera", "enfermero de UCI"]}),
                    Concept("cook", {"es": ["cocinero", "cocinera"]})], [])
    linker = ConceptLinker(tax.occupations)
    at = {t: j for j, t in enumerate(linker.texts)}
    hidden = evaluate._hidden_labels(["Enfermera", "cocinero", "soldador"], evaluate._gender_twins(tax),
                                     evaluate._positions(linker.texts))
    assert hidden == [{at["enfermero"], at["enfermera"]}, {at["cocinero"]}, set()]


def test_evaluation_skill_queries_are_alternative_labels_of_the_occupations_skills():
    skills = [Concept(f"s{i}", {"es": [f"pref {i}", f"alt {i}", f"otra {i}"]}) for i in range(40)]
    occupations = [Concept(f"o{k}", {"es": [f"ocupación {k}"]}) for k in range(8)]
    tax = Taxonomy(occupations, skills, {k: list(range(5 * k, 5 * k + 5)) for k in range(8)})
    queries, gold = evaluate._skill_queries(tax, 3, "es")
    again, again_gold = evaluate._skill_queries(tax, 3, "es")   # the same sample every run
    assert again == queries and list(again_gold) == list(gold)
    assert len(queries) == len(gold) == 3
    for query, occ in zip(queries, gold, strict=True):
        phrases = query.split(", ")
        assert len(phrases) == 5
        assert {p.split()[1] for p in phrases} == {str(s) for s in tax.essential[occ]}
        assert not any(p.startswith("pref") for p in phrases)
