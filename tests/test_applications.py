"""A person applies to a vacancy, the employer answers, the person withdraws: one
conversation (models.Interest) whoever began it, on pages and in the API (issue 15, part 1)."""
from __future__ import annotations

import re

from sqlalchemy import func, select, update

from models import Interest, Profile, Vacancy
from tests import factories
from worker import jobs


def _token(client, address: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', client.get(address).get_data(as_text=True)).group(1)


def _posted(client, matcher, db):
    """A vacancy (with its key) and a nurse's profile, both ranked."""
    posted = factories.api_post(client, "vacancies", json=factories.vacancy()).get_json()
    pid = factories.post(client, "profiles", factories.profile(summary="Enfermera de UCI, 6 años en Caracas."))
    jobs.match_vacancy(posted["id"], matcher)
    with db.session() as s:
        jobs.match_profile(s.scalars(select(Profile.id).where(Profile.public_id == pid)).one(), matcher)
    return posted["id"], posted["key"], pid


def _the_employer_reads_and_answers(employer, seeker, db, vid: int, key: str, pid: str) -> None:
    """The employer sees the application beside the candidates: the contact, the message, the
    summary it was given, not the work history it was not; the person sees it read, then
    the employer's interest; the export says what was shared, with whom and when."""
    employer_page = employer.get(f"/vacancies/{vid}?key={key}").get_data(as_text=True)
    for shown in ("Postulaciones (1)", "+57 300 123 4567", "Puedo empezar el lunes.",
                  "Enfermera de UCI, 6 años en Caracas."):
        assert shown in employer_page
    assert "Trabajos:" not in employer_page
    assert "La empresa vio su postulación" in seeker.get(f"/profiles/{pid}").get_data(as_text=True)
    with db.session() as s:
        iid = s.scalars(select(Interest.id)).one()
    employer.post(f"/vacancies/{vid}/applications/{iid}",
                  data={"csrf_token": _token(employer, f"/vacancies/{vid}?key={key}"), "key": key, "status": "interested"})
    assert "La empresa está interesada" in seeker.get(f"/profiles/{pid}").get_data(as_text=True)
    export = seeker.get(f"/profiles/{pid}/export").get_json()["interests"]
    assert [(c["status"], c["started_by"], c["contact_shared"], c["parts_shared"]) for c in export] == [
        ("interested", "seeker", "+57 300 123 4567", ["summary"])]
    assert export[0]["answered_at"]
    assert export[0]["seen_at"]


def test_a_person_applies_from_a_card_the_employer_answers_and_the_person_withdraws(app, db, matcher):
    employer, seeker = app.test_client(), app.test_client()
    vid, key, pid = _posted(employer, matcher, db)
    results = seeker.get(f"/profiles/{pid}").get_data(as_text=True)
    page_address = f"/profiles/{pid}/vacancies/{vid}"
    assert f'href="{page_address}#conversacion"' in results and "Postularme" in results

    page = seeker.get(page_address).get_data(as_text=True)
    assert "Volver a mis empleos" in page and "Enviar mi postulación" in page and "Cómo coincide con usted" in page
    token = _token(seeker, page_address)
    form = {"csrf_token": token, "contact": "+57 300 123 4567", "message": "Puedo empezar el lunes.",
            "share": ["summary"]}
    # Nothing is shared before the person confirms.
    refused = seeker.post(f"{page_address}/apply", data=form)
    assert refused.status_code == 422 and "Marque la casilla" in refused.get_data(as_text=True)
    assert "+57 300 123 4567" in refused.get_data(as_text=True)   # what was typed is kept
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(Interest)) == 0
    sent = seeker.post(f"{page_address}/apply", data={**form, "confirm": "on"})
    assert sent.status_code == 302
    assert "Postulación enviada" in seeker.get(page_address).get_data(as_text=True)

    _the_employer_reads_and_answers(employer, seeker, db, vid, key, pid)

    # Withdrawing needs a confirmation, then the employer no longer sees what was shared.
    assert seeker.post(f"{page_address}/withdraw", data={"csrf_token": token}).status_code == 422
    assert seeker.post(f"{page_address}/withdraw", data={"csrf_token": token, "confirm": "on"}).status_code == 302
    employer_page = employer.get(f"/vacancies/{vid}?key={key}").get_data(as_text=True)
    assert "+57 300 123 4567" not in employer_page and "Puedo empezar" not in employer_page
    assert "Postulaciones (0)" in employer_page and "retiró su postulación" in employer_page
    assert "Se retiró" in seeker.get(page_address).get_data(as_text=True)


def test_an_employers_interest_and_an_application_are_one_conversation(app, db, matcher):
    employer, seeker = app.test_client(), app.test_client()
    vid, key, pid = _posted(employer, matcher, db)
    with db.session() as s:
        profile_id = s.scalars(select(Profile.id).where(Profile.public_id == pid)).one()
    employer.post(f"/vacancies/{vid}/interest", data={"csrf_token": _token(employer, f"/vacancies/{vid}?key={key}"), "key": key,
                                                      "profile_id": profile_id})
    page_address = f"/profiles/{pid}/vacancies/{vid}"
    page = seeker.get(page_address).get_data(as_text=True)
    assert "Esta empresa quiere hablar con usted" in page and "Aceptar y compartir" in page
    seeker.post(f"{page_address}/apply", data={"csrf_token": _token(seeker, page_address), "contact": "ana@example.org",
                                               "share": ["jobs", "education"], "confirm": "on"})
    with db.session() as s:
        rows = list(s.scalars(select(Interest)))
    assert [(r.started_by, r.status, r.shared) for r in rows] == [("employer", "shared", ["jobs", "education"])]
    # Applying again while sharing is refused, in words.
    again = seeker.post(f"{page_address}/apply", data={"csrf_token": _token(seeker, page_address),
                                                       "contact": "ana@example.org", "confirm": "on"})
    assert again.status_code == 409 and "Ya compartió sus datos" in again.get_data(as_text=True)


def test_a_closed_vacancy_takes_no_application_and_a_deletion_takes_the_conversation(app, db, matcher):
    employer, seeker = app.test_client(), app.test_client()
    vid, key, pid = _posted(employer, matcher, db)
    page_address = f"/profiles/{pid}/vacancies/{vid}"
    seeker.post(f"{page_address}/apply", data={"csrf_token": _token(seeker, page_address), "contact": "ana@example.org",
                                               "confirm": "on"})
    other = factories.api_post(employer, "vacancies", json=factories.vacancy(title="Enfermero/a de planta")).get_json()
    with db.session() as s:
        s.execute(update(Vacancy).where(Vacancy.id == other["id"]).values(status="closed"))
        s.commit()
    closed = f"/profiles/{pid}/vacancies/{other['id']}"
    assert "ya está cerrada" in seeker.get(closed).get_data(as_text=True)
    refused = seeker.post(f"{closed}/apply", data={"csrf_token": _token(seeker, f"/profiles/{pid}"), "contact": "ana@example.org",
                                                   "confirm": "on"})
    assert refused.status_code == 409 and "ya está cerrada" in refused.get_data(as_text=True)
    seeker.post(f"/profiles/{pid}/delete", data={"csrf_token": _token(seeker, f"/profiles/{pid}"), "confirm": "on"})
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(Interest)) == 0
    assert "ana@example.org" not in employer.get(f"/vacancies/{vid}?key={key}").get_data(as_text=True)


def test_the_application_form_speaks_portuguese_and_names_the_fields(app, db, matcher):
    employer, seeker = app.test_client(), app.test_client()
    vid, _, pid = _posted(employer, matcher, db)
    page_address = f"/profiles/{pid}/vacancies/{vid}?lang=pt"
    assert "Candidatar-me" in seeker.get(page_address).get_data(as_text=True)
    resp = seeker.post(f"/profiles/{pid}/vacancies/{vid}/apply",
                       data={"csrf_token": _token(seeker, page_address), "contact": "a", "confirm": "on"})
    body = resp.get_data(as_text=True)
    assert resp.status_code == 422 and 'href="#contact"' in body and 'lang="pt"' in body


def test_the_api_applies_lists_answers_and_withdraws(app, db, matcher):
    employer, seeker = app.test_client(), app.test_client()
    vid, key, pid = _posted(employer, matcher, db)
    base = f"/api/v1/profiles/{pid}/applications"
    bad = seeker.post(base, json={"vacancy_id": vid, "contact": "", "share": ["nationality"]})
    assert bad.status_code == 422 and {"contact", "share.0"} <= set(bad.get_json()["fields"])
    assert seeker.post(base, json={"vacancy_id": 999999, "contact": "ana@example.org"}).status_code == 404
    made = seeker.post(base, json={"vacancy_id": vid, "contact": "ana@example.org", "message": "Hola",
                                   "share": ["summary"]})
    assert made.status_code == 201 and made.get_json()["status"] == "shared"
    assert seeker.post(base, json={"vacancy_id": vid, "contact": "ana@example.org"}).status_code == 409
    assert [c["vacancy_id"] for c in seeker.get(base).get_json()["applications"]] == [vid]

    listed = employer.get(f"/api/v1/vacancies/{vid}/applications")
    assert listed.status_code == 401
    listed = employer.get(f"/api/v1/vacancies/{vid}/applications", headers={"X-Vacancy-Key": key}).get_json()
    (one,) = listed["applications"]
    assert (one["contact"], one["message"], one["jobs"], one["rank"]) == ("ana@example.org", "Hola", None, 1)
    assert one["summary"].startswith("Enfermera de UCI")
    answered = employer.post(f"/api/v1/vacancies/{vid}/applications/{one['id']}", headers={"X-Vacancy-Key": key},
                             json={"status": "not_selected"})
    assert answered.status_code == 200 and answered.get_json()["status"] == "not_selected"
    assert seeker.get(base).get_json()["applications"][0]["status"] == "not_selected"

    assert seeker.delete(f"{base}/{vid}").status_code == 204
    assert seeker.delete(f"{base}/{vid}").status_code == 409
    assert employer.get(f"/api/v1/vacancies/{vid}/applications",
                        headers={"X-Vacancy-Key": key}).get_json()["applications"] == []
    (mine,) = seeker.get(base).get_json()["applications"]
    assert (mine["status"], mine["contact_shared"], mine["message"], mine["parts_shared"]) == ("withdrawn", None, None, [])
