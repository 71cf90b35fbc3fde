"""Who may see what, route by route: anonymous visitors, two employers, a case worker, and
the person through their private link (current and retired).

The routes come from the app's own URL map, so a new admin page or a new private-link page
is covered by these checks as soon as it exists.
"""
from __future__ import annotations

import logging
import re

import pytest

from scripts.create_user import create_user
from tests import factories
from tests.test_accounts import _login, _register, _token

SECRET = "PRIVADO-Yuleidys-4821"   # personal text of the person; employers must never read it


@pytest.fixture
def world(app, db, settings, worker_state, caplog):
    """Employer A with a vacancy the person matches, employer B, a case worker, the person."""
    from worker import jobs

    caplog.set_level(logging.DEBUG)
    a, b, admin, person = (app.test_client() for _ in range(4))
    _register(a, email="rrhh@clinica-a.co", organisation="Clínica A")
    _register(b, email="rrhh@empresa-b.co", organisation="Empresa B")
    create_user(settings.database_url, "orienta@ong.org", "clave-de-prueba-1", admin=True)
    _login(admin, "orienta@ong.org", "clave-de-prueba-1")
    resp = a.post("/vacancies/new", data={"csrf_token": _token(a, "/vacancies/new"), "title": "Enfermero/a de UCI",
                                          "country": "CO", "city": "Cúcuta", "essential_skills": "cuidados intensivos",
                                          "accepts_relocation": "on"})
    vid = int(re.search(r"/vacancies/(\d+)", resp.headers["Location"]).group(1))
    pid = factories.post(person, "profiles", factories.profile(
        summary=f"Enfermera. {SECRET}", jobs=[{"title": "Enfermera de UCI", "years": 6, "country": "VE",
                                               "description": SECRET}]))
    jobs.match_vacancy(vid)
    return {"app": app, "a": a, "b": b, "admin": admin, "anon": app.test_client(), "person": person,
            "vid": vid, "pid": pid}


def _rules(app, prefix: str):
    return [r for r in app.url_map.iter_rules() if r.rule.startswith(prefix)]


def _url(app, rule, vid: int, pid: str = "x") -> str:
    values = {"vacancy_id": vid, "public_id": pid, "token_id": 1, "interest_id": 1}
    return app.url_map.bind("localhost").build(rule.endpoint, {k: values[k] for k in rule.arguments})


def test_every_admin_page_needs_a_case_worker(world):
    app, vid = world["app"], world["vid"]
    rules = [r for r in _rules(app, "/admin") if "GET" in r.methods and r.endpoint.startswith("admin.")]
    assert {r.endpoint for r in rules} >= {"admin.index", "admin.import_csv", "admin.insights", "admin.rematch",
                                           "admin.shortlist"}
    checked = 0
    for rule in rules:
        url = _url(app, rule, vid) + ("?kind=profiles" if rule.endpoint == "admin.import_csv" else "")
        anon = world["anon"].get(url)
        assert anon.status_code in (302, 401) and "/cuenta/entrar" in anon.headers.get("Location", "/cuenta/entrar"), url
        assert world["a"].get(url).status_code == 403, url
        assert world["admin"].get(url).status_code == 200, url
        checked += 1
    assert world["a"].get("/admin/rq/").status_code == 403 and world["admin"].get("/admin/rq/").status_code == 200
    # A POST to an admin page with a valid CSRF token is refused for an employer too.
    assert world["a"].post("/admin/rematch", data={"csrf_token": _token(world["a"], "/")}).status_code == 403
    assert checked >= 5


def test_account_pages_need_a_login(world):
    for rule in _rules(world["app"], "/cuenta/"):
        if rule.endpoint in ("accounts.login", "accounts.register") or "GET" not in rule.methods:
            continue
        resp = world["anon"].get(_url(world["app"], rule, world["vid"]))
        assert resp.status_code == 302 and "/cuenta/entrar" in resp.headers["Location"], rule.rule


def test_every_post_of_the_account_and_admin_areas_refuses_strangers(world):
    """The POST-only routes too, each with a valid CSRF token so that only access decides."""
    app, checked = world["app"], set()
    for rule in _rules(app, "/admin/") + _rules(app, "/cuenta/"):
        # Logging out needs no login: without one it only goes home.
        if "POST" not in rule.methods or rule.endpoint in ("accounts.login", "accounts.register", "accounts.logout") \
                or not rule.endpoint.startswith(("admin.", "accounts.")):
            continue
        url = _url(app, rule, world["vid"])
        anon = world["anon"].post(url, data={"csrf_token": _token(world["anon"], "/profiles/new")})
        assert anon.status_code == 302 and "/cuenta/entrar" in anon.headers["Location"], url
        if rule.endpoint.startswith("admin."):
            assert world["a"].post(url, data={"csrf_token": _token(world["a"], "/profiles/new")}).status_code == 403, url
        checked.add(rule.endpoint)
    assert checked >= {"admin.import_csv", "admin.rematch", "accounts.tokens", "accounts.revoke"}


def test_an_employer_reads_only_its_own_candidates(world):
    vid, a, b, anon = world["vid"], world["a"], world["b"], world["anon"]

    def page(client, q=""):
        return client.get(f"/vacancies/{vid}{q}").get_data(as_text=True)

    assert "Candidato 1" in page(a)
    for other in (b, anon):
        assert "Candidato 1" not in page(other)
        assert "Candidato 1" not in page(other, "?key=not-the-key")
    # Acting on it: another organisation can neither express interest nor close it.
    profile_id = re.search(r'name="profile_id" value="(\d+)"', page(a)).group(1)
    token = _token(b, "/")
    assert b.post(f"/vacancies/{vid}/interest", data={"csrf_token": token, "profile_id": profile_id}).status_code == 403
    assert b.post(f"/vacancies/{vid}/status", data={"csrf_token": token, "status": "closed"}).status_code in (403, 404)
    assert "Candidato 1" in page(a)   # still open
    # The API: the organisation's token with the scope, nobody else's.
    api = f"/api/v1/vacancies/{vid}/matches"
    app = world["app"]
    assert a.get(api, headers=factories.api_headers(app, "candidates:read", email="rrhh@clinica-a.co")).status_code == 200
    assert b.get(api, headers=factories.api_headers(app, "candidates:read", email="rrhh@empresa-b.co")).status_code == 403
    assert a.get(api, headers=factories.api_headers(app, "vacancies:write", email="rrhh@clinica-a.co")).status_code == 403
    assert anon.get(api).status_code == 401


def test_employers_never_read_what_the_person_wrote_about_themselves(world):
    """Candidate cards carry skills, job titles, experience, education level, languages, city
    and a coarse "can start now / after some steps" flag: not the summary, job descriptions,
    nationality, migration status or which steps (a contact only after the person accepts:
    tests/test_accounts.py)."""
    vid, a, app = world["vid"], world["a"], world["app"]
    page = a.get(f"/vacancies/{vid}").get_data(as_text=True)
    api = a.get(f"/api/v1/vacancies/{vid}/matches",
                headers=factories.api_headers(app, "candidates:read", email="rrhh@clinica-a.co")).get_data(as_text=True)
    for seen in (page, api):
        assert SECRET not in seen
        assert "ppt" not in seen.lower() and "Permiso por Protección Temporal" not in seen
        assert "Venezuela" not in seen and "venezolan" not in seen.lower() and '"VE"' not in seen
        assert "Permiso" not in seen and "Convalidación" not in seen   # nor which steps
    assert '"candidate"' in api and "Candidato 1" in page   # the cards are there, only without those


def test_a_retired_private_link_stops_everywhere_at_once(world):
    person, pid = world["person"], world["pid"]
    resp = person.post(f"/profiles/{pid}/link", data={"csrf_token": _token(person, f"/profiles/{pid}")})
    new = re.search(r"/profiles/([A-Za-z0-9_-]+)", resp.headers["Location"]).group(1)
    assert new != pid
    token = _token(person, f"/profiles/{new}")
    checked = 0
    for rule in _rules(world["app"], "/profiles/<public_id>") + _rules(world["app"], "/api/v1/profiles/<public_id>"):
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            url = _url(world["app"], rule, world["vid"], pid)
            kwargs = {"data": {"csrf_token": token}} if method == "POST" else {}
            if method == "PUT":
                kwargs = {"json": factories.profile()}
            assert getattr(person, method.lower())(url, **kwargs).status_code == 404, (method, url)
            checked += 1
    assert checked >= 9
    assert person.get(f"/profiles/{new}").status_code == 200
    assert SECRET in person.get(f"/profiles/{new}/export").get_data(as_text=True)


def test_no_personal_text_in_the_web_logs(world, caplog):
    """Everything above ran with the web's logging at DEBUG: none of the person's text in it."""
    person, pid = world["person"], world["pid"]
    person.get(f"/profiles/{pid}")
    person.post(f"/profiles/{pid}/edit", data={"csrf_token": _token(person, f"/profiles/{pid}"), "summary": SECRET})
    world["anon"].post("/api/v1/profiles", json={**factories.profile(), "summary": SECRET, "jobs": "x"},
                       headers=factories.api_headers(world["app"], "profiles:write"))
    records = caplog.get_records("setup") + caplog.get_records("call")
    names = {r.name.split(".")[0] for r in records}
    assert {"rq", "worker"} <= names, names   # the queue and the job did log, at DEBUG
    text = "\n".join(f"{r.getMessage()} {r.exc_text or ''}" for r in records)
    assert SECRET not in text and "Yuleidys" not in text


# --- the queue monitor's buttons -----------------------------------------------------------

@pytest.fixture
def failed_jobs(app, redis, settings):
    """Three real RQ jobs in the failed registry: run by a real worker, each raised."""
    from rq import Queue
    from rq.worker import SimpleWorker

    queue = Queue(settings.queue_name, connection=redis)
    jobs = [queue.enqueue("builtins.int", f"not a number {i}", job_id=f"fails-{i}") for i in range(3)]
    SimpleWorker([queue], connection=redis).work(burst=True)
    assert sorted(queue.failed_job_registry.get_job_ids()) == sorted(j.id for j in jobs)
    return queue


def _queue_state(queue) -> tuple:
    conn = queue.connection
    return (sorted(queue.failed_job_registry.get_job_ids()), queue.get_job_ids(),
            sorted(k.decode() for k in conn.keys("rq:job:fails-*")))


def test_the_queue_monitor_changes_nothing_without_the_csrf_token(app, settings, failed_jobs):
    create_user(settings.database_url, "orienta@ong.org", "clave-de-prueba-1", admin=True)
    admin = app.test_client()
    _login(admin, "orienta@ong.org", "clave-de-prueba-1")
    q, before = settings.queue_name, _queue_state(failed_jobs)
    changes = [("/admin/rq/requeue/{q}", "GET"), ("/admin/rq/requeue/{q}", "POST"),
               ("/admin/rq/job/fails-0/requeue", "POST"), ("/admin/rq/job/fails-1/delete", "POST"),
               ("/admin/rq/queue/{q}/failed/empty", "POST"), ("/admin/rq/queue/{q}/compact", "POST")]
    attempts = 0
    for address, method in changes:
        url = address.format(q=q)
        for headers in ({}, {"Origin": "https://evil.example", "Referer": "https://evil.example/"},
                        {"X-CSRFToken": "forged"}):
            resp = admin.open(url, method=method, headers=headers, data={"x": "1"})
            assert resp.status_code in (400, 405), (url, method, resp.status_code)
            assert _queue_state(failed_jobs) == before, (url, method, headers)
            attempts += 1
    assert attempts == 18
    # Reading stays for case workers, and the monitor's own buttons (its script sends the token
    # from the cookie its pages set) still work.
    assert admin.get(f"/admin/rq/0/data/jobs/{q}/failed/8/asc/1.json").status_code == 200
    assert admin.get("/admin/rq/").status_code == 200
    token = admin.get_cookie("_csrf_token", path="/admin/rq")
    assert token is not None and "SameSite=Strict" in admin.get("/admin/rq/").headers["Set-Cookie"]
    resp = admin.post("/admin/rq/job/fails-0/requeue", headers={"X-CSRFToken": token.value})
    assert resp.status_code == 200 and resp.get_json()["status"] == "OK"
    assert "fails-0" not in failed_jobs.failed_job_registry.get_job_ids() and "fails-0" in failed_jobs.get_job_ids()
