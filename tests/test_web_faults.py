"""The web front end when the database fails under it: never a bare 500 (issue 14, item 3).

A connection PostgreSQL drops inside a view, or inside the error handler itself, is a 503
with Retry-After, in the API's JSON shape or as a page in the reader's language, with the
security headers. A deadlock or serialization failure that reaches a handler is not an
outage: a 503 "busy, try again" with Retry-After: 1. The connections are cut for real
(`pg_terminate_backend` of the request's own backend, right before a view's statement), the
deadlocks and serialization failures are PostgreSQL's own.

The last test serves the app with gunicorn as the Procfile does, cuts its connections every
0.7 s and counts the answers of a few hundred reads; `-s` prints them as a WEBFAULTS line
(docs/reliability.md).
"""
from __future__ import annotations

import re
import threading
import time
from contextlib import contextmanager

import pytest
from sqlalchemy import event, text

from tests import factories
from tests.conftest import PG_ADMIN_URL
from tests.test_accounts import _register

SECURITY_HEADERS = ("Content-Security-Policy", "X-Content-Type-Options", "X-Frame-Options", "Referrer-Policy")
ADMIN = PG_ADMIN_URL.replace("+psycopg", "")


@pytest.fixture
def pg(db):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("SQLite has no server connection to drop")
    return db


def _terminate(pid: int) -> None:
    """End PostgreSQL backend `pid`, and wait until it is gone."""
    import psycopg

    with psycopg.connect(ADMIN, autocommit=True) as conn:
        conn.execute("SELECT pg_terminate_backend(%s)", (pid,))
        for _ in range(100):
            if not conn.execute("SELECT 1 FROM pg_stat_activity WHERE pid = %s", (pid,)).fetchone():
                return
            time.sleep(0.02)
    raise AssertionError(f"backend {pid} did not end")


class Cutter:
    """Cuts the app's own connection right before its next statement that matches `pattern`:
    the view (or the error handler) then meets a connection the server dropped."""

    def __init__(self, engine):
        self.engine, self.pattern, self.left, self.cuts = engine, None, 0, 0
        self.after = None   # called right after each cut
        event.listen(engine, "before_cursor_execute", self._before)

    def arm(self, pattern: str, times: int = 1) -> None:
        self.pattern, self.left = re.compile(pattern, re.IGNORECASE), times

    def _before(self, conn, cursor, statement, parameters, context, executemany):
        if self.left and self.pattern.search(statement):
            self.left -= 1
            self.cuts += 1
            _terminate(cursor.connection.info.backend_pid)
            if self.after:
                self.after()

    def close(self) -> None:
        event.remove(self.engine, "before_cursor_execute", self._before)


@pytest.fixture
def cutter(app, pg):
    made = Cutter(app.extensions["puente_db"].engine)
    yield made
    made.close()


@contextmanager
def _refusing_connections(database: str):
    """The database refuses every new connection (as while it restarts); open ones stay."""
    import psycopg

    with psycopg.connect(ADMIN, autocommit=True) as conn:
        conn.execute(f'ALTER DATABASE "{database}" WITH ALLOW_CONNECTIONS false')
        try:
            yield
        finally:
            conn.execute(f'ALTER DATABASE "{database}" WITH ALLOW_CONNECTIONS true')


@pytest.fixture
def ranked(client, worker_state):
    """A vacancy and a profile it ranks: ids for the reads."""
    from worker import jobs

    posted = factories.api_post(client, "vacancies", json=factories.vacancy()).get_json()
    pid = factories.post(client, "profiles", factories.profile())
    jobs.match_vacancy(posted["id"])
    return {"vid": posted["id"], "key": posted["key"], "pid": pid}


def _text(app, message, locale: str) -> str:
    from flask_babel import force_locale

    with app.test_request_context(), force_locale(locale):
        return str(message)


def _assert_api_503(resp, error: str, retry_after: str) -> None:
    assert resp.status_code == 503, resp.get_data(as_text=True)[:300]
    body = resp.get_json()
    assert set(body) == {"error", "message", "fields"} and body["error"] == error and "nothing was saved" in body["message"]
    assert resp.headers["Retry-After"] == retry_after
    assert all(h in resp.headers for h in SECURITY_HEADERS), resp.headers


def _assert_page_503(app, resp, message, locale: str, retry_after: str) -> str:
    html = resp.get_data(as_text=True)
    assert resp.status_code == 503 and resp.mimetype == "text/html", html[:300]
    assert f'<html lang="{locale}">' in html and _text(app, message, locale) in html
    assert resp.headers["Retry-After"] == retry_after
    assert all(h in resp.headers for h in SECURITY_HEADERS), resp.headers
    return html


# --- a connection dropped inside a view -------------------------------------------------------

def test_a_connection_dropped_inside_an_api_view_is_a_503_in_the_error_shape(client, cutter, ranked):
    reads = [f"/api/v1/profiles/{ranked['pid']}/matches", f"/api/v1/vacancies/{ranked['vid']}",
             f"/api/v1/profiles/{ranked['pid']}"]
    for address in reads:
        cutter.arm(r"\bFROM (profiles|vacancies)\b")
        _assert_api_503(client.get(address), "unavailable", "60")
        assert client.get(address).status_code == 200, address   # the next request reconnects
    assert cutter.cuts == len(reads)


def test_a_connection_dropped_inside_a_page_is_a_503_page_in_the_readers_language(app, client, cutter, ranked):
    from web.pages.errors import _PAGES

    for locale in ("pt", "en", "es"):
        cutter.arm(r"\bFROM profiles\b")
        resp = client.get(f"/profiles/{ranked['pid']}?lang={locale}")
        _assert_page_503(app, resp, _PAGES[503], locale, "60")
    assert client.get(f"/profiles/{ranked['pid']}").status_code == 200
    assert cutter.cuts == 3


# --- ... and inside the error handler itself --------------------------------------------------

def test_an_error_page_that_reads_the_account_again_after_the_drop_is_still_a_503(app, client, cutter, ranked):
    """An employer's page: the login's account is read first (by the view), and the cut falls on
    that read. The error page reads the account again for its menu: on a fresh connection."""
    from web.pages.errors import _PAGES

    _register(client, email="rrhh@clinica-a.co", organisation="Clínica A")
    cutter.arm(r"\bFROM users\b")
    html = _assert_page_503(app, client.get("/cuenta/?lang=pt"), _PAGES[503], "pt", "60")
    assert "Clínica A" not in html and cutter.cuts == 1
    assert client.get("/cuenta/").status_code == 200


def test_an_error_page_while_the_database_refuses_every_connection_is_still_a_503(app, client, cutter, pg):
    """The view's connection is cut and the database then refuses new ones, so the error
    page's own read of the account fails too: the page comes without the account menu."""
    from web.pages.errors import _PAGES

    _register(client, email="rrhh@clinica-a.co", organisation="Clínica A")
    refusing = _refusing_connections(pg.engine.url.database)
    cutter.arm(r"\bFROM users\b")
    cutter.after = refusing.__enter__
    try:
        resp = client.get("/cuenta/?lang=en")
    finally:
        refusing.__exit__(None, None, None)
    html = _assert_page_503(app, resp, _PAGES[503], "en", "60")
    assert cutter.cuts == 1 and "/cuenta/salir" not in html   # no account menu: it could not be read
    assert client.get("/cuenta/").status_code == 200


def test_a_database_error_raised_by_an_error_handler_is_a_503_not_a_500(app, pg, ranked):
    """A handler that itself meets the dropped connection (a 404 page of an API address,
    here made to read the database) raises; Flask turns that into a 500 whose original
    exception is the database's: both rooms answer it as the 503 it is."""
    from werkzeug.exceptions import InternalServerError

    from web.api.errors import http_error as api_http_error
    from web.pages.errors import http_error as page_http_error

    engine = app.extensions["puente_db"].engine
    with engine.connect() as conn:
        _terminate(conn.connection.dbapi_connection.info.backend_pid)
        try:
            conn.execute(text("SELECT 1"))
        except Exception as exc:  # noqa: BLE001 - the driver's error, as a handler would meet it
            dropped = exc
    server_error = InternalServerError(original_exception=dropped)
    with app.test_request_context("/api/v1/nothing-here?lang=pt"):
        body, code, headers = api_http_error(server_error)
        assert code == 503 and body.get_json()["error"] == "unavailable" and headers["Retry-After"] == "60"
        page, code, headers = page_http_error(server_error)
        assert code == 503 and '<html lang="pt">' in page and headers["Retry-After"] == "60"


# --- a deadlock or a serialization failure is not an outage -------------------------------------

def _deadlock(session) -> None:
    """Make this session the victim of a real deadlock: it holds advisory lock 1 and waits for
    2, while another connection holds 2 and waits for 1; the session detects it first."""
    import psycopg

    session.execute(text("SET LOCAL deadlock_timeout = '50ms'"))
    session.execute(text("SELECT pg_advisory_xact_lock(1)"))
    holding = threading.Event()

    def other():
        with psycopg.connect(session.get_bind().url.set(drivername="postgresql").render_as_string(hide_password=False),
                             autocommit=False) as conn:
            conn.execute("SET deadlock_timeout = '5s'")
            conn.execute("SELECT pg_advisory_xact_lock(2)")
            holding.set()
            conn.execute("SELECT pg_advisory_xact_lock(1)")   # waits until the session's transaction ends
            conn.rollback()

    thread = threading.Thread(target=other, daemon=True)
    thread.start()
    assert holding.wait(10)
    time.sleep(0.2)   # the other connection is waiting for lock 1
    try:
        session.execute(text("SELECT pg_advisory_xact_lock(2)"))   # deadlock detected: this one is refused
    finally:
        session.rollback()
        thread.join(10)


def _serialization_failure(session) -> None:
    """Make this session fail with a real serialization failure: it reads a row in a
    repeatable-read snapshot, another transaction changes the row, the session then updates it."""
    import psycopg

    url = session.get_bind().url.set(drivername="postgresql").render_as_string(hide_password=False)
    session.execute(text("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ"))
    session.execute(text("SELECT n FROM web_fault_rows WHERE id = 1")).scalar()
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("UPDATE web_fault_rows SET n = n + 1 WHERE id = 1")
    try:
        session.execute(text("UPDATE web_fault_rows SET n = n + 10 WHERE id = 1"))
    finally:
        session.rollback()


@pytest.fixture
def fault_routes(app, pg):
    """Two routes of each room whose transaction PostgreSQL refuses for another one."""
    from web.extensions import db_session

    with pg.engine.begin() as conn:
        conn.execute(text("CREATE TABLE IF NOT EXISTS web_fault_rows (id int PRIMARY KEY, n int)"))
        conn.execute(text("INSERT INTO web_fault_rows VALUES (1, 0) ON CONFLICT DO NOTHING"))
    faults = {"deadlock": _deadlock, "serialization": _serialization_failure}
    for prefix in ("/api/v1", ""):
        app.add_url_rule(f"{prefix}/fault/<kind>", f"fault{prefix.replace('/', '_')}",
                         lambda kind: faults[kind](db_session()) or "unreachable")
    yield app
    with pg.engine.begin() as conn:
        conn.execute(text("DROP TABLE web_fault_rows"))


@pytest.mark.parametrize("kind", ["deadlock", "serialization"])
def test_a_deadlock_or_serialization_failure_is_busy_not_an_outage(app, fault_routes, caplog, kind):
    from web.pages.errors import _BUSY

    client = app.test_client()
    resp = client.get(f"/api/v1/fault/{kind}")
    _assert_api_503(resp, "busy", "1")
    assert "cannot be reached" not in resp.get_json()["message"]
    for locale in ("es", "pt", "en"):
        page = client.get(f"/fault/{kind}?lang={locale}")
        _assert_page_503(app, page, _BUSY, locale, "1")
    assert "database busy (OperationalError)" in caplog.text and "database away" not in caplog.text


def test_kinds_of_database_errors():
    """The classification on the drivers' own error classes: PostgreSQL's SQLSTATE (psycopg's
    `sqlstate`, psycopg2's `pgcode`), SQLite's error name, an invalidated connection."""
    import sqlite3

    import psycopg
    from sqlalchemy.exc import IntegrityError, OperationalError, ProgrammingError
    from sqlalchemy.exc import TimeoutError as PoolTimeout
    from werkzeug.exceptions import InternalServerError

    from web.errors import AWAY, BUSY, database_trouble

    def wrap(cls, orig, invalidated=False):
        return cls("SELECT 1", {}, orig, connection_invalidated=invalidated)

    class Psycopg2Error(Exception):
        pgcode = "40P01"

    locked = sqlite3.OperationalError("database is locked")
    locked.sqlite_errorname = "SQLITE_BUSY"
    assert database_trouble(wrap(OperationalError, psycopg.errors.DeadlockDetected())) == BUSY
    assert database_trouble(wrap(OperationalError, psycopg.errors.SerializationFailure())) == BUSY
    assert database_trouble(wrap(OperationalError, Psycopg2Error())) == BUSY
    assert database_trouble(wrap(OperationalError, locked)) == BUSY
    assert database_trouble(PoolTimeout("QueuePool limit reached")) == BUSY
    assert database_trouble(wrap(OperationalError, psycopg.errors.AdminShutdown())) == AWAY
    assert database_trouble(wrap(OperationalError, psycopg.OperationalError("connection refused"))) == AWAY
    assert database_trouble(wrap(OperationalError, psycopg.errors.DeadlockDetected(), invalidated=True)) == AWAY
    assert database_trouble(wrap(ProgrammingError, psycopg.ProgrammingError("x"), invalidated=True)) == AWAY
    assert database_trouble(InternalServerError(original_exception=wrap(OperationalError, locked))) == BUSY
    assert database_trouble(wrap(IntegrityError, psycopg.errors.UniqueViolation())) is None   # a bug, a 500
    assert database_trouble(ValueError("x")) is None


# --- gunicorn, as in the Procfile, with its connections cut every 0.7 s ------------------------

APPLICATION_NAME = "puente-web-test"
CUT_EVERY = 0.7
READS = 600     # at least, from 8 threads,
SECONDS = 15    # and for at least this long (about 20 rounds of cuts)


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def _gunicorn(settings, folder):
    """`gunicorn --workers 2 --threads 4 'web:create_app()'` in production mode; its database
    connections carry an application_name of their own (set here only, through DATABASE_URL)."""
    import os
    import subprocess
    import sys

    import requests

    from tests.conftest import ROOT

    port, log_path = _free_port(), folder / "gunicorn.log"
    env = {**os.environ, "PUENTE_ENV": "production", "SECRET_KEY": settings.secret_key,
           "DATABASE_URL": f"{settings.database_url}?application_name={APPLICATION_NAME}",
           "REDIS_URL": settings.redis_url, "PUENTE_QUEUE": settings.queue_name, "PUENTE_DATA_DIR": settings.data_dir,
           "HF_HUB_OFFLINE": "1"}
    with open(log_path, "w") as log:
        proc = subprocess.Popen([sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{port}", "--workers", "2",
                                 "--threads", "4", "web:create_app()"], cwd=ROOT, env=env, stdout=log,
                                stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            assert proc.poll() is None, log_path.read_text()[-3000:]
            try:
                if requests.get(base + "/healthz", timeout=10).status_code == 200:
                    break
            except requests.RequestException:   # not listening yet, or its workers still starting
                pass
            assert time.monotonic() < deadline, log_path.read_text()[-3000:]
            time.sleep(0.2)
        yield base, log_path
    finally:
        proc.terminate()
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


class CutLoop(threading.Thread):
    """Every 0.7 s, terminates every PostgreSQL backend of the served app."""

    def __init__(self):
        super().__init__(daemon=True)
        self.stopping, self.rounds, self.terminated = threading.Event(), 0, 0

    def run(self) -> None:
        import psycopg

        with psycopg.connect(ADMIN, autocommit=True) as conn:
            while not self.stopping.wait(CUT_EVERY):
                self.terminated += conn.execute(
                    "SELECT count(*) FILTER (WHERE pg_terminate_backend(pid)) FROM pg_stat_activity "
                    "WHERE application_name = %s", (APPLICATION_NAME,)).fetchone()[0]
                self.rounds += 1


def _employer_cookie(client, db) -> tuple[str, int]:
    """An employer logged in (in this process, same secret key) with a vacancy of its own:
    its session cookie, and the vacancy's id."""
    client.environ_base["HTTP_USER_AGENT"] = "puente-fault-test"   # the login is bound to the browser
    _register(client, email="rrhh@clinica-a.co", organisation="Clínica A")
    resp = client.post("/vacancies/new", data={
        "csrf_token": _token_of(client, "/vacancies/new"), "title": "Enfermero/a de UCI", "country": "CO",
        "city": "Cúcuta", "essential_skills": "cuidados intensivos", "accepts_relocation": "on"})
    vid = int(re.search(r"/vacancies/(\d+)", resp.headers["Location"]).group(1))
    return client.get_cookie("session").value, vid


def _token_of(client, address: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', client.get(address).get_data(as_text=True)).group(1)


def _check_answer(address: str, resp) -> str:
    """What the answer was ("ok", "away", "busy"); asserts the shape of anything else."""
    missing = [h for h in SECURITY_HEADERS if h not in resp.headers]
    assert not missing, (address, resp.status_code, missing)
    if resp.status_code < 300:
        return "ok"
    assert resp.status_code == 503 and resp.headers.get("Retry-After") in ("1", "60"), \
        (address, resp.status_code, resp.text[:300])
    if address.startswith("/api/"):
        body = resp.json()
        assert set(body) == {"error", "message", "fields"} and body["error"] in ("unavailable", "busy"), body
    else:
        assert resp.headers["Content-Type"].startswith("text/html") and "<html lang=" in resp.text, resp.text[:300]
    return "busy" if resp.headers["Retry-After"] == "1" else "away"


def test_gunicorn_with_its_connections_cut_every_0_7_s_never_answers_500(settings, app, client, pg, ranked, tmp_path):
    """Reads of the API and the pages (anonymous and an employer's) from 8 threads, for 15 s, while every
    backend of the app is terminated every 0.7 s: no 500, every non-2xx a 503 with Retry-After
    in the room's shape, security headers on everything, nothing escaping to gunicorn."""
    from concurrent.futures import ThreadPoolExecutor

    import requests

    cookie, own_vid = _employer_cookie(client, pg)
    pid, vid, key = ranked["pid"], ranked["vid"], ranked["key"]
    anonymous = [f"/api/v1/profiles/{pid}/matches", f"/api/v1/vacancies/{vid}", f"/api/v1/profiles/{pid}",
                 f"/api/v1/vacancies/{vid}/matches?key={key}", f"/profiles/{pid}?lang=pt", f"/vacancies/{vid}?key={key}"]
    employer = [f"/vacancies/{own_vid}", "/cuenta/?lang=en"]
    reads = [(a, False) for a in anonymous] + [(a, True) for a in employer]
    with _gunicorn(settings, tmp_path) as (base, log_path):
        answers: list = []

        def reader(first: int) -> None:
            http, i = requests.Session(), first
            while time.monotonic() < deadline or len(answers) < READS:
                address, logged_in = reads[i % len(reads)]
                headers = {"User-Agent": "puente-fault-test", **({"Cookie": f"session={cookie}"} if logged_in else {})}
                resp = http.get(base + address, headers=headers, timeout=30, allow_redirects=False)
                answers.append((address, resp.status_code, _check_answer(address, resp)))
                i += 1

        cuts = CutLoop()
        cuts.start()
        started = time.monotonic()
        deadline = started + SECONDS
        try:
            with ThreadPoolExecutor(8) as pool:
                for done in [pool.submit(reader, n) for n in range(8)]:
                    done.result()
        finally:
            cuts.stopping.set()
            cuts.join(10)
        seconds = time.monotonic() - started
        server_log = log_path.read_text(errors="replace")
    codes = [code for _, code, _ in answers]
    kinds = [kind for _, _, kind in answers]
    print(f"WEBFAULTS gunicorn 2x4, cut every {CUT_EVERY}s: {len(answers)} reads in {seconds:.1f}s, "
          f"{cuts.rounds} cut rounds, {cuts.terminated} backends terminated; 2xx {kinds.count('ok')}, "
          f"503 away {kinds.count('away')}, 503 busy {kinds.count('busy')}, 500 {codes.count(500)}, "
          f"other {sum(1 for c in codes if c >= 300 and c != 503)}")
    assert codes.count(500) == 0 and all(c < 300 or c == 503 for c in codes)
    assert cuts.terminated >= 5, "the loop cut too little to test anything"
    assert "Error handling request" not in server_log and "Traceback" not in server_log, server_log[-3000:]
    assert not [a for a, code, _ in answers if code == 302], "the employer's login did not hold"
