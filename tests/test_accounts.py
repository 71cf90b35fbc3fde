"""Employer accounts, the interest-and-consent flow, and the case workers' area."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from models import Interest, Profile, User, Vacancy
from scripts.create_user import create_user
from tests import factories


def _token(client, url: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', client.get(url).get_data(as_text=True)).group(1)


def _register(client, email="rrhh@clinica.co", organisation="Clínica Santa Ana", password="una-clave-larga"):
    return client.post("/cuenta/registro", data={"csrf_token": _token(client, "/cuenta/registro"), "email": email,
                                                 "password": password, "organisation": organisation})


def _login(client, email, password):
    return client.post("/cuenta/entrar", data={"csrf_token": _token(client, "/cuenta/entrar"), "email": email,
                                               "password": password})


def test_register_hashes_the_password_and_logs_in(client, db):
    resp = _register(client)
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/cuenta/")
    with db.session() as s:
        user = s.scalars(select(User)).one()
        assert user.password_hash != "una-clave-larga" and user.password_hash.startswith("scrypt:")
        assert user.employer.name == "Clínica Santa Ana"
    assert "Clínica Santa Ana" in client.get("/cuenta/").get_data(as_text=True)


@pytest.mark.parametrize("change,field", [({"email": "no-es-correo"}, "email"), ({"password": "corta"}, "password"),
                                          ({"organisation": ""}, "organisation")])
def test_register_refuses_bad_input_in_spanish(client, db, change, field):
    data = {"email": "a@b.co", "password": "una-clave-larga", "organisation": "X", **change}
    resp = _register(client, **data)
    assert resp.status_code == 422 and f'id="{field}-error"' in resp.get_data(as_text=True)
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(User)) == 0


def test_login_is_the_same_answer_for_a_wrong_password_and_an_unknown_account(client, db):
    _register(client)
    client.post("/cuenta/salir", data={"csrf_token": _token(client, "/")})
    wrong = _login(client, "rrhh@clinica.co", "otra-clave-larga")
    unknown = _login(client, "nadie@clinica.co", "otra-clave-larga")
    assert wrong.status_code == unknown.status_code == 401
    assert "Correo o contraseña incorrectos." in wrong.get_data(as_text=True)
    assert _login(client, "RRHH@clinica.co", "una-clave-larga").status_code == 302   # e-mail case does not matter
    assert client.get("/cuenta/").status_code == 200


def test_pages_of_an_account_need_a_login(client):
    assert client.get("/cuenta/").status_code == 302
    assert client.get("/admin/").status_code == 302


def _accept_with_a_contact(seeker, employer, pid: str, vid: int) -> str:
    """Accepting needs a contact and a confirmation; nothing is shared without them."""
    seeker_token = _token(seeker, f"/profiles/{pid}")
    answer = f"/profiles/{pid}/vacancies/{vid}"
    resp = seeker.post(f"{answer}/apply", data={"csrf_token": seeker_token, "confirm": "on"})
    assert resp.status_code == 422
    assert "Contacto" in resp.get_data(as_text=True)
    resp = seeker.post(f"{answer}/apply", data={"csrf_token": seeker_token, "contact": "+57 300 123 4567"})
    assert resp.status_code == 422
    assert "Marque la casilla" in resp.get_data(as_text=True)
    assert "+57 300 123 4567" not in employer.get(f"/vacancies/{vid}").get_data(as_text=True)
    seeker.post(f"{answer}/apply", data={"csrf_token": seeker_token, "contact": "+57 300 123 4567", "confirm": "on"})
    return seeker_token


def test_interest_consent_and_contact_flow(client, db, worker_state, app):
    from worker import jobs

    _register(client)
    token = _token(client, "/vacancies/new")
    resp = client.post("/vacancies/new", data={"csrf_token": token, "title": "Enfermero/a de UCI", "country": "CO",
                                                "city": "Cúcuta", "essential_skills": "cuidados intensivos",
                                                "accepts_relocation": "on"})
    vid = int(re.search(r"/vacancies/(\d+)", resp.headers["Location"]).group(1))
    with db.session() as s:
        assert s.get(Vacancy, vid).employer.name == "Clínica Santa Ana"   # the account's organisation
    assert "Enfermero/a de UCI" in client.get("/cuenta/").get_data(as_text=True)

    seeker = app.test_client()
    pid = factories.post(seeker, "profiles", factories.profile())
    jobs.match_vacancy(vid)
    page = client.get(f"/vacancies/{vid}").get_data(as_text=True)   # the account sees candidates without the key
    assert "Candidato 1" in page and "Me interesa" in page
    profile_id = re.search(r'name="profile_id" value="(\d+)"', page).group(1)

    # Another employer cannot see or act on this vacancy's candidates.
    other = app.test_client()
    _register(other, email="otra@empresa.co", organisation="Otra")
    assert "Candidato 1" not in other.get(f"/vacancies/{vid}").get_data(as_text=True)
    assert other.post(f"/vacancies/{vid}/interest", data={"csrf_token": _token(other, "/"),
                                                          "profile_id": profile_id}).status_code == 403

    client.post(f"/vacancies/{vid}/interest", data={"csrf_token": token, "profile_id": profile_id})
    assert "esperando la respuesta" in client.get(f"/vacancies/{vid}").get_data(as_text=True)
    mine = seeker.get(f"/profiles/{pid}").get_data(as_text=True)
    assert "Mis postulaciones y contactos" in mine and "Clínica Santa Ana" in mine and "Responder a la empresa" in mine
    seeker_token = _accept_with_a_contact(seeker, client, pid, vid)
    assert "+57 300 123 4567" in client.get(f"/vacancies/{vid}").get_data(as_text=True)
    assert "+57 300 123 4567" not in other.get(f"/vacancies/{vid}").get_data(as_text=True)

    # She deletes her profile: the interest and the contact go with it.
    seeker.post(f"/profiles/{pid}/delete", data={"csrf_token": seeker_token, "confirm": "on"})
    page = client.get(f"/vacancies/{vid}").get_data(as_text=True)
    assert "+57 300 123 4567" not in page
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(Interest)) == 0
        assert s.scalar(select(func.count()).select_from(Profile)) == 0


PROFILES_CSV = """summary,country,city,nationalities,status,jobs,skills,languages,education_level,education_country,target_countries,relocate,consent
Enfermera de UCI,CO,Cúcuta,VE,ppt,Enfermera:6,cuidados intensivos; canalización de vías,es:native,TSU,VE,CO;PE,sí,sí
Cocinero,PE,Lima,VE,cpp,Cocinero:3,cocina,es:native,,,PE,no,sí
"""


@pytest.fixture
def admin_client(app, settings):
    create_user(settings.database_url, "orienta@ong.org", "clave-de-prueba-1", admin=True)
    client = app.test_client()
    assert _login(client, "orienta@ong.org", "clave-de-prueba-1").headers["Location"].endswith("/admin/")
    return client


def test_only_case_workers_enter_the_admin_area(client, admin_client):
    _register(client)
    assert client.get("/admin/").status_code == 403
    assert client.get("/admin/rq/").status_code == 403
    assert admin_client.get("/admin/").status_code == 200
    assert admin_client.get("/admin/rq/").status_code == 200   # the queue monitor, mounted inside


def _upload(client, kind, text, attest=True):
    from io import BytesIO

    data = {"csrf_token": _token(client, f"/admin/import?kind={kind}"), "kind": kind,
            "file": (BytesIO(text.encode()), "datos.csv")}
    if attest:
        data["attest"] = "on"
    return client.post("/admin/import", data=data, content_type="multipart/form-data")


def test_import_is_all_or_nothing_with_a_row_report(admin_client, db):
    bad = PROFILES_CSV + "Soldador,ZZ,,VE,,Soldador:x,,es:native,,,,,no\n"
    resp = _upload(admin_client, "profiles", bad)
    html = resp.get_data(as_text=True)
    assert resp.status_code == 422 and "Fila 4: " in html and "columna «country»: Elija un país válido." in html
    assert "columna «jobs», elemento 1, años: " in html   # "Soldador:x": words, not "jobs.0.years"
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(Profile)) == 0   # nothing half-imported
    unattested = _upload(admin_client, "profiles", PROFILES_CSV, attest=False)
    assert unattested.status_code == 422
    assert "la casilla de confirmación del consentimiento:" in unattested.get_data(as_text=True)
    resp = _upload(admin_client, "profiles", PROFILES_CSV)
    assert resp.status_code == 200 and "2 filas importadas." in resp.get_data(as_text=True)
    with db.session() as s:
        rows = s.scalars(select(Profile).order_by(Profile.id)).all()
        assert [(p.country, p.legal_status, p.education_level) for p in rows] == [
            ("CO", "ppt", "short_cycle"), ("PE", "cpp", None)]


def test_vacancy_import_shortlist_and_insights(admin_client, db, worker_state):
    from worker import jobs

    csv_text = "title,country,city,essential_skills,languages\nEnfermero/a de UCI,CO,Cúcuta,cuidados intensivos,es\n"
    assert _upload(admin_client, "vacancies", csv_text).status_code == 200
    _upload(admin_client, "profiles", PROFILES_CSV)
    with db.session() as s:
        vid = s.scalars(select(Vacancy.id)).one()
    jobs.match_vacancy(vid)
    shortlist = admin_client.get(f"/admin/vacancies/{vid}/shortlist.csv").get_data(as_text=True)
    header, first = shortlist.splitlines()[:2]
    assert header.startswith("rank,score,ready_now,job_titles") and first.startswith("1,")
    assert "VE" not in first and "ppt" not in first   # the anonymous card only
    page = admin_client.get("/admin/insights").get_data(as_text=True)
    assert "Por país" in page and "Colombia" in page and "Personas que buscan empleo" in page


def test_the_same_organisation_name_does_not_join_an_account(client, app, db):
    _register(client)
    token = _token(client, "/vacancies/new")
    resp = client.post("/vacancies/new", data={"csrf_token": token, "title": "Enfermero/a", "country": "CO"})
    vid = int(re.search(r"/vacancies/(\d+)", resp.headers["Location"]).group(1))
    stranger = app.test_client()
    _register(stranger, email="otro@x.co", organisation="CLÍNICA SANTA ANA")
    assert "Enfermero/a" not in stranger.get("/cuenta/").get_data(as_text=True)
    assert stranger.post(f"/vacancies/{vid}/interest", data={"csrf_token": _token(stranger, "/"),
                                                             "profile_id": "1"}).status_code == 403
    # A vacancy posted without an account under that name does not reach the account either.
    factories.post(stranger, "vacancies", factories.vacancy(employer="Clínica Santa Ana", title="Anónima"))
    assert "Anónima" not in client.get("/cuenta/").get_data(as_text=True)


@pytest.mark.parametrize("target,ok", [("/cuenta/", True), ("//evil.com", False), ("/%09/evil.com", True),
                                       ("/\t/evil.com", False), ("https://evil.com/", False), ("/\\evil.com", False)])
def test_login_goes_back_only_to_this_site(client, db, target, ok):
    _register(client)
    client.post("/cuenta/salir", data={"csrf_token": _token(client, "/")})
    from urllib.parse import quote

    token = _token(client, "/cuenta/entrar")
    resp = client.post(f"/cuenta/entrar?next={quote(target, safe='')}",
                       data={"csrf_token": token, "email": "rrhh@clinica.co", "password": "una-clave-larga"})
    assert resp.status_code == 302
    assert resp.headers["Location"] == (target if ok else "/cuenta/")


def test_odd_ids_are_404_not_500(client, db):
    _register(client)
    resp = client.post("/vacancies/new", data={"csrf_token": _token(client, "/vacancies/new"), "title": "X",
                                                "country": "CO"})
    vid = re.search(r"/vacancies/(\d+)", resp.headers["Location"]).group(1)
    for odd in ("²", "١", "9" * 23, "-1", ""):
        r = client.post(f"/vacancies/{vid}/interest", data={"csrf_token": _token(client, "/"), "profile_id": odd})
        assert r.status_code == 404, odd
    seeker = factories.post(client, "profiles", factories.profile())
    r = client.post(f"/profiles/{seeker}/interests/{'9' * 23}", data={"csrf_token": _token(client, "/")})
    assert r.status_code == 404


def test_shortlist_cells_cannot_run_in_a_spreadsheet():
    from web.security import safe_cell

    assert safe_cell('=HYPERLINK("http://evil")') == '\'=HYPERLINK("http://evil")'
    assert safe_cell("+cmd") == "'+cmd" and safe_cell("@x") == "'@x" and safe_cell("Cúcuta") == "Cúcuta"
    assert safe_cell(3) == 3


def test_import_reads_semicolons_and_old_mac_line_ends_and_names_bad_headers(admin_client, db):
    semi = PROFILES_CSV.replace(",", ";").replace("cuidados intensivos; canalización de vías", "cuidados intensivos")
    semi = semi.replace("CO;PE", "CO").replace("\n", "\r")
    resp = _upload(admin_client, "profiles", semi)
    assert resp.status_code == 200 and "2 filas importadas." in resp.get_data(as_text=True)
    resp = _upload(admin_client, "profiles", "foo,bar\n1,2\n")
    html = resp.get_data(as_text=True)
    assert resp.status_code == 422 and "Columnas desconocidas: foo, bar" in html and "Faltan columnas" in html


def test_the_queue_monitor_may_run_its_scripts_and_buttons(admin_client):
    page = admin_client.get("/admin/rq/")
    assert "'unsafe-eval'" in page.headers["Content-Security-Policy"]
    assert admin_client.get("/").headers["Content-Security-Policy"].count("unsafe") == 1   # style attributes only
    token = admin_client.get_cookie("_csrf_token", path="/admin/rq").value   # set by the page, sent by its script
    assert admin_client.post("/admin/rq/queue/puente-test/queued/empty").status_code == 400   # no token
    assert admin_client.post("/admin/rq/queue/puente-test/queued/empty", headers={"X-CSRFToken": token}).status_code == 200


def test_case_workers_do_not_see_a_contact_given_to_an_employer(client, app, admin_client, db, worker_state):
    from worker import jobs

    posted = factories.api_post(client, "vacancies", json=factories.vacancy()).get_json()
    seeker = app.test_client()
    pid = factories.post(seeker, "profiles", factories.profile())
    jobs.match_vacancy(posted["id"])
    page = client.get(f"/vacancies/{posted['id']}?key={posted['key']}").get_data(as_text=True)
    profile_id = re.search(r'name="profile_id" value="(\d+)"', page).group(1)
    client.post(f"/vacancies/{posted['id']}/interest", data={"csrf_token": _token(client, "/vacancies/new"),
                                                             "key": posted["key"],
                                                             "profile_id": profile_id})
    mine = seeker.get(f"/profiles/{pid}").get_data(as_text=True)
    iid = re.search(r'id="i(\d+)"', mine).group(1)   # the older answer address still works
    seeker.post(f"/profiles/{pid}/interests/{iid}", data={"csrf_token": _token(seeker, f"/profiles/{pid}"),
                                                          "answer": "accept", "contact": "ana@example.org"})
    assert "ana@example.org" in client.get(f"/vacancies/{posted['id']}?key={posted['key']}").get_data(as_text=True)
    assert "ana@example.org" not in admin_client.get(f"/vacancies/{posted['id']}").get_data(as_text=True)
    export = seeker.get(f"/profiles/{pid}/export").get_json()
    assert export["interests"][0]["contact_shared"] == "ana@example.org"


def test_case_workers_start_a_bulk_rematch_and_follow_it(admin_client, redis):
    page = admin_client.get("/admin/rematch").get_data(as_text=True)
    assert "Volver a calcular todo" in page
    resp = admin_client.post("/admin/rematch", data={"csrf_token": _token(admin_client, "/admin/rematch")})
    assert resp.status_code == 302
    assert "Última ejecución: 0 de 0 hechas" in admin_client.get("/admin/rematch").get_data(as_text=True)


def test_the_sample_csv_imports_as_it_is_and_a_repeated_row_is_reported(admin_client, db):
    """Issue 15: a CSV to start from; the same person or post twice is named, not imported twice."""
    for kind in ("profiles", "vacancies"):
        page = admin_client.get(f"/admin/import?kind={kind}").get_data(as_text=True)
        assert f"/admin/import/sample.csv?kind={kind}" in page
        sample = admin_client.get(f"/admin/import/sample.csv?kind={kind}")
        assert sample.status_code == 200 and "attachment" in sample.headers["Content-Disposition"]
        text = sample.get_data(as_text=True)
        assert _upload(admin_client, kind, text).status_code == 200, kind
        lines = text.splitlines()
        again = "\n".join([*lines, lines[1].upper()]) + "\n"   # only the case differs
        resp = _upload(admin_client, kind, again)
        html = resp.get_data(as_text=True)
        assert resp.status_code == 422 and "Fila 4: Esta fila repite la fila 2." in html, re.findall(r"<li>Fila.*?</li>", html)
    assert admin_client.get("/admin/import/sample.csv?kind=x").status_code == 404


def test_the_shortlist_carries_what_a_candidate_shared_and_nothing_before_or_after(admin_client, client, db,
                                                                                  worker_state):
    from models import Interest
    from models.account import PENDING, SHARED, WITHDRAWN
    from worker import jobs

    vid = factories.post(client, "vacancies", factories.vacancy())
    public = factories.post(client, "profiles", factories.profile())
    jobs.match_vacancy(vid)
    pid = factories.profile_id(db, public)

    def row():
        lines = admin_client.get(f"/admin/vacancies/{vid}/shortlist.csv").get_data(as_text=True).splitlines()
        assert lines[0].endswith(",interest,contact,message,candidate_id")
        assert lines[1].endswith(f",{pid}")   # the id the outcomes import takes
        return lines[1].rsplit(",", 1)[0]

    with db.session() as s:
        s.add(Interest(vacancy_id=vid, profile_id=pid, status=PENDING, contact="+57 300 111 2222", message="Hola"))
    assert "+57 300 111 2222" not in row()     # asked, not yet shared
    for status, shown in ((SHARED, True), (WITHDRAWN, False)):
        with db.session() as s:
            s.execute(Interest.__table__.update().values(status=status))
        assert ("+57 300 111 2222" in row()) is shown and (row().endswith("Hola")) is shown
