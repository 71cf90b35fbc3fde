"""In a real browser: headless Debian Chromium driven by Playwright, on a phone-sized
screen, against the app over HTTP and a real `python -m worker` process.

Screenshots of the key pages go to test-output/ (ignored by git). `.ci/run` installs
Debian's chromium; elsewhere these tests are skipped when /usr/bin/chromium is missing.
"""
from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest
import requests

from tests import factories
from tests.conftest import ROOT

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
OUT = ROOT / "test-output"
PHONE = {"width": 390, "height": 844}

# CI (.ci/run sets PUENTE_REQUIRE_BROWSER=1) must not pass by skipping them.
REQUIRED = os.environ.get("PUENTE_REQUIRE_BROWSER") == "1"
pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(not Path(CHROMIUM).exists() and not REQUIRED,
                                 reason="Debian chromium is not installed (.ci/run installs it)")]


@pytest.fixture
def page(request):
    from playwright.sync_api import sync_playwright

    OUT.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        context = browser.new_context(viewport=PHONE, locale="es-CO", device_scale_factor=1)
        context.set_default_timeout(30_000)
        yield context.new_page()
        context.close()
        browser.close()


def shot(page, name: str) -> None:
    page.screenshot(path=str(OUT / f"{name}.png"), full_page=True)


def wait_for_results(page, seconds: int = 60) -> None:
    """The results page refreshes itself while the worker ranks; wait for the outcome."""
    page.wait_for_selector("text=Resultados actualizados", timeout=seconds * 1000)


def _fill_the_profile_form(page) -> None:
    """A Venezuelan nurse in Cúcuta fills in the form, with the suggestions as she types."""
    page.get_by_label("País donde vive *", exact=True).select_option("CO")
    page.get_by_label("Ciudad", exact=True).fill("Cúcuta")
    page.get_by_label("Cuéntenos en pocas palabras qué sabe hacer").fill(
        "TSU en enfermería, 6 años en terapia intensiva; también cocino.")
    # With script, job titles get ESCO suggestions as she types (without it, a plain text box).
    page.locator("#job-0-title").press_sequentially("enfer", delay=50)
    page.locator("#suggest-0 option").first.wait_for(state="attached")
    page.locator("#job-0-title").fill("Enfermera de cuidados intensivos")
    page.locator("#job-0-years").fill("6")
    page.locator("#job-1-title").fill("Cocinera")
    page.locator("#job-1-years").fill("2")
    page.get_by_label("Habilidades", exact=True).fill("cuidados intensivos, cocina, manipulación de alimentos")
    page.get_by_label("Nivel más alto terminado").select_option("short_cycle")
    page.get_by_label("País donde estudió").select_option("VE")
    page.get_by_label("Nacionalidad", exact=True).select_option("VE")
    # Only the statuses of the country she lives in are offered (issue 15), plus "prefer not to say".
    from config.mobility import load_knowledge_base
    assert page.locator("#status option").count() == len(load_knowledge_base().country("CO").statuses) + 1
    page.get_by_label("Situación migratoria en el país donde vive").select_option("CO:ppt")


def _she_deletes_everything(page, private: str, api: str, icu: dict, cook: dict) -> None:
    """She deletes everything; the link stops working and the employers no longer see her."""
    page.goto(private)
    page.get_by_label("Sí, quiero borrar todo").check()
    page.get_by_role("button", name="Borrar mi perfil").click()
    page.wait_for_url(re.compile(r"/\?deleted=1"))
    assert "Su perfil y todos sus datos fueron borrados." in page.locator("main").inner_text()
    shot(page, "05-deleted")
    assert requests.get(private, timeout=5).status_code == 404
    cards = requests.get(f"{api}/vacancies/{icu['id']}/matches", timeout=5,
                         headers={"Authorization": f"Bearer {icu['key']}"}).json()["matches"]
    assert cards == []
    assert requests.get(f"{api}/vacancies/{cook['id']}/matches", timeout=5,
                        headers={"Authorization": f"Bearer {cook['key']}"}).json()["matches"] == []


def test_a_job_seeker_on_a_phone_goes_from_home_to_matches_and_deletes_everything(app, live_server, worker_process,
                                                                                  page):
    api = f"{live_server}/api/v1"
    auth = factories.api_headers(app, "vacancies:write")
    cook = requests.post(f"{api}/vacancies", json=factories.vacancy(factories.COOK_VACANCY), timeout=5,
                         headers=auth).json()
    icu = requests.post(f"{api}/vacancies", json=factories.vacancy(), timeout=5, headers=auth).json()

    page.goto(live_server + "/")
    shot(page, "01-home")
    page.get_by_role("link", name="Crear mi perfil").click()
    _fill_the_profile_form(page)
    shot(page, "02-profile-form")
    page.get_by_role("button", name="Guardar y buscar empleos").click()
    # Without consent nothing is saved: the error is in Spanish, next to the field.
    assert page.locator("#consent-error").inner_text() == "Debe aceptar el uso de sus datos para poder buscar empleos."
    assert page.get_by_label("Ciudad", exact=True).input_value() == "Cúcuta"   # what she typed is kept
    page.get_by_label("Acepto").check()
    page.get_by_role("button", name="Guardar y buscar empleos").click()
    page.wait_for_url(re.compile(r"/profiles/[\w-]+\?new=1"))
    private = page.url.split("?")[0]
    # The private link is written out, with a button that copies it.
    assert page.locator("#private-link").input_value() == private
    assert page.get_by_role("button", name="Copiar el enlace").is_visible()
    wait_for_results(page)
    shot(page, "03-matches")
    assert page.locator("h2", has_text="Sus coincidencias").count() == 1
    assert page.locator(".mark-now", has_text="Puede postularse ya").count() >= 1   # the cook's job, no step
    assert "Cocinero de línea" in page.locator("main").inner_text()
    steps = page.locator("ol.steps").first.inner_text()
    assert "Colombia" in steps   # the recognition of her Venezuelan degree, where and how

    # The same page in Portuguese, remembered on the next page.
    page.get_by_role("link", name="Português").click()
    assert page.locator("html").get_attribute("lang") == "pt"
    assert page.locator("h2", has_text="Suas vagas compatíveis").count() == 1
    shot(page, "04-matches-pt")
    page.get_by_role("link", name="Español").click()

    # The employer of the ICU post sees her card, without nationality or status.
    employer = requests.get(f"{live_server}/vacancies/{icu['id']}?key={icu['key']}", timeout=5).text
    assert "Candidato 1" in employer and "Venezuela" not in employer and "PPT" not in employer

    _she_deletes_everything(page, private, api, icu, cook)


def test_an_employer_posts_a_vacancy_and_sees_ranked_candidates(app, live_server, worker_process, page):
    api = f"{live_server}/api/v1"
    requests.post(f"{api}/profiles", json=factories.profile(), timeout=5,
                  headers=factories.api_headers(app, "profiles:write")).raise_for_status()
    page.goto(live_server + "/vacancies/new")
    page.get_by_label("Cargo *", exact=True).fill("Enfermero/a de UCI")
    page.get_by_label("Descripción").fill("Unidad de cuidados intensivos, turnos rotativos.")
    page.get_by_label("Habilidades imprescindibles").fill("cuidados intensivos, canalización de vías")
    page.get_by_label("País *", exact=True).select_option("CO")
    page.get_by_label("Ciudad", exact=True).fill("Cúcuta")
    shot(page, "06-vacancy-form")
    page.get_by_role("button", name="Publicar y buscar candidatos").click()
    page.wait_for_url(re.compile(r"/vacancies/\d+\?key="))
    assert "Vacante publicada." in page.locator("main").inner_text()
    wait_for_results(page)
    shot(page, "07-candidates")
    card = page.locator("article.card").first.inner_text()
    assert "Candidato 1" in card and "cuidados intensivos" in card
    assert "Puede empezar" in card and "Venezuela" not in card
    # In English, with the private key kept by the language picker.
    page.get_by_role("link", name="English").click()
    assert "Candidate 1" in page.locator("article.card").first.inner_text()
    shot(page, "08-candidates-en")


def test_employer_interest_candidate_consent_and_contact(app, live_server, worker_process):
    """The employer registers, posts a vacancy and expresses interest; the candidate accepts
    and gives a contact; the employer then sees it; the candidate deletes everything."""
    from playwright.sync_api import sync_playwright

    OUT.mkdir(exist_ok=True)
    seeker_link = live_server + "/profiles/" + requests.post(
        f"{live_server}/api/v1/profiles", json=factories.profile(), timeout=5,
        headers=factories.api_headers(app, "profiles:write")).json()["id"]
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        employer = browser.new_context(viewport={"width": 1280, "height": 900}, locale="es-CO").new_page()
        seeker = browser.new_context(viewport=PHONE, locale="es-CO").new_page()
        for pg in (employer, seeker):
            pg.set_default_timeout(30_000)

        employer.goto(live_server + "/cuenta/registro")
        employer.get_by_label("Empresa u organización *").fill("Clínica Santa Ana")
        employer.get_by_label("Correo electrónico *").fill("rrhh@clinica.co")
        employer.get_by_label("Contraseña *").fill("una-clave-larga")
        employer.get_by_role("button", name="Crear la cuenta").click()
        employer.wait_for_url(re.compile(r"/cuenta/$"))
        employer.get_by_role("link", name="Publicar una vacante").first.click()
        employer.get_by_label("Cargo *", exact=True).fill("Enfermero/a de UCI")
        employer.get_by_label("Habilidades imprescindibles").fill("cuidados intensivos")
        employer.get_by_label("País *", exact=True).select_option("CO")
        employer.get_by_role("button", name="Publicar y buscar candidatos").click()
        employer.wait_for_url(re.compile(r"/vacancies/\d+"))
        wait_for_results(employer)
        employer.get_by_role("button", name="Me interesa: pedir sus datos de contacto").first.click()
        employer.wait_for_selector("text=esperando la respuesta de la persona")
        shot(employer, "09-employer-interest-sent")
        vacancy_url = employer.url.split("#")[0]

        seeker.goto(seeker_link)
        seeker.wait_for_selector("text=Mis postulaciones y contactos")
        assert "Clínica Santa Ana" in seeker.locator("#conversaciones ~ article").first.inner_text()
        shot(seeker, "10-seeker-interest")
        seeker.get_by_role("link", name="Responder a la empresa").first.click()
        seeker.get_by_label("¿Cómo puede contactarle esta empresa? (teléfono, WhatsApp o correo)").fill("+57 300 123 4567")
        seeker.get_by_label("Confirmo: esta empresa verá mi contacto, mi mensaje y lo que marqué").check()
        seeker.get_by_role("button", name="Aceptar y compartir").click()
        seeker.wait_for_selector("text=Listo: la empresa ya puede ver lo que compartió.")

        employer.goto(vacancy_url)
        assert "+57 300 123 4567" in employer.locator("main").inner_text()
        shot(employer, "11-employer-sees-contact")

        seeker.goto(seeker_link)
        seeker.get_by_label("Sí, quiero borrar todo").check()
        seeker.get_by_role("button", name="Borrar mi perfil").click()
        seeker.wait_for_url(re.compile(r"/\?deleted=1"))
        employer.goto(vacancy_url)
        text = employer.locator("main").inner_text()
        assert "+57 300 123 4567" not in text and "Candidato 1" not in text
        shot(employer, "12-employer-after-deletion")
        browser.close()


# What the person reads, by the language of their phone.
APPLYING = {
    "es": {"locale": "es-CO", "apply": "Postularme", "contact": "¿Cómo puede contactarle esta empresa? (teléfono, WhatsApp o correo)",
           "message": "Un mensaje para la empresa (opcional)", "summary": "Lo que escribió sobre usted",
           "confirm": "Confirmo: esta empresa verá mi contacto, mi mensaje y lo que marqué",
           "send": "Enviar mi postulación", "sent": "Postulación enviada", "interested": "La empresa está interesada",
           "withdraw_box": "Quiero retirarme: la empresa dejará de ver lo que compartí",
           "withdraw": "Retirar mi postulación", "withdrawn": "La empresa ya no ve su contacto"},
    "pt": {"locale": "pt-BR", "apply": "Candidatar-me", "contact": "Como esta empresa pode falar com você? (telefone, WhatsApp ou e-mail)",
           "message": "Uma mensagem para a empresa (opcional)", "summary": "O que você escreveu sobre si",
           "confirm": "Confirmo: esta empresa verá meu contato, minha mensagem e o que marquei",
           "send": "Enviar minha candidatura", "sent": "Candidatura enviada", "interested": "A empresa tem interesse",
           "withdraw_box": "Quero desistir: a empresa deixará de ver o que compartilhei",
           "withdraw": "Retirar minha candidatura", "withdrawn": "A empresa já não vê o seu contato"},
}


@pytest.mark.parametrize("lang", ["es", "pt"])
def test_a_seeker_on_a_phone_applies_the_employer_sees_it_and_the_seeker_withdraws(app, live_server, worker_process,
                                                                                   lang):
    """From the first match card: the application form, what is shared, the employer's page,
    the employer's interest on the person's page, and the withdrawal (issue 15)."""
    from playwright.sync_api import sync_playwright

    words = APPLYING[lang]
    OUT.mkdir(exist_ok=True)
    posted = requests.post(f"{live_server}/api/v1/vacancies", json=factories.vacancy(), timeout=5,
                           headers=factories.api_headers(app, "vacancies:write")).json()
    seeker_link = live_server + "/profiles/" + requests.post(
        f"{live_server}/api/v1/profiles", timeout=5, headers=factories.api_headers(app, "profiles:write"),
        json=factories.profile(summary="Enfermera de UCI, seis años en Caracas.")).json()["id"]
    employer_url = f"{live_server}/vacancies/{posted['id']}?key={posted['key']}"
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        seeker = browser.new_context(viewport=PHONE, locale=words["locale"]).new_page()
        employer = browser.new_context(viewport={"width": 1280, "height": 900}, locale="es-CO").new_page()
        for pg in (employer, seeker):
            pg.set_default_timeout(30_000)

        seeker.goto(seeker_link)
        seeker.wait_for_selector(".status-done", timeout=60_000)
        seeker.get_by_role("link", name=words["apply"]).first.click()
        seeker.get_by_label(words["contact"]).fill("+57 300 765 4321")
        seeker.get_by_label(words["message"]).fill("Puedo empezar el lunes.")
        seeker.get_by_label(words["summary"]).check()
        shot(seeker, f"15-{lang}-seeker-applies")
        seeker.get_by_label(words["confirm"]).check()
        seeker.get_by_role("button", name=words["send"]).click()
        seeker.wait_for_selector(f"text={words['sent']}")
        shot(seeker, f"16-{lang}-seeker-application-sent")

        employer.goto(employer_url)
        text = employer.locator("#postulaciones ~ article").first.inner_text()
        assert "+57 300 765 4321" in text and "Puedo empezar el lunes." in text and "seis años en Caracas" in text
        employer.get_by_role("button", name="Me interesa", exact=True).first.click()
        employer.wait_for_selector("text=Le interesa")
        shot(employer, f"17-{lang}-employer-sees-application")

        seeker.reload()
        seeker.wait_for_selector(f"text={words['interested']}")
        seeker.get_by_label(words["withdraw_box"]).check()
        seeker.get_by_role("button", name=words["withdraw"]).click()
        seeker.wait_for_selector(f"text={words['withdrawn']}")
        shot(seeker, f"18-{lang}-seeker-withdrew")
        employer.goto(employer_url)
        assert "+57 300 765 4321" not in employer.locator("main").inner_text()
        browser.close()


SAFE = {
    "es": {"locale": "es-CO", "protection": "Lo primero: su protección", "asylum": "Pedir refugio",
           "help": "Ayuda gratuita", "left_out": "Empleos que no le mostramos (2)", "peru": "2 empleos en Perú:",
           "level": "Esta profesión exige en Perú un título de nivel grado universitario."},
    "pt": {"locale": "pt-BR", "protection": "Primeiro: sua proteção", "asylum": "Pedir refúgio",
           "help": "Ajuda gratuita", "left_out": "Vagas que não mostramos a você (2)", "peru": "2 vagas no Peru:",
           "level": "Esta profissão exige no Peru um diploma de nível graduação."},
}
ACCOUNTANT_VACANCY = {
    "title": "Contador/a", "description": "Contabilidad general, conciliaciones bancarias y declaraciones.",
    "essential_skills": ["contabilidad", "conciliación bancaria"], "country": "PE", "city": "Lima",
    "languages": ["es"], "education_level": "bachelor", "experience_years": 2,
}


def _protection_comes_first(page, link: str, words: dict) -> None:
    page.goto(link)
    page.wait_for_selector(".status-done", timeout=60_000)
    main = page.locator("main").inner_text()
    protection = page.locator("#proteccion")
    assert protection.locator("h2").inner_text() == words["protection"]
    assert words["asylum"] in protection.inner_text() and words["help"] in protection.inner_text()
    assert protection.locator("a", has_text="ACNUR").count() >= 1
    # Before any job: the section comes first, and the first step of each card is the safe one.
    assert main.index(words["protection"]) < main.index(page.locator("article.card h3").first.inner_text())
    first_steps = page.locator("article.card ol.steps li:first-child").all_inner_texts()
    assert first_steps and all(words["protection"] in s for s in first_steps)
    # No step that needs a permit she never held, or a window that closed.
    assert "Especial Residente" not in main and "Permiso por Protección Temporal" not in main
    assert "Permissão de Proteção Temporária" not in main


@pytest.mark.parametrize("lang", ["es", "pt"])
def test_on_a_phone_people_without_papers_see_protection_first_and_nothing_is_hidden_without_a_word(
        app, live_server, worker_process, lang):
    """Issue 15, parts 2-4: an undocumented accountant in Lima and an undocumented cook in
    Cúcuta see what protects them before any job, and no step they cannot take; a nurse
    willing to move to Colombia and Peru is told why Peru's nursing jobs are left out, and
    sees none in the countries she did not choose."""
    from playwright.sync_api import sync_playwright

    words = SAFE[lang]
    OUT.mkdir(exist_ok=True)
    api, auth = f"{live_server}/api/v1", factories.api_headers(app, "vacancies:write")
    for body in (ACCOUNTANT_VACANCY, factories.COOK_VACANCY, factories.vacancy(),
                 factories.vacancy(country="PE", city="Lima"), factories.vacancy(country="PE", city="Arequipa"),
                 factories.vacancy(country="BR", city="Boa Vista", languages=[]),
                 factories.vacancy(country="CL", city="Santiago")):
        assert requests.post(f"{api}/vacancies", json=body, timeout=5, headers=auth).status_code == 202
    people = {
        "lima": factories.profile(summary="Contadora pública, cinco años en Caracas.", country="PE", city="Lima",
                                  jobs=[{"title": "Contadora", "years": 5, "country": "VE"}],
                                  skills=["contabilidad", "conciliación bancaria"], target_countries=[],
                                  education={"level": "bachelor", "field": "contaduría", "country": "VE"},
                                  status="irregular", locale=lang),
        "cucuta": factories.profile(summary="Cocinera, cuatro años.", jobs=[{"title": "Cocinera", "years": 4}],
                                    skills=["cocina", "manipulación de alimentos"], target_countries=[],
                                    education={"level": "upper_secondary", "country": "VE"}, status="irregular",
                                    locale=lang),
        "nurse": factories.profile(relocate=True, locale=lang),   # TSU; would move to Colombia and Peru
    }
    links = {k: live_server + "/profiles/" + requests.post(
        f"{api}/profiles", json=body, timeout=5, headers=factories.api_headers(app, "profiles:write")).json()["id"]
        for k, body in people.items()}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        page = browser.new_context(viewport=PHONE, locale=words["locale"]).new_page()
        page.set_default_timeout(30_000)
        for who, name in (("lima", "19"), ("cucuta", "20")):
            _protection_comes_first(page, links[who], words)
            shot(page, f"{name}-{lang}-{who}-without-papers")

        page.goto(links["nurse"])
        page.wait_for_selector(".status-done", timeout=60_000)
        main = page.locator("main").inner_text()
        assert words["left_out"] in main and words["peru"] in main and words["level"] in main
        countries = {c.split(",")[-1].strip() for c in page.locator("article.card p.muted").all_inner_texts()}
        assert page.locator("article.card").count() >= 1
        assert not {"Brasil", "Chile"} & {w for c in countries for w in c.replace("·", " ").split()}
        shot(page, f"21-{lang}-nurse-told-why-peru-is-left-out")
        browser.close()


def _case_worker_reads_learning_fairness_and_placement(browser, live_server: str, settings) -> None:
    """A case worker logs in, queues learning, reads the fairness audit (and its CSV) and
    asks where the people of Colombia could go (issue 17)."""
    from scripts.create_user import create_user

    create_user(settings.database_url, "orienta@ong.org", "clave-de-prueba-1", admin=True)
    page = browser.new_context(viewport={"width": 1280, "height": 900}, locale="es-CO").new_page()
    page.set_default_timeout(30_000)
    page.goto(f"{live_server}/cuenta/entrar")
    page.get_by_label("Correo electrónico").fill("orienta@ong.org")
    page.get_by_label("Contraseña").fill("clave-de-prueba-1")
    page.get_by_role("button", name="Entrar").click()
    page.goto(f"{live_server}/admin/learning")
    assert "Los pesos fijados a mano" in page.locator("main").inner_text()
    page.get_by_role("button", name="Aprender ahora").click()
    page.wait_for_selector("text=El aprendizaje está en la cola")
    page.goto(f"{live_server}/admin/fairness")
    assert "Auditoría de equidad" in page.locator("h1").inner_text()
    csv_text = page.request.get(f"{live_server}/admin/fairness?format=csv").text()
    assert csv_text.startswith("country,attribute,metric")
    page.goto(f"{live_server}/admin/placement")
    page.get_by_label("Personas que viven en").select_option("CO")
    page.get_by_role("button", name="Proponer").click()
    page.wait_for_selector("text=Contrataciones esperadas")
    assert "ICU nurse" in page.locator("table").inner_text()
    shot(page, "20-case-worker-placement")


def test_outcomes_on_a_phone_and_on_the_case_workers_pages(app, live_server, worker_process, settings):
    """The person takes a match off their list and brings it back; the employer reports an
    interview and a hire, which the person sees; a case worker learns, audits and places."""
    from playwright.sync_api import sync_playwright

    OUT.mkdir(exist_ok=True)
    posted = requests.post(f"{live_server}/api/v1/vacancies", json=factories.vacancy(), timeout=5,
                           headers=factories.api_headers(app, "vacancies:write")).json()
    private = requests.post(f"{live_server}/api/v1/profiles", timeout=5, headers=factories.api_headers(app, "profiles:write"),
                            json=factories.profile(summary="Enfermera de UCI, seis años en Caracas.")).json()["id"]
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        seeker = browser.new_context(viewport=PHONE, locale="es-CO").new_page()
        seeker.set_default_timeout(30_000)
        seeker.goto(f"{live_server}/profiles/{private}")
        seeker.wait_for_selector(".status-done", timeout=60_000)
        seeker.get_by_text("No es para mí").first.click()
        seeker.get_by_label("Queda lejos o en un lugar donde no trabajaría").check()
        shot(seeker, "19-seeker-not-for-me")
        seeker.get_by_role("button", name="Quitar de mi lista").click()
        seeker.wait_for_selector("text=Quitadas de su lista (1)")
        assert "Sus coincidencias" not in seeker.locator("main").inner_text()
        seeker.get_by_role("button", name="Volver a mostrar").click()
        seeker.wait_for_selector("text=Sus coincidencias (1)")

        requests.post(f"{live_server}/api/v1/profiles/{private}/applications", timeout=5,
                      json={"vacancy_id": posted["id"], "contact": "+57 300 765 4321"})
        employer = browser.new_context(viewport={"width": 1280, "height": 900}, locale="es-CO").new_page()
        employer.set_default_timeout(30_000)
        employer.goto(f"{live_server}/vacancies/{posted['id']}?key={posted['key']}")
        employer.get_by_role("button", name="Entrevista acordada").click()
        employer.wait_for_selector(".status-interview")
        employer.get_by_role("button", name="Contratada").click()
        employer.wait_for_selector(".status-hired")
        seeker.reload()
        seeker.wait_for_selector("text=La empresa registró su contratación")
        _case_worker_reads_learning_fairness_and_placement(browser, live_server, settings)
        browser.close()
