"""Hardening: request sizes, CSV files in and out, sessions that end, passwords and rate
limits, how long the queue keeps jobs, and the dependency audit's verdicts."""
from __future__ import annotations

import csv
import io
import json
import re
import time
from dataclasses import replace

import pytest
from sqlalchemy import func, select
from werkzeug.datastructures import FileStorage

from config import ConfigError, Settings, load_settings
from models import Profile, User, Vacancy
from scripts.create_user import create_user


def _token(client, url: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', client.get(url).get_data(as_text=True)).group(1)


def _count(db, model) -> int:
    with db.session() as s:
        return s.scalar(select(func.count()).select_from(model))


def _register(client, email="rrhh@clinica.co", password="una-clave-larga"):
    return client.post("/cuenta/registro", data={"csrf_token": _token(client, "/cuenta/registro"), "email": email,
                                                 "password": password, "organisation": "Clínica Santa Ana"})


def _login(client, email="rrhh@clinica.co", password="una-clave-larga", lang=""):
    return client.post(f"/cuenta/entrar{lang}", data={"csrf_token": _token(client, "/cuenta/entrar"),
                                                      "email": email, "password": password})


# 1. Request sizes --------------------------------------------------------------------

def test_the_limits_come_from_the_settings(app):
    cfg = app.config
    assert cfg["MAX_CONTENT_LENGTH"] == 512 * 1024 and cfg["MAX_FORM_PARTS"] == 300
    assert cfg["MAX_FORM_MEMORY_SIZE"] == 256 * 1024 and cfg["MAX_QUERY_LENGTH"] == 4096
    assert cfg["MAX_IMPORT_SIZE"] == 4 * 1024 * 1024


def test_an_oversize_json_body_is_a_json_413_and_nothing_is_saved(client, db):
    body = json.dumps({"country": "CO", "consent": True, "summary": "x" * (600 * 1024)})
    for method in (client.post, client.put):
        url = "/api/v1/profiles" if method == client.post else "/api/v1/profiles/abc"
        resp = method(url, data=body, content_type="application/json",
                      headers={"Authorization": "Bearer pt_not-looked-up"})
        assert resp.status_code == 413 and resp.mimetype == "application/json"
        assert set(resp.get_json()) == {"error", "message", "fields"}
        assert resp.get_json()["error"] == "request_entity_too_large"
    assert _count(db, Profile) == 0


@pytest.mark.parametrize("lang,words", [("es", "Lo que envió es demasiado grande."),
                                        ("pt", "O que você enviou é grande demais."),
                                        ("en", "What you sent is too large.")])
def test_an_oversize_form_is_a_413_page_in_the_readers_language(client, db, lang, words):
    token = _token(client, "/profiles/new")
    resp = client.post(f"/profiles/new?lang={lang}", data={"csrf_token": token, "country": "CO", "consent": "on",
                                                           "summary": "x" * (600 * 1024)})
    html = resp.get_data(as_text=True)
    assert resp.status_code == 413 and resp.mimetype == "text/html"
    assert f'<html lang="{lang}">' in html and words in html
    assert _count(db, Profile) == 0


def test_form_parts_field_sizes_and_query_strings_are_bounded(client, db):
    token = _token(client, "/profiles/new")
    many = {"csrf_token": token, **{f"f{i}": "1" for i in range(400)}}   # small, but 400 parts
    resp = client.post("/profiles/new", data=many, content_type="multipart/form-data")
    assert resp.status_code == 413
    big_field = {"csrf_token": token, "summary": "x" * (300 * 1024)}   # under 512 kB, over 256 kB in one part
    assert client.post("/profiles/new", data=big_field, content_type="multipart/form-data").status_code == 413
    # A url-encoded form has no part count in werkzeug: its size bounds it (many fields, still answered).
    flood = "&".join(f"f{i}=1" for i in range(40_000))
    started = time.perf_counter()
    resp = client.post("/profiles/new", data=flood, content_type="application/x-www-form-urlencoded")
    assert resp.status_code == 400 and time.perf_counter() - started < 10   # the CSRF page, not a 500
    page = client.get("/profiles/new?q=" + "a" * 5000)
    assert page.status_code == 414 and "Lo que envió es demasiado grande." in page.get_data(as_text=True)
    api = client.get("/api/v1/suggest?kind=skill&q=" + "a" * 5000)
    assert api.status_code == 414 and set(api.get_json()) == {"error", "message", "fields"}
    assert client.get("/api/v1/suggest?kind=skill&q=" + "a" * 100).status_code == 200
    assert _count(db, Profile) == 0


# 2. CSV files in and out -------------------------------------------------------------

PROFILES_CSV = """summary,country,city,nationalities,status,jobs,skills,languages,consent
Enfermera de UCI,CO,Cúcuta,VE,ppt,Enfermera:6,cuidados intensivos; canalización de vías,es:native,sí
Cocinero,PE,Lima,VE,cpp,Cocinero:3,cocina,es:native,sí
"""


@pytest.fixture
def admin_client(app, settings):
    create_user(settings.database_url, "orienta@ong.org", "clave-de-prueba-1", admin=True)
    client = app.test_client()
    assert _login(client, "orienta@ong.org", "clave-de-prueba-1").status_code == 302
    return client


def _multipart(client, url: str, data: dict):
    """POST multipart/form-data encoded in memory (the test client's own encoder leaves a
    temporary file open past 500 kB)."""
    from werkzeug.test import encode_multipart

    boundary, body = encode_multipart(data)
    return client.post(url, data=body, content_type=f"multipart/form-data; boundary={boundary}")


def _upload(client, raw: bytes, kind="profiles", filename="datos.csv"):
    data = {"csrf_token": _token(client, f"/admin/import?kind={kind}"), "kind": kind, "attest": "on",
            "file": FileStorage(io.BytesIO(raw), filename, content_type="text/csv")}
    return _multipart(client, f"/admin/import?kind={kind}", data)


def test_excel_windows_csv_is_read_as_windows_1252_with_a_notice(admin_client, db):
    # What Excel on Windows saves as "CSV (delimitado por comas)": Windows-1252 and semicolons.
    raw = PROFILES_CSV.replace(",", ";").replace("; canalización de vías", "").encode("cp1252")
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")
    resp = _upload(admin_client, raw)
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200 and "2 filas importadas." in html, re.findall(r"<li>Fila.*?</li>", html)
    assert "se leyó como Windows-1252" in html
    with db.session() as s:
        assert sorted(s.scalars(select(Profile.city))) == ["Cúcuta", "Lima"]   # the accents as written


def test_excel_unicode_text_is_read_from_its_byte_order_mark(admin_client, db):
    raw = PROFILES_CSV.replace(",", "\t").replace("; canalización de vías", "").encode("utf-16")
    resp = _upload(admin_client, raw)
    assert resp.status_code == 200 and "2 filas importadas." in resp.get_data(as_text=True)
    assert "Windows-1252" not in resp.get_data(as_text=True)
    with db.session() as s:
        assert "Cúcuta" in set(s.scalars(select(Profile.city)))


@pytest.mark.parametrize("raw,message", [
    (b"", "El archivo está vacío."),
    (b"  \r\n\n", "El archivo está vacío."),
    (b"summary,country,consent\n", "El archivo no tiene filas."),
    (b"PK\x03\x04\x14\x00\x06\x00\x08\x00\x00\x00!\x00" + bytes(range(256)) * 8, "No es un archivo de texto CSV"),
    (PROFILES_CSV.encode("utf-16-le"), "No es un archivo de texto CSV"),   # UTF-16 without its mark
    (PROFILES_CSV.encode("mac_roman"), "No se reconoce la codificación del texto"),   # é read as cp1252 is Ž
    (PROFILES_CSV.encode("cp850"), "No se reconoce la codificación del texto"),
    (b"summary,country,consent\n\x01\x02\x03,CO,s\xc3\xad\n", "No es un archivo de texto CSV"),
])
def test_bad_files_are_refused_with_a_message_and_nothing_saved(admin_client, db, raw, message):
    resp = _upload(admin_client, raw)
    html = resp.get_data(as_text=True)
    assert resp.status_code == 422 and message in html and "No se importó nada" in html
    assert _count(db, Profile) == 0


def test_oversize_imports_name_the_limit_and_save_nothing(settings, make_app, db):
    app = make_app(replace(settings, max_import_size=2000))
    client = app.test_client()
    create_user(settings.database_url, "orienta@ong.org", "clave-de-prueba-1", admin=True)
    assert _login(client, "orienta@ong.org", "clave-de-prueba-1").status_code == 302
    rows = PROFILES_CSV + "Cocinero,PE,Lima,VE,cpp,Cocinero:3,cocina,es:native,sí\n" * 40   # about 2.3 kB
    for raw in (rows.encode(), rows.encode() * 40):   # read by the view; refused before it (over the body limit)
        resp = _upload(client, raw)
        html = resp.get_data(as_text=True)
        assert resp.status_code == 413 and "El archivo pasa de 2 kB." in html and "Fila 1: El archivo pasa de 2 kB." in html
    assert _count(db, Profile) == 0


def test_case_workers_may_send_larger_files_than_other_requests(admin_client, client, db):
    big = ("summary,country,consent\n" + "x" * (1024 * 1024) + ",CO,sí\n").encode()   # 1 MB, over 512 kB
    resp = _upload(admin_client, big)
    assert resp.status_code == 422 and "No se importó nada" in resp.get_data(as_text=True)   # read, then refused
    resp = _multipart(client, "/admin/import", {"file": FileStorage(io.BytesIO(big), "x.csv")})
    assert resp.status_code == 413   # not logged in: the ordinary limit
    assert _count(db, Profile) == 0


@pytest.mark.parametrize("value", ["=1+1", "+cmd", "-2+3", "@SUM(A1)", "\t=1", "\r=1", " =HYPERLINK(\"x\")",
                                   "\n=1", "\u00a0@x", "\uff1d1+1", "  -1",
                                   # invisible characters first: zero-width space, non-joiner, joiner, word
                                   # joiner, byte order mark, a left-to-right mark (any Cf), and mixed with blanks
                                   "\u200b=1+1", "\u200c+1", "\u200d-1", "\u2060@SUM(A1)", "\ufeff=HYPERLINK(\"x\")",
                                   "\u200e=1", "\ufeff\u200b =1", " \u200b\u3000=1", "\u200b\t1", "\ufeff\r1"])
def test_safe_cell_neutralises_every_formula_start(value):
    from web.security import safe_cell

    assert safe_cell(value) == "'" + value


@pytest.mark.parametrize("value", ["Cúcuta", "a=b", "", "CO", "1.5", "<5", "\u200b", "\ufeffCúcuta", " a-b"])
def test_safe_cell_leaves_plain_text(value):
    from web.security import safe_cell

    assert safe_cell(value) == value and safe_cell(3) == 3 and safe_cell(None) is None


FORMULAS = ["=HYPERLINK(\"evil\")", "+1+1", "-1+1", "@SUM(1)", " =1+1", "\u200b=1+1", "\ufeff@SUM(1)"]


def _dangerous(cell: str) -> bool:
    """A cell a spreadsheet runs: a formula start after blanks and invisible (Cf) characters."""
    import unicodedata

    rest = "".join(c for c in cell if unicodedata.category(c) != "Cf").lstrip(" \n\x0b\x0c\xa0\u3000")
    return rest[:1] in set("=+-@\t\r\uff1d\uff0b\uff0d\uff20")


def test_the_shortlist_csv_round_trips_with_no_formula(admin_client, db, worker_state):
    from worker import jobs

    vacancy = "title,country,city,essential_skills,languages\nEnfermero/a de UCI,CO,Cúcuta,cuidados intensivos,es\n"
    assert _upload(admin_client, vacancy.encode(), kind="vacancies").status_code == 200
    lines = ["summary,country,city,jobs,skills,languages,consent"]
    for n, f in enumerate(FORMULAS):
        q = f.replace('"', '""')
        lines.append(f'"Enfermera {n}",CO,"{q}","{q}:3","cuidados intensivos; {q}",es:native,sí')
    resp = _upload(admin_client, ("\n".join(lines) + "\n").encode())
    assert resp.status_code == 200, resp.get_data(as_text=True)
    with db.session() as s:
        vid = s.scalars(select(Vacancy.id)).one()
    jobs.match_vacancy(vid)
    text = admin_client.get(f"/admin/vacancies/{vid}/shortlist.csv").get_data(as_text=True)
    rows = list(csv.reader(io.StringIO(text)))
    assert len(rows) == 1 + len(FORMULAS)
    cells = [c for row in rows[1:] for c in row]
    assert not [c for c in cells if _dangerous(c)]
    cities = {row[rows[0].index("city")] for row in rows[1:]}
    assert cities == {"'" + f.strip() for f in FORMULAS}   # the text kept (stripped on import), shown as text


def test_the_barriers_csv_round_trips_with_no_formula(client):
    text = client.get("/api/v1/insights/barriers.csv").get_data(as_text=True)
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0][0] == "country" and len(rows) >= 2
    assert not [c for row in rows for c in row if _dangerous(c)]


# 3. Sessions that end ----------------------------------------------------------------

def test_logins_are_permanent_sessions_of_the_configured_length(client, app, db):
    assert app.permanent_session_lifetime.total_seconds() == 8 * 3600
    assert load_settings("test", environ={"PUENTE_SESSION_HOURS": "2"}).session_lifetime == 7200
    with pytest.raises(ConfigError):
        load_settings("test", environ={"PUENTE_SESSION_HOURS": "0"})
    resp = _register(client)
    cookies = resp.headers.getlist("Set-Cookie")
    session_cookie = next(c for c in cookies if c.startswith("session="))
    assert "Expires=" in session_cookie and "HttpOnly" in session_cookie
    assert not [c for c in cookies if c.startswith("remember_token=")]   # no "remember me"
    assert client.get("/cuenta/").status_code == 200


def test_a_login_older_than_its_lifetime_is_refused(client, db):
    _register(client)
    assert client.get("/cuenta/").status_code == 200
    with client.session_transaction() as sess:
        sess["puente_login_at"] -= 8 * 3600 + 5   # a cookie kept alive by use since 8 hours ago
    resp = client.get("/cuenta/")
    assert resp.status_code == 302 and "/cuenta/entrar" in resp.headers["Location"]
    with client.session_transaction() as sess:
        assert "_user_id" not in sess


def test_a_cookie_replayed_after_its_lifetime_does_not_work(settings, make_app, db):
    app = make_app(replace(settings, session_lifetime=1))
    client = app.test_client()
    _register(client)
    cookie = client.get_cookie("session").value
    assert client.get("/cuenta/").status_code == 200
    time.sleep(1.2)
    thief = app.test_client()
    thief.set_cookie("session", cookie)
    assert thief.get("/cuenta/").status_code == 302


def test_logging_out_ends_the_session_for_a_copied_cookie_too(client, app, db, redis):
    _register(client)
    copied = client.get_cookie("session").value
    with client.session_transaction() as sess:
        sid = sess["puente_sid"]
    client.post("/cuenta/salir", data={"csrf_token": _token(client, "/")})
    assert client.get("/cuenta/").status_code == 302
    ttl = redis.ttl(f"puente:session-ended:{sid}")
    assert 0 < ttl <= 8 * 3600   # kept only as long as the session could have lived
    thief = app.test_client()
    thief.set_cookie("session", copied)
    assert thief.get("/cuenta/").status_code == 302
    assert _login(client).status_code == 302 and client.get("/cuenta/").status_code == 200   # a new login works


def test_a_new_password_or_a_deactivated_account_ends_its_sessions(client, db):
    _register(client)
    with db.session() as s:
        s.scalars(select(User)).one().set_password("otra-clave-larga")
    assert client.get("/cuenta/").status_code == 302
    assert _login(client, password="otra-clave-larga").status_code == 302
    assert client.get("/cuenta/").status_code == 200
    with db.session() as s:
        s.scalars(select(User)).one().active = False
    assert client.get("/cuenta/").status_code == 302


# 4. Passwords and rate limits --------------------------------------------------------

def test_passwords_are_scrypt_at_least_werkzeugs_defaults(client, db):
    from werkzeug.security import generate_password_hash

    _register(client)
    with db.session() as s:
        user = s.scalars(select(User)).one()
        method = user.password_hash.split("$", 1)[0]
        assert method == generate_password_hash("x").split("$", 1)[0] == "scrypt:32768:8:1"
        assert user.check_password("una-clave-larga") and not user.check_password("una-clave-largA")


@pytest.fixture
def limited(settings, make_app):
    return make_app(replace(settings, rate_limit_enabled=True, rate_limit="2 per minute"))


def test_login_and_registration_brute_force_get_429_in_the_readers_language(limited, db):
    client = limited.test_client()
    _register(client)
    client.post("/cuenta/salir", data={"csrf_token": _token(client, "/")})
    codes = [_login(client, password=f"intento-{n:04d}").status_code for n in range(10)]
    assert codes == [401] * 10
    resp = _login(client, lang="?lang=pt")
    assert resp.status_code == 429 and "Muitos pedidos. Tente de novo daqui a pouco." in resp.get_data(as_text=True)
    assert _login(client).status_code == 429   # the right password waits too
    # Registration has its own count, per address: the account made above was the first of ten.
    codes = [_register(client, email=f"x{n}@y.co", password="corta").status_code for n in range(10)]
    assert codes == [422] * 9 + [429]


def test_the_api_answers_429_as_json(limited, db):
    client = limited.test_client()
    codes = [client.post("/api/v1/profiles", json={}).status_code for _ in range(3)]
    assert codes[2] == 429 and all(400 <= c < 500 and c != 429 for c in codes[:2])
    body = client.post("/api/v1/profiles", json={}).get_json()
    assert body["error"] == "too_many_requests" and set(body) == {"error", "message", "fields"}


def test_with_redis_down_submissions_and_logins_still_work(settings, make_app, db):
    app = make_app(replace(settings, redis_url="redis://127.0.0.1:1/0", rate_limit_enabled=True))
    client = app.test_client()
    form = {"csrf_token": _token(client, "/profiles/new"), "country": "CO", "summary": "Cocinera", "consent": "on"}
    resp = client.post("/profiles/new", data=form)
    assert resp.status_code == 302 and "delayed=1" in resp.headers["Location"]   # saved; matching waits
    assert client.get(resp.headers["Location"]).status_code == 200
    assert _count(db, Profile) == 1
    assert _register(client).status_code == 302 and client.get("/cuenta/").status_code == 200
    assert client.post("/cuenta/salir", data={"csrf_token": _token(client, "/")}).status_code == 302
    assert client.get("/cuenta/").status_code == 302


# 5. How long the queue keeps jobs ----------------------------------------------------

def test_failed_jobs_are_kept_a_day_by_default():
    assert Settings().failed_job_ttl == 24 * 3600 and Settings().result_ttl == 3600
    env = {"PUENTE_FAILED_JOB_TTL": "600", "PUENTE_RESULT_TTL": "60"}
    assert (load_settings("test", environ=env).failed_job_ttl, load_settings("test", environ=env).result_ttl) == (600, 60)


def test_every_enqueue_passes_the_retention_to_redis(settings, make_app, db, redis):
    from worker.queueing import enqueue_reconcile, job_id, start_rematch

    short = replace(settings, failed_job_ttl=1234, result_ttl=56)
    app = make_app(short)
    client = app.test_client()
    form = {"csrf_token": _token(client, "/profiles/new"), "country": "CO", "summary": "Cocinera", "consent": "on"}
    assert client.post("/profiles/new", data=form).status_code == 302
    with db.session() as s:
        pid = s.scalars(select(Profile.id)).one()
    enqueue_reconcile(redis, short)
    run = start_rematch(redis, short, db, kinds=("profile",))
    for jid in (job_id("profile", pid), "reconcile", f"rematch-{run}-0"):
        stored = redis.hmget(f"rq:job:{jid}", "failure_ttl", "result_ttl")
        assert stored == [b"1234", b"56"], jid


# 6. The dependency audit's verdicts ---------------------------------------------------

def test_the_audit_reads_pins_and_judges_the_registrys_advisories(tmp_path):
    from scripts.audit import judge_project, read_pins

    req = tmp_path / "r.txt"
    req.write_text("# c\n-r other.txt\nFlask==3.1.3  # web\npsycopg[binary]==3.3.9\nloose>=1\n")
    assert read_pins(req) == {"flask": ("Flask", "3.1.3"), "psycopg": ("psycopg", "3.3.9")}
    advisory = {"id": "PYSEC-1", "aliases": ["CVE-1"], "fixed_in": []}
    assert judge_project("2.6.1", {"info": {"version": "2.6.1"}, "vulnerabilities": [advisory]}) == (
        "vulnerable", [advisory])
    assert judge_project("2.6.1", {"info": {"version": "2.6.1"}, "vulnerabilities": []}) == ("ok", [])
    assert judge_project("2.6.0", {"info": {"version": "2.6.1"}, "vulnerabilities": []})[0] == "unaudited"
    withdrawn = {**advisory, "withdrawn": "2026-01-01"}
    assert judge_project("2.6.1", {"info": {"version": "2.6.1"}, "vulnerabilities": [withdrawn]}) == ("ok", [])


@pytest.mark.parametrize("method,url,data", [
    ("get", "/profiles/a%00b", None), ("get", "/profiles/a%00b/edit", None), ("get", "/profiles/a%00b/export", None),
    ("post", "/profiles/a%00b/link", {}), ("get", "/api/v1/suggest?kind=skill&q=a%00", None),
    ("post", "/cuenta/entrar", {"email": "a\x00@b.co", "password": "x"}),
    ("post", "/cuenta/registro", {"email": "a@b.co", "organisation": "Clínica\x00", "password": "una-clave-larga"}),
])
def test_a_nul_byte_anywhere_is_a_400_not_a_database_error(client, db, method, url, data):
    """PostgreSQL answers a NUL in text with an error; the web refuses it first (found by Schemathesis)."""
    if data is not None:   # a valid CSRF token, so that only the NUL can be what is refused
        page = client.get("/cuenta/entrar").get_data(as_text=True)
        data = {**data, "csrf_token": re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)}
        if any("\x00" in v for v in data.values()):
            assert client.post(url, data={k: v.replace("\x00", "") for k, v in data.items()}).status_code != 400
    resp = getattr(client, method)(url, data=data) if data is not None else getattr(client, method)(url)
    assert resp.status_code == 400, (url, resp.status_code)
