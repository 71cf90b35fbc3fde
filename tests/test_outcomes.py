"""What happened after a match is recorded as events (issue 17, part 1): shown, opened, the
employer's interest, the person's application, an interview, a hire, not selected with a
reason, the person's "not for me"; on pages, in the API and in the CSV import; ids and codes
only; gone with the profile. On SQLite and PostgreSQL (the `db` fixture)."""
from __future__ import annotations

import datetime as dt
import json
import re
from io import BytesIO

import pytest
from sqlalchemy import func, select

from models import Interest, Outcome, Profile
from scripts.create_user import create_user
from tests import factories
from worker import jobs

CONTACT, MESSAGE = "+57 300 123 4567", "Puedo empezar el lunes."


def _token(client, address: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', client.get(address).get_data(as_text=True)).group(1)


def _ranked(client, matcher, db, **profile):
    """A nurse's vacancy (with its key) and a nurse's profile, both ranked."""
    posted = factories.api_post(client, "vacancies", json=factories.vacancy()).get_json()
    pid = factories.post(client, "profiles", factories.profile(summary="Enfermera de UCI, 6 años en Caracas.",
                                                               **profile))
    jobs.match_vacancy(posted["id"], matcher)
    with db.session() as s:
        row_id = s.scalars(select(Profile.id).where(Profile.public_id == pid)).one()
    jobs.match_profile(row_id, matcher)
    return posted["id"], posted["key"], pid, row_id


def _events(db, **where) -> list[Outcome]:
    with db.session() as s:
        stmt = select(Outcome).order_by(Outcome.id)
        for column, value in where.items():
            stmt = stmt.where(getattr(Outcome, column) == value)
        return list(s.scalars(stmt))


def _from_shown_to_hired(employer, seeker, db, vid: int, key: str, pid: str) -> None:
    """Both read their lists twice; the person opens the vacancy and applies; the employer
    opens the application, is interested, interviews and hires."""
    for _ in range(2):   # read twice: shown once per side
        assert seeker.get(f"/profiles/{pid}").status_code == 200
        assert employer.get(f"/vacancies/{vid}?key={key}").status_code == 200
    page = f"/profiles/{pid}/vacancies/{vid}"
    seeker.get(page)
    form = {"csrf_token": _token(seeker, page), "contact": CONTACT, "message": MESSAGE, "share": ["summary"],
            "confirm": "on"}
    assert seeker.post(f"{page}/apply", data=form).status_code == 302
    employer.get(f"/vacancies/{vid}?key={key}")   # the employer opens the application
    with db.session() as s:
        iid = s.scalars(select(Interest.id)).one()
    for status in ("interested", "interview", "hired"):
        token = _token(employer, f"/vacancies/{vid}?key={key}")
        assert employer.post(f"/vacancies/{vid}/applications/{iid}",
                             data={"csrf_token": token, "key": key, "status": status}).status_code == 302


def test_a_match_from_shown_to_hired_is_a_history_of_events_with_ids_and_codes_only(app, db, matcher):
    employer, seeker = app.test_client(), app.test_client()
    vid, key, pid, row_id = _ranked(employer, matcher, db)
    _from_shown_to_hired(employer, seeker, db, vid, key, pid)
    events = _events(db)
    assert [(e.kind, e.side, e.by) for e in events] == [
        ("shown", "profile", "seeker"), ("shown", "vacancy", "employer"), ("opened", "profile", "seeker"),
        ("applied", "profile", "seeker"), ("opened", "vacancy", "employer"), ("interested", "vacancy", "employer"),
        ("interview", "vacancy", "employer"), ("hired", "vacancy", "employer")]
    assert {(e.profile_id, e.vacancy_id) for e in events} == {(row_id, vid)}
    times = [e.at for e in events]
    assert times == sorted(times)
    # For the learner: the match as it was (its rank, score and per-dimension scores) and the model.
    assert events[0].rank == 1 and 0 < events[0].score <= 1 and events[0].scores is None   # the person's own list
    assert {"semantic", "skills"} <= set(events[1].scores) and "eligibility" not in events[1].scores   # the employer's
    assert all(e.ranker and e.ranker.startswith("weights-") for e in events)
    # Nothing a person typed enters an event.
    stored = json.dumps([[getattr(e, c.name) for c in Outcome.__table__.columns if c.name != "at"] for e in events])
    assert CONTACT not in stored and "lunes" not in stored and "Enfermera" not in stored

    assert "La empresa registró su contratación" in seeker.get(f"/profiles/{pid}").get_data(as_text=True)
    export = seeker.get(f"/profiles/{pid}/export").get_json()
    assert [o["kind"] for o in export["outcomes"]] == [e.kind for e in events]
    assert export["interests"][0]["status"] == "hired"


def test_not_selected_takes_a_reason_from_the_list_only(app, db, matcher):
    employer, seeker = app.test_client(), app.test_client()
    vid, key, pid, _ = _ranked(employer, matcher, db)
    page = f"/profiles/{pid}/vacancies/{vid}"
    seeker.post(f"{page}/apply", data={"csrf_token": _token(seeker, page), "contact": CONTACT, "confirm": "on"})
    with db.session() as s:
        iid = s.scalars(select(Interest.id)).one()
    address = f"/vacancies/{vid}/applications/{iid}"
    token = _token(employer, f"/vacancies/{vid}?key={key}")
    assert employer.post(address, data={"csrf_token": token, "key": key, "status": "not_selected",
                                        "reason": "because"}).status_code == 400
    assert employer.post(address, data={"csrf_token": token, "key": key, "status": "not_selected",
                                        "reason": "language"}).status_code == 302
    assert [(e.kind, e.reason) for e in _events(db, kind="not_selected")] == [("not_selected", "language")]
    assert "La empresa eligió a otra persona" in seeker.get(f"/profiles/{pid}").get_data(as_text=True)


def test_the_person_says_not_for_me_on_the_page_and_takes_it_back(app, db, matcher):
    employer, seeker = app.test_client(), app.test_client()
    vid, _, pid, _ = _ranked(employer, matcher, db)
    results = seeker.get(f"/profiles/{pid}").get_data(as_text=True)
    assert "No es para mí" in results and f"/profiles/{pid}/vacancies/{vid}/not-relevant" in results
    token = _token(seeker, f"/profiles/{pid}")
    assert seeker.post(f"/profiles/{pid}/vacancies/{vid}/not-relevant",
                       data={"csrf_token": token, "reason": "nonsense"}).status_code == 400
    done = seeker.post(f"/profiles/{pid}/vacancies/{vid}/not-relevant", data={"csrf_token": token, "reason": "place"})
    assert done.status_code == 302
    page = seeker.get(done.headers["Location"]).get_data(as_text=True)
    assert "Quitadas de su lista (1)" in page and "Queda lejos" in page and "Sus coincidencias" not in page
    assert [(e.kind, e.reason, e.by) for e in _events(db, kind="not_relevant")] == [("not_relevant", "place", "seeker")]
    # the API says the same
    ranking = seeker.get(f"/api/v1/profiles/{pid}/matches").get_json()
    assert ranking["matches"] == [] and ranking["not_relevant"] == [{"vacancy_id": vid, "reason": "place"}]
    assert seeker.post(f"/profiles/{pid}/vacancies/{vid}/relevant", data={"csrf_token": token}).status_code == 302
    assert "Sus coincidencias (1)" in seeker.get(f"/profiles/{pid}").get_data(as_text=True)
    assert _events(db, kind="not_relevant") == []


def test_the_api_records_not_relevant_and_what_the_employer_reports(app, db, matcher):
    client = app.test_client()
    vid, key, pid, row_id = _ranked(client, matcher, db)
    bad = client.post(f"/api/v1/profiles/{pid}/not-relevant", json={"vacancy_id": vid, "reason": "ugly"})
    assert bad.status_code == 422 and "reason" in bad.get_json()["fields"]
    assert client.post(f"/api/v1/profiles/{pid}/not-relevant", json={"vacancy_id": vid}).status_code == 204
    assert client.get(f"/api/v1/profiles/{pid}/matches").get_json()["not_relevant"] == [
        {"vacancy_id": vid, "reason": None}]
    assert client.delete(f"/api/v1/profiles/{pid}/not-relevant/{vid}").status_code == 204
    assert client.delete(f"/api/v1/profiles/{pid}/not-relevant/{vid}").status_code == 404

    address = f"/api/v1/vacancies/{vid}/outcomes"
    assert client.post(address, json={"profile_id": row_id, "outcome": "hired"}).status_code == 401
    headers = {"X-Vacancy-Key": key}
    wrong = client.post(address, json={"profile_id": row_id, "outcome": "hired", "reason": "skills"}, headers=headers)
    assert wrong.status_code == 422 and "reason" in wrong.get_json()["fields"]
    unknown = client.post(address, json={"profile_id": row_id + 1000, "outcome": "hired"}, headers=headers)
    assert unknown.status_code == 404 and "profile_id" in unknown.get_json()["fields"]
    # A candidate met outside Puente (no conversation): the event alone.
    assert client.post(address, json={"profile_id": row_id, "outcome": "interview"}, headers=headers).status_code == 204
    assert [(e.kind, e.by, e.side) for e in _events(db, kind="interview")] == [("interview", "employer", "vacancy")]
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(Interest)) == 0


def test_an_application_answered_in_the_api_moves_on_with_its_events(app, db, matcher):
    client = app.test_client()
    vid, key, pid, _ = _ranked(client, matcher, db)
    iid = client.post(f"/api/v1/profiles/{pid}/applications",
                      json={"vacancy_id": vid, "contact": CONTACT}).get_json()["id"]
    address = f"/api/v1/vacancies/{vid}/applications/{iid}"
    headers = {"X-Vacancy-Key": key}
    assert client.post(address, json={"status": "interview", "reason": "skills"}, headers=headers).status_code == 422
    assert client.post(address, json={"status": "interview"}, headers=headers).get_json()["status"] == "interview"
    answer = client.post(address, json={"status": "not_selected", "reason": "filled"}, headers=headers)
    assert answer.status_code == 200 and answer.get_json()["status"] == "not_selected"
    assert [(e.kind, e.reason) for e in _events(db) if e.kind != "shown"] == [
        ("applied", None), ("interview", None), ("not_selected", "filled")]


@pytest.fixture
def case_worker(app, settings):
    create_user(settings.database_url, "orienta@ong.org", "clave-de-prueba-1", admin=True)
    client = app.test_client()
    client.post("/cuenta/entrar", data={"csrf_token": _token(client, "/cuenta/entrar"), "email": "orienta@ong.org",
                                        "password": "clave-de-prueba-1"})
    return client


def _upload(client, text):
    data = {"csrf_token": _token(client, "/admin/import?kind=outcomes"), "kind": "outcomes",
            "file": (BytesIO(text.encode()), "resultados.csv")}
    return client.post("/admin/import", data=data, content_type="multipart/form-data")


def test_case_workers_import_outcomes_all_or_nothing(app, db, matcher, case_worker):
    vid, _key, _pid, row_id = _ranked(app.test_client(), matcher, db)
    shortlist = case_worker.get(f"/admin/vacancies/{vid}/shortlist.csv").get_data(as_text=True).splitlines()
    assert shortlist[0].endswith(",candidate_id") and shortlist[1].endswith(f",{row_id}")
    future = (dt.date.today() + dt.timedelta(days=3)).isoformat()
    refused = _upload(case_worker, "vacancy_id,candidate_id,outcome,reason,date\n"
                                   f"{vid},{row_id},hired,,2026-11-30\n"
                                   f"{vid},{row_id + 1000},interview,,\n"
                                   f"{vid},{row_id},interview,skills,\n"
                                   f"{vid},{row_id},not_selected,language,{future}\n")
    text = refused.get_data(as_text=True)
    assert refused.status_code == 422 and "No se importó nada" in text
    assert "Fila 3" in text and "no es candidata de esa vacante" in text
    assert "Fila 4" in text and "solo acompaña" in text and "Fila 5" in text and "fecha futura" in text
    assert _events(db, by="import") == []
    sample = case_worker.get("/admin/import/sample.csv?kind=outcomes").get_data(as_text=True)
    assert sample.splitlines()[0] == "vacancy_id,candidate_id,outcome,reason,date"
    saved = _upload(case_worker, f"vacancy_id;candidate_id;outcome;reason;date\n{vid};{row_id};hired;;2026-11-30\n")
    assert saved.status_code == 200 and "1 fila importada" in saved.get_data(as_text=True)
    (event,) = _events(db, by="import")
    assert event.kind == "hired" and event.at.date() == dt.date(2026, 11, 30) and event.vacancy_id == vid


def test_events_go_with_the_profile(app, db, matcher):
    client = app.test_client()
    vid, _key, pid, row_id = _ranked(client, matcher, db)
    client.get(f"/profiles/{pid}")
    client.post(f"/api/v1/profiles/{pid}/applications", json={"vacancy_id": vid, "contact": CONTACT})
    assert len(_events(db, profile_id=row_id)) >= 2
    assert client.delete(f"/api/v1/profiles/{pid}").status_code == 204
    assert _events(db, profile_id=row_id) == []


def test_a_repeated_answer_records_nothing_and_a_hire_is_final(app, db, matcher):
    client = app.test_client()
    vid, key, pid, _row_id = _ranked(client, matcher, db)
    iid = client.post(f"/api/v1/profiles/{pid}/applications", json={"vacancy_id": vid, "contact": CONTACT}).get_json()["id"]
    address, headers = f"/api/v1/vacancies/{vid}/applications/{iid}", {"X-Vacancy-Key": key}
    for _ in range(2):   # a double click
        assert client.post(address, json={"status": "hired"}, headers=headers).status_code == 200
    assert len(_events(db, kind="hired")) == 1
    assert client.post(address, json={"status": "not_selected"}, headers=headers).status_code == 409


def test_an_employer_reports_only_on_its_own_candidates(app, db, matcher):
    """A person who has the vacancy in their own list but is not in its candidate list was
    never seen by the employer: a report is a 404, as for anyone else, and records nothing."""
    from sqlalchemy import delete

    from models import Match

    client = app.test_client()
    vid, key, _, row_id = _ranked(client, matcher, db)
    with db.session() as s:
        s.execute(delete(Match).where(Match.owner == "vacancy"))
    answer = client.post(f"/api/v1/vacancies/{vid}/outcomes", json={"profile_id": row_id, "outcome": "hired"},
                         headers={"X-Vacancy-Key": key})
    assert answer.status_code == 404 and _events(db, kind="hired") == []
