"""Languages of the pages, the translation catalogues, security headers and rate limits."""
from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path
from urllib.parse import unquote

import pytest
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

from tests import factories

TRANSLATIONS = Path(__file__).resolve().parent.parent / "web" / "translations"


def test_every_marked_text_is_in_the_catalogues(tmp_path):
    """Extract the texts now: a new _() that was never extracted would otherwise pass."""
    import subprocess
    import sys

    root = TRANSLATIONS.parent.parent
    out = tmp_path / "now.pot"
    subprocess.run([sys.executable, "-m", "babel.messages.frontend", "extract", "-F", "babel.cfg", "-k", "lazy_gettext",
                    "-k", "_l", "--no-location", "-o", str(out), "."], cwd=root, check=True, capture_output=True)
    with open(out, "rb") as fh:
        now = {m.id if isinstance(m.id, str) else m.id[0] for m in read_po(fh) if m.id}
    for locale in ("pt", "en"):
        with open(TRANSLATIONS / locale / "LC_MESSAGES" / "messages.po", "rb") as fh:
            have = {m.id if isinstance(m.id, str) else m.id[0] for m in read_po(fh, locale=locale) if m.id}
        assert not now - have, f"{locale}: run the pybabel commands in web/i18n.py for {sorted(now - have)[:5]}"


@pytest.mark.parametrize("locale", ["pt", "en"])
def test_catalogue_is_complete_and_compiled(locale):
    with open(TRANSLATIONS / locale / "LC_MESSAGES" / "messages.po", "rb") as fh:
        po = read_po(fh, locale=locale)
    with open(TRANSLATIONS / "messages.pot", "rb") as fh:
        pot = read_po(fh)
    missing = [m.id for m in po if m.id and not (all(m.string) if isinstance(m.string, tuple) else m.string)]
    assert not missing, missing
    assert not [m.id for m in po if m.id and m.fuzzy]
    assert {m.id for m in pot if m.id} <= {m.id for m in po if m.id}, "run pybabel update (see web/i18n.py)"
    for m in po:   # every placeholder of the source is kept
        if m.id:
            ids = m.id if isinstance(m.id, tuple) else (m.id,)
            strings = m.string if isinstance(m.string, tuple) else (m.string,)
            want = set(re.findall(r"%\(\w+\)[sd]", " ".join(ids)))
            assert all(set(re.findall(r"%\(\w+\)[sd]", s)) <= want for s in strings), m.id
    with open(TRANSLATIONS / locale / "LC_MESSAGES" / "messages.mo", "rb") as fh:
        mo = read_mo(fh)
    def entries(catalog):
        return {tuple(m.id) if isinstance(m.id, (list, tuple)) else m.id:
                tuple(m.string) if isinstance(m.string, (list, tuple)) else m.string for m in catalog if m.id}

    assert entries(mo) == entries(po), "run: pybabel compile -d web/translations"


@pytest.mark.parametrize("locale,heading,lang_name", [
    ("es", "Crear mi perfil", "Español"), ("pt", "Criar", "Português"), ("en", "Create", "English")])
def test_pages_follow_the_chosen_language_and_remember_it(client, locale, heading, lang_name):
    page = client.get(f"/profiles/new?lang={locale}")
    html = page.get_data(as_text=True)
    assert f'<html lang="{locale}">' in html and heading in html
    assert f'aria-current="true">{lang_name}</strong>' in html
    again = client.get("/").get_data(as_text=True)   # the cookie remembers the choice
    assert f'<html lang="{locale}">' in again


def test_browser_language_is_used_without_a_choice(client):
    html = client.get("/", headers={"Accept-Language": "pt-BR,pt;q=0.9"}).get_data(as_text=True)
    assert '<html lang="pt">' in html
    assert '<html lang="es">' in client.get("/", headers={"Accept-Language": "fr"}).get_data(as_text=True)


def test_form_errors_and_options_in_portuguese(client):
    page = client.get("/profiles/new?lang=pt").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    assert "Português" in page and "Nível" in page
    resp = client.post("/profiles/new", data={"csrf_token": token, "country": "", "summary": "x"})
    html = resp.get_data(as_text=True)
    assert resp.status_code == 422 and "Este campo é obrigatório." in html


def test_the_language_picker_keeps_a_private_key(client):
    posted = factories.api_post(client, "vacancies", json=factories.vacancy()).get_json()
    html = client.get(f"/vacancies/{posted['id']}?key={posted['key']}").get_data(as_text=True)
    assert f"key={posted['key']}&amp;lang=en" in html


def test_security_headers(client):
    resp = client.get("/")
    assert "default-src 'self'" in resp.headers["Content-Security-Policy"]
    assert resp.headers["Referrer-Policy"] == "no-referrer"   # private links carry their token
    assert resp.headers["X-Frame-Options"] == "DENY" and resp.headers["X-Content-Type-Options"] == "nosniff"


def _form_token(client, address: str = "/profiles/new") -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', client.get(address).get_data(as_text=True)).group(1)


def test_submissions_are_rate_limited(settings, make_app):
    app = make_app(replace(settings, rate_limit_enabled=True, rate_limit="2 per minute"))
    client = app.test_client()
    codes = [factories.api_post(client, "profiles", json=factories.profile()).status_code for _ in range(3)]
    assert codes == [202, 202, 429]
    resp = factories.api_post(client, "profiles", json=factories.profile())
    assert resp.status_code == 429 and resp.get_json()["error"] == "too_many_requests"
    form = {"csrf_token": _form_token(client), "country": "CO", "summary": "Cocinera", "consent": "on"}
    page = client.post("/profiles/new?lang=es", data=form)   # the same address: its count is used up
    assert page.status_code == 429 and "Demasiadas solicitudes" in page.get_data(as_text=True)
    assert client.get("/profiles/new").status_code == 200   # reading is not limited


def test_one_submission_limit_per_address_across_forms_and_the_api(settings, make_app):
    """Five submissions a minute from one address, through four doors (README: submissions,
    by form or API, per client address): the sixth is refused wherever it comes from, and
    another address still submits."""
    app = make_app(replace(settings, rate_limit_enabled=True, rate_limit="5 per minute"))
    client, other = app.test_client(), app.test_client()
    there = {"REMOTE_ADDR": "198.51.100.8"}   # the test client's own is 127.0.0.1
    token = _form_token(client)
    profile_form = {"csrf_token": token, "country": "CO", "summary": "Cocinera", "consent": "on"}
    vacancy_form = {"csrf_token": token, "title": "Cocinero/a", "country": "CO", "city": "Bogotá"}
    pid = factories.post(client, "profiles", factories.profile())   # 1: the API
    codes = [
        client.post("/profiles/new", data=profile_form).status_code,           # 2: a form
        client.post("/vacancies/new", data=vacancy_form).status_code,          # 3: another form
        factories.api_post(client, "vacancies", json=factories.vacancy()).status_code,  # 4: the API
        client.put(f"/api/v1/profiles/{pid}", json=factories.profile()).status_code,  # 5
    ]
    assert codes == [302, 302, 202, 202], codes
    refused = [client.post("/profiles/new", data=profile_form),
               client.post("/vacancies/new", data=vacancy_form),
               factories.api_post(client, "profiles", json=factories.profile()),
               client.put(f"/api/v1/profiles/{pid}", json=factories.profile())]
    assert [r.status_code for r in refused] == [429] * 4
    assert "Demasiadas solicitudes" in refused[0].get_data(as_text=True)
    assert refused[2].get_json()["error"] == "too_many_requests" and refused[2].headers["Retry-After"]
    assert factories.api_post(other, "profiles", json=factories.profile(), environ_base=there).status_code == 202


def test_an_app_counts_in_redis_even_after_another_app_saw_redis_down(settings, make_app, redis):
    """The limiter's "storage unreachable, count in memory" state belonged to the module's one
    Limiter and outlived the app that saw Redis down: the next app (a test, or an app factory
    call after a reload) counted in memory until a back-off ran out, and a limit test saw its
    count restart in the middle (CI, 2026-12-05). A new app starts counting in its own store."""
    away = make_app(replace(settings, redis_url="redis://127.0.0.1:1/0", rate_limit_enabled=True))
    for _ in range(2):   # the first marks the store dead, the second starts the back-off
        assert factories.api_post(away.test_client(), "profiles", json=factories.profile()).status_code == 202
    app = make_app(replace(settings, rate_limit_enabled=True, rate_limit="2 per minute"))
    client = app.test_client()
    codes = [factories.api_post(client, "profiles", json=factories.profile()).status_code for _ in range(3)]
    assert codes == [202, 202, 429]
    assert any(b"puente-limits" in key for key in redis.scan_iter()), ("counted in memory, not in Redis", list(redis.scan_iter()))


def test_the_readme_says_what_the_submission_limit_counts():
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text()
    row = next(line for line in readme.splitlines() if line.startswith("| `PUENTE_RATE_LIMIT` |"))
    assert "by form or API" in row and "per client address" in row


def test_suggestions_come_from_esco_labels_in_the_readers_language(client):
    body = client.get("/api/v1/suggest?kind=occupation&lang=en&q=nurs").get_json()
    assert body["suggestions"] and all("nurs" in s.lower() for s in body["suggestions"])
    assert len(body["suggestions"]) <= 10
    assert client.get("/api/v1/suggest?kind=skill&lang=en&q=x").get_json() == {"suggestions": []}   # too short
    assert client.get("/api/v1/suggest?kind=planet&q=ab").status_code == 400


def test_label_index_matches_any_word_start_without_accents():
    from matching.taxonomy import Concept, Taxonomy
    from web.suggest import LabelIndex

    tax = Taxonomy([Concept("o1", {"es": ["enfermero de cuidados intensivos"]}),
                    Concept("o2", {"es": ["técnico en enfermería"]}), Concept("o3", {"es": ["cocinero"]})], [])
    index = LabelIndex(tax)
    assert index.search("enfer", "occupation", "es") == ["enfermero de cuidados intensivos", "técnico en enfermería"]
    assert index.search("TECNICO", "occupation", "es") == ["técnico en enfermería"]
    assert index.search("cuidados", "occupation", "es") == ["enfermero de cuidados intensivos"]


@pytest.mark.parametrize("locale", ["es", "pt", "en"])
def test_validation_messages_come_from_the_catalogues_by_error_type(locale):
    from pydantic import ValidationError

    from web.schemas import ProfileIn
    from web.validation import MESSAGES, field_errors, message

    translated = {}
    if locale != "es":
        with open(TRANSLATIONS / locale / "LC_MESSAGES" / "messages.po", "rb") as fh:
            translated = {m.id: m.string for m in read_po(fh, locale=locale) if m.id}
    for key, source in MESSAGES.items():
        want = translated[source] if locale != "es" else source   # Spanish is the source language
        assert want and message(key, locale, max=3, min=1, country="CO") == (
            want % {"max": 3, "min": 1, "country": "CO"} if "%(" in want else want), key
    # Chosen by the error's type, whatever pydantic's English says.
    with pytest.raises(ValidationError) as caught:
        ProfileIn.model_validate({"country": "ZZ", "consent": True, "skills": ["a\x00b"],
                                  "jobs": [{"title": "...", "years": 99}]})
    errors = field_errors(caught.value, locale, ProfileIn)
    assert errors["country"] == message("country_code", locale)
    assert errors["skills"] == message("control_character", locale)
    assert errors["jobs.0.title"] == message("no_words", locale)
    assert errors["jobs.0.years"] == message("range", locale, min="0", max="60")


def _language_links(html: str) -> list[str]:
    nav = re.search(r'<nav class="langs".*?</nav>', html, re.DOTALL).group(0)
    return [h.replace("&amp;", "&") for h in re.findall(r'href="([^"]*)"', nav)]


def _stays_here(href: str) -> bool:
    """Whether a browser (WHATWG URL parsing: a backslash counts as a slash) keeps `href` on this site."""
    return "\\" not in href and (href.startswith("?") or (href.startswith("/") and not href.startswith("//")))


@pytest.mark.parametrize("address", ["/%5Cevil.example", "//evil.example", "/%5C%5Cevil.example/x",
                                     "/%2F%2Fevil.example", "/profiles/%5Cevil.example"])
def test_language_links_on_a_page_not_found_stay_on_this_site(client, address):
    # The raw path as a server hands it over (the test client would read "//host" as another host).
    resp = client.get("/", query_string="lang=es", environ_overrides={"PATH_INFO": unquote(address),
                                                                      "RAW_URI": address + "?lang=es"})
    links = _language_links(resp.get_data(as_text=True))
    assert resp.status_code == 404 and len(links) == 2, links
    assert all(_stays_here(h) for h in links), links
    assert {h.rsplit("lang=", 1)[1] for h in links} == {"pt", "en"}


def test_language_links_are_built_from_the_route(client):
    links = _language_links(client.get("/profiles/new?x=1&lang=es").get_data(as_text=True))
    assert links == ["/profiles/new?x=1&lang=pt", "/profiles/new?x=1&lang=en"]
    resp = client.get("/profiles/no-such-id")   # a route took it; its view answered 404
    assert resp.status_code == 404
    assert _language_links(resp.get_data(as_text=True))[0] == "/profiles/no-such-id?lang=pt"
