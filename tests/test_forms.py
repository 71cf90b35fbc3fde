"""The HTML forms: CSRF, Spanish messages on the right fields, input kept, nothing half-saved."""
from __future__ import annotations

import re

from sqlalchemy import func, select

from models import Profile, Vacancy


def _token(client, url: str) -> str:
    html = client.get(url).get_data(as_text=True)
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def _count(db, model) -> int:
    with db.session() as s:
        return s.scalar(select(func.count()).select_from(model))


GOOD_PROFILE = {
    "country": "CO", "city": "Cúcuta", "summary": "Enfermera con 6 años en UCI",
    "job-0-title": "Enfermera", "job-0-years": "6", "job-0-country": "VE", "job-0-description": "",
    "skills": "cuidados intensivos, canalización de vías", "lang-0-code": "es", "lang-0-level": "native",
    "education-level": "short_cycle", "education-country": "VE", "nationality-0": "VE",
    "status": "CO:ppt", "target_countries": ["CO", "PE"], "consent": "on",
}


def test_pages_render(client):
    for url in ("/", "/profiles/new", "/vacancies/new"):
        resp = client.get(url)
        assert resp.status_code == 200 and 'lang="es"' in resp.get_data(as_text=True), url


def test_post_without_csrf_token_is_refused(client, db):
    resp = client.post("/profiles/new", data=GOOD_PROFILE)
    assert resp.status_code == 400
    assert _count(db, Profile) == 0


def test_valid_profile_redirects_to_its_private_page(client, db):
    data = {**GOOD_PROFILE, "csrf_token": _token(client, "/profiles/new")}
    resp = client.post("/profiles/new", data=data)
    assert resp.status_code == 302 and "/profiles/" in resp.headers["Location"]
    page = client.get(resp.headers["Location"]).get_data(as_text=True)
    assert "Su perfil está guardado" in page and "En cola" in page
    assert 'http-equiv="refresh"' in page  # the page follows the run without JavaScript
    with db.session() as s:
        p = s.scalars(select(Profile)).one()
        assert p.jobs[0]["title"] == "Enfermera" and p.skills == ["cuidados intensivos", "canalización de vías"]
        assert p.target_countries == ["CO", "PE"] and p.consent_version


def test_invalid_profile_shows_spanish_messages_on_the_fields_and_keeps_input(client, db):
    data = {**GOOD_PROFILE, "csrf_token": _token(client, "/profiles/new"), "country": "",
            "job-0-title": "", "job-1-title": "Cocinero", "job-1-years": "-3"}
    del data["consent"]
    resp = client.post("/profiles/new", data=data)
    assert resp.status_code == 422
    html = resp.get_data(as_text=True)
    assert 'id="country-error">Este campo es obligatorio.' in html
    assert 'id="consent-error">Debe aceptar el uso de sus datos' in html
    assert 'id="job-1-years-error">Escriba un número entre 0 y 60.' in html  # the second row, not the first
    assert 'id="job-0-title-error">Este campo es obligatorio.' in html
    assert 'value="Cúcuta"' in html and "cuidados intensivos, canalización de vías" in html
    assert 'aria-invalid="true" aria-describedby="country-error"' in html
    assert '<a href="#country">País donde vive: Este campo es obligatorio.</a>' in html
    assert _count(db, Profile) == 0


def test_empty_profile_asks_for_something_to_match(client, db):
    data = {"csrf_token": _token(client, "/profiles/new"), "country": "CO", "consent": "on", "lang-0-code": "",
            "lang-0-level": ""}
    html = client.post("/profiles/new", data=data).get_data(as_text=True)
    assert 'id="summary-error">Cuéntenos algo de usted' in html


def test_vacancy_form(client, db):
    token = _token(client, "/vacancies/new")
    bad = client.post("/vacancies/new", data={"csrf_token": token, "title": "", "country": "CO", "openings": "0"})
    html = bad.get_data(as_text=True)
    assert bad.status_code == 422 and 'id="title-error"' in html and 'id="openings-error"' in html
    assert _count(db, Vacancy) == 0
    good = client.post("/vacancies/new", data={"csrf_token": token, "title": "Cocinero", "country": "CO",
                                               "city": "Cúcuta", "essential_skills": "cocina, parrilla",
                                               "languages": ["es"], "accepts_relocation": "on"})
    assert good.status_code == 302
    page = client.get(good.headers["Location"]).get_data(as_text=True)
    assert "Vacante publicada" in page and "parrilla" in page


def test_unknown_pages_are_friendly_404(client):
    resp = client.get("/profiles/does-not-exist")
    assert resp.status_code == 404 and "No encontramos esta página" in resp.get_data(as_text=True)


def test_expired_form_keeps_what_was_typed(client, db):
    resp = client.post("/profiles/new", data={**GOOD_PROFILE, "csrf_token": "expired-or-forged"})
    html = resp.get_data(as_text=True)
    assert resp.status_code == 400 and "El formulario caducó" in html
    assert 'value="Cúcuta"' in html and 'name="csrf_token" value="' in html
    assert _count(db, Profile) == 0


def test_limits_are_named_and_decimal_comma_is_accepted(client, db):
    token = _token(client, "/profiles/new")
    html = client.post("/profiles/new", data={**GOOD_PROFILE, "csrf_token": token, "job-0-years": "70"}).get_data(
        as_text=True)
    assert "Escriba un número entre 0 y 60." in html
    resp = client.post("/profiles/new", data={**GOOD_PROFILE, "csrf_token": token, "job-0-years": "2,5"})
    assert resp.status_code == 302
    with db.session() as s:
        assert s.scalars(select(Profile)).one().jobs[0]["years"] == 2.5


def test_repeated_language_is_reported_on_the_language(client):
    data = {**GOOD_PROFILE, "csrf_token": _token(client, "/profiles/new"), "lang-1-code": "es", "lang-1-level": "basic"}
    html = client.post("/profiles/new", data=data).get_data(as_text=True)
    assert 'id="lang-0-code-error">Hay un idioma repetido.' in html


def test_candidates_show_only_with_the_private_link(client, db):
    token = _token(client, "/vacancies/new")
    resp = client.post("/vacancies/new", data={"csrf_token": token, "title": "Cocinero", "country": "CO"})
    private = resp.headers["Location"]
    assert "key=" in private
    assert "Candidatos" in client.get(private).get_data(as_text=True)
    public = private.split("?")[0]
    page = client.get(public).get_data(as_text=True)
    assert "Cocinero" in page and "Candidatos" not in page


def test_profile_page_deletes_after_confirmation(client, db):
    data = {**GOOD_PROFILE, "csrf_token": _token(client, "/profiles/new")}
    page_url = client.post("/profiles/new", data=data).headers["Location"].split("?")[0]
    token = _token(client, page_url)
    unconfirmed = client.post(page_url + "/delete", data={"csrf_token": token})
    assert unconfirmed.status_code == 302 and _count(db, Profile) == 1
    done = client.post(page_url + "/delete", data={"csrf_token": token, "confirm": "on"})
    assert done.status_code == 302 and _count(db, Profile) == 0
    assert "fueron borrados" in client.get(done.headers["Location"]).get_data(as_text=True)
    assert client.get(page_url).status_code == 404
