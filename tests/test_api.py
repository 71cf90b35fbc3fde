"""The JSON API: contracts, validation, errors, health."""
from __future__ import annotations

import pytest
from rq import Queue

from config import load_settings
from models import MatchRun
from tests import factories


def test_post_profile_answers_202_with_location_and_queues_one_job(client, redis, settings):
    resp = factories.api_post(client, "profiles", json=factories.profile())
    assert resp.status_code == 202
    body = resp.get_json()
    assert body["status"] == "queued" and isinstance(body["id"], str) and len(body["id"]) >= 20
    assert resp.headers["Location"].endswith(f"/api/v1/profiles/{body['id']}")
    queue = Queue(settings.queue_name, connection=redis)
    assert [j.func_name for j in queue.jobs] == ["worker.jobs.match_profile"]
    assert queue.jobs[0].args == (1,) or isinstance(queue.jobs[0].args[0], int)  # ids only, no personal data


def test_profile_round_trip(client):
    sent = factories.profile()
    location = factories.api_post(client, "profiles", json=sent).headers["Location"]
    got = client.get(location).get_json()
    for key in ("summary", "jobs", "skills", "languages", "country", "city", "target_countries",
                "relocate", "nationalities", "status"):
        assert got[key] == sent[key], key
    assert got["education"] == {**sent["education"], "degree": None, "recognised_in": []}
    assert got["consent"]["scope"] == "matching" and got["consent"]["version"]
    assert got["matching"]["status"] == "queued"


def test_post_vacancy_and_get_it(client):
    resp = factories.api_post(client, "vacancies", json=factories.vacancy())
    assert resp.status_code == 202
    vid = resp.get_json()["id"]
    got = client.get(resp.headers["Location"]).get_json()
    assert got["id"] == vid and got["title"] == "ICU nurse" and got["employer"] == "Hospital San José"
    assert got["essential_skills"] == ["intensive care", "patient monitoring"]


def test_matches_of_a_new_profile_are_empty_and_queued(client):
    pid = factories.api_post(client, "profiles", json=factories.profile()).get_json()["id"]
    body = client.get(f"/api/v1/profiles/{pid}/matches").get_json()
    assert body == {"status": "queued", "ranked_at": None, "protection": None, "matches": [], "other_work": [],
                    "left_out": [], "not_relevant": []}


@pytest.mark.parametrize("change, field", [
    ({"country": "XX"}, "country"),
    ({"consent": False}, "consent"),
    ({"jobs": [{"title": "", "years": 3}]}, "jobs.0.title"),
    ({"jobs": [{"title": "Cocinero", "years": -1}]}, "jobs.0.years"),
    ({"languages": [{"code": "es", "level": "wizard"}]}, "languages.0.level"),
    ({"languages": [{"code": "xx", "level": "native"}]}, "languages.0.code"),
    ({"target_countries": ["CO", "ZZ"]}, "target_countries.1"),
    ({"status": "martian"}, "status"),
    ({"education": {"level": "wizardry"}}, "education.level"),
    ({"summary": "x" * 5001}, "summary"),
    ({"skills": ["x" * 121]}, "skills.0"),
    ({"nickname": "Juan"}, "nickname"),
])
def test_invalid_profile_gets_422_naming_the_field(client, change, field):
    resp = factories.api_post(client, "profiles", json=factories.profile(**change))
    assert resp.status_code == 422
    body = resp.get_json()
    assert body["error"] == "validation_error" and field in body["fields"], body


def test_missing_required_fields_and_nothing_to_match(client, db):
    body = factories.api_post(client, "profiles", json={}).get_json()
    assert set(body["fields"]) >= {"country", "consent"}
    body = factories.api_post(client, "profiles", json={"country": "CO", "consent": True}).get_json()
    assert "_" in body["fields"]
    from sqlalchemy import func, select

    from models import Profile
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(Profile)) == 0  # nothing half-written


@pytest.mark.parametrize("body, ctype", [("not json", "application/json"), ("[1, 2]", "application/json"),
                                         ("a=b", "application/x-www-form-urlencoded")])
def test_non_object_body_is_400(client, body, ctype):
    resp = factories.api_post(client, "profiles", data=body, content_type=ctype)
    assert resp.status_code == 400 and resp.get_json()["error"] == "bad_request"


def test_invalid_vacancy_gets_422(client):
    resp = factories.api_post(client, "vacancies", json=factories.vacancy(title="", openings=0, languages=["xx"]))
    assert resp.status_code == 422
    assert {"title", "openings", "languages.0"} <= set(resp.get_json()["fields"])


def test_unknown_ids_and_methods_are_json_4xx(client):
    for url in ("/api/v1/profiles/nope", "/api/v1/profiles/nope/matches", "/api/v1/vacancies/999",
                "/api/v1/vacancies/999/matches", "/api/v1/elsewhere"):
        resp = client.get(url)
        assert resp.status_code == 404 and resp.is_json, url
    resp = client.delete("/api/v1/vacancies/1")
    assert resp.status_code == 405 and resp.get_json()["error"] == "method_not_allowed"


def test_oversized_body_is_413_json(client):
    resp = factories.api_post(client, "profiles", data="x" * (600 * 1024), content_type="application/json")
    assert resp.status_code == 413 and resp.is_json


def test_lists_are_json_arrays_and_are_deduplicated(client):
    resp = factories.api_post(client, "vacancies", json=factories.vacancy(essential_skills=["cocina", "cocina", "ventas"],
                                                                   languages=["es", "pt", "es"]))
    got = client.get(resp.headers["Location"]).get_json()
    assert got["essential_skills"] == ["cocina", "ventas"] and got["languages"] == ["es", "pt"]
    # One string is not a list in JSON (the forms split theirs before validating).
    resp = factories.api_post(client, "vacancies", json=factories.vacancy(essential_skills="cocina, ventas"))
    assert resp.status_code == 422 and resp.get_json()["fields"] == {"essential_skills": "Give a list."}


# Issue 14: the API takes JSON, so JSON types are taken strictly (the document says so).
@pytest.mark.parametrize("kind, change, field", [
    ("profiles", {"skills": "AAA"}, "skills"),
    ("profiles", {"skills": ["-"]}, "skills.0"),               # an item without a word is not dropped silently
    ("profiles", {"consent": 1}, "consent"),
    ("profiles", {"relocate": 0}, "relocate"),
    ("profiles", {"jobs": [{"title": "Cocinero", "years": "3"}]}, "jobs.0.years"),
    ("profiles", {"jobs": [{"title": "Cocinero", "country": ""}]}, "jobs.0.country"),  # null, not ""
    ("profiles", {"nationalities": "VE"}, "nationalities"),
    ("profiles", {"status": ""}, "status"),
    ("profiles", {"education": {"level": "3"}}, "education.level"),  # a number is a JSON integer
    ("profiles", {"summary": "ok\x01"}, "summary"),
    ("vacancies", {"remote": 0}, "remote"),
    ("vacancies", {"openings": 2.5}, "openings"),
    ("vacancies", {"openings": "2"}, "openings"),
    ("vacancies", {"experience_years": "2"}, "experience_years"),
    ("vacancies", {"title": "("}, "title"),
    ("vacancies", {"languages": "es"}, "languages"),
    ("vacancies", {"languages": ["ES"]}, "languages.0"),       # codes as the document's enum writes them
    ("vacancies", {"country": "co"}, "country"),
])
def test_schema_violating_json_is_refused_with_the_field(client, kind, change, field):
    body = factories.profile(**change) if kind == "profiles" else factories.vacancy(**change)
    resp = factories.api_post(client, kind, json=body)
    assert resp.status_code == 422 and field in resp.get_json()["fields"], resp.get_json()


def test_json_type_errors_say_what_json_is_expected(client):
    fields = factories.api_post(client, "vacancies", json=factories.vacancy(
        remote=0, openings="2", essential_skills="cocina")).get_json()["fields"]
    assert fields == {"remote": "Choose one of true, false.", "openings": "Give a valid number.",
                      "essential_skills": "Give a list."}


@pytest.mark.parametrize("kind, change, stored", [
    ("vacancies", {"openings": 2.0}, {"openings": 2}),            # 2.0 is an integer in JSON Schema
    ("vacancies", {"education_level": 7.0}, {"education_level": "master"}),
    ("vacancies", {"experience_years": 3}, {"experience_years": 3}),   # an integer is a number
    ("profiles", {"education": {"level": 3}}, {"education": {"level": "upper_secondary", "country": None, "field": "",
                                                             "degree": None, "recognised_in": []}}),
    ("profiles", {"languages": [{"code": "en", "level": "basic"}, {"code": "en", "level": "fluent"}]},
     {"languages": [{"code": "en", "level": "fluent"}]}),      # listed twice: kept once, at the better level
    ("profiles", {"status": "protection_permit"}, {"status": "ppt"}),   # an older alias, documented
])
def test_schema_valid_json_is_accepted(client, kind, change, stored):
    body = factories.profile(**change) if kind == "profiles" else factories.vacancy(**change)
    resp = factories.api_post(client, kind, json=body)
    assert resp.status_code == 202, resp.get_json()
    got = client.get(resp.headers["Location"]).get_json()
    assert {k: got[k] for k in stored} == stored


@pytest.mark.parametrize("query, status", [
    ("", 200), ("?min_score=0.5", 200), ("?min_score=0.50", 200), ("?min_score=0", 200),
    ("?min_score=1e-09", 400), ("?min_score=0,5", 400), ("?min_score=", 400), ("?min_score=nan", 400),
    ("?min_score=0.55", 400),
])
def test_barrier_thresholds_are_exactly_the_documented_ones(client, query, status):
    for path in ("/api/v1/insights/barriers", "/api/v1/insights/barriers.csv"):
        resp = client.get(path + query)
        assert resp.status_code == status, (path, query)
        if status == 400:
            assert "min_score" in resp.get_json()["fields"]


def test_healthz_ok(client):
    resp = client.get("/healthz")
    assert resp.status_code == 200
    assert resp.get_json() == {"status": "ok", "database": "ok", "redis": "ok"}


def test_healthz_names_redis_when_down(settings, make_app):
    app = make_app(load_settings("test", environ={"DATABASE_URL": settings.database_url,
                                                    "REDIS_URL": "redis://127.0.0.1:1/0"}))
    resp = app.test_client().get("/healthz")
    assert resp.status_code == 503
    assert resp.get_json() == {"status": "down", "database": "ok", "redis": "down"}


def test_healthz_names_database_when_down(redis_url, tmp_path, make_app):
    app = make_app(load_settings("test", environ={"DATABASE_URL": f"sqlite:///{tmp_path}/no/such/dir/x.db",
                                                    "REDIS_URL": redis_url}))
    resp = app.test_client().get("/healthz")
    assert resp.status_code == 503
    assert resp.get_json() == {"status": "down", "database": "down", "redis": "ok"}


def test_submission_is_kept_when_redis_is_down(settings, db, make_app):
    """Redis away: the profile is saved, the answer says matching is delayed, the run waits."""
    app = make_app(load_settings("test", environ={"DATABASE_URL": settings.database_url,
                                                    "REDIS_URL": "redis://127.0.0.1:1/0"}))
    resp = factories.api_post(app.test_client(), "profiles", json=factories.profile())
    assert resp.status_code == 202
    assert "delayed" in resp.get_json()["message"]
    from sqlalchemy import select
    with db.session() as s:
        runs = list(s.scalars(select(MatchRun)))
    assert [(r.kind, r.status) for r in runs] == [("profile", "queued")]


def test_candidate_list_needs_the_vacancy_key(client):
    resp = factories.api_post(client, "vacancies", json=factories.vacancy())
    vid, key = resp.get_json()["id"], resp.get_json()["key"]
    assert len(key) >= 20
    assert client.get(f"/api/v1/vacancies/{vid}/matches").status_code == 401
    assert client.get(f"/api/v1/vacancies/{vid}/matches", headers={"Authorization": "Bearer wrong"}).status_code == 401
    ok = client.get(f"/api/v1/vacancies/{vid}/matches", headers={"Authorization": f"Bearer {key}"})
    assert ok.status_code == 200 and ok.get_json()["status"] == "queued"
    assert client.get(f"/api/v1/vacancies/{vid}/matches?key={key}").status_code == 200
    assert "key" not in client.get(f"/api/v1/vacancies/{vid}").get_json()


def test_profile_can_be_deleted_with_everything_about_it(client, db):
    pid = factories.api_post(client, "profiles", json=factories.profile()).get_json()["id"]
    assert client.delete(f"/api/v1/profiles/{pid}").status_code == 204
    assert client.get(f"/api/v1/profiles/{pid}").status_code == 404
    assert client.delete(f"/api/v1/profiles/{pid}").status_code == 404
    from sqlalchemy import func, select

    from models import Profile
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(Profile)) == 0
        assert s.scalar(select(func.count()).select_from(MatchRun)) == 0


@pytest.mark.parametrize("url", ["/api/v1/vacancies/9223372036854775808", "/api/v1/vacancies/99999999999999999999",
                                 "/api/v1/vacancies/9223372036854775808/matches", "/vacancies/99999999999999999999"])
def test_absurd_ids_are_404_not_500(client, url):
    assert client.get(url).status_code == 404


def test_deeply_nested_json_is_400(client):
    resp = factories.api_post(client, "profiles", data="[" * 100000, content_type="application/json")
    assert resp.status_code in (400, 413) and resp.is_json


@pytest.mark.parametrize("change, field", [
    ({"summary": "ok\x00"}, "summary"),
    ({"skills": ["a\x00b"]}, "skills"),
    ({"jobs": [{"title": "\u0301", "years": 1}]}, "jobs.0.title"),
    ({"jobs": [{"title": "Cocinero", "years": float("nan")}]}, "jobs.0.years"),
])
def test_nul_lone_accents_and_nan_are_refused(client, change, field):
    resp = factories.api_post(client, "profiles", json=factories.profile(**change)) if "nan" not in str(change) else (
        factories.api_post(client, "profiles", data='{"jobs": [{"title": "x", "years": NaN}], "country": "CO", "consent": true}',
                    content_type="application/json"))
    assert resp.status_code in (400, 422), resp.get_json()
    if resp.status_code == 422:
        assert field in resp.get_json()["fields"]


def test_vacancy_title_without_letters_is_refused(client):
    resp = factories.api_post(client, "vacancies", json=factories.vacancy(title="\u0301"))
    assert resp.status_code == 422 and "title" in resp.get_json()["fields"]


def test_employer_names_that_grow_when_folded_are_kept(client):
    resp = factories.api_post(client, "vacancies", json=factories.vacancy(employer="ß" * 200))
    assert resp.status_code == 202


def test_healthz_and_unrouted_api_addresses_answer_json_and_pages_html(client):
    for method, url in ((client.post, "/healthz"), (client.get, "/api/v1/nothing-here"), (client.patch, "/api/v1"),
                        (client.put, "/api/v1/countries")):
        resp = method(url)
        assert resp.status_code in (404, 405) and resp.is_json and set(resp.get_json()) == {
            "error", "message", "fields"}, url
    # A page's error is a page, whatever the client says it prefers.
    page = client.get("/profiles/nobody", headers={"Accept": "application/json"})
    assert page.status_code == 404 and page.mimetype == "text/html"


def test_api_field_messages_come_from_the_catalogues_and_name_the_valid_values(client):
    # English is the API's language; every sentence is a catalogue's, none is pydantic's own.
    body = factories.profile(status="martian", jobs="Cook", languages=[{"code": "es", "level": "expert"}],
                             education={"level": "wizard", "country": "VE"}, nationalities=["XX"])
    fields = factories.api_post(client, "profiles", json=body).get_json()["fields"]
    assert fields["status"].startswith("Unknown status for this country. Valid values for CO: ") and "ppt" in fields[
        "status"]
    assert fields["jobs"] == "Give a list."
    assert fields["languages.0.level"].startswith("Choose one of 'native'")
    assert fields["education.level"].startswith("Unknown education level. Give an ISCED 2011 level (")
    assert fields["nationalities.0"] == "Give an ISO 3166 alpha-2 country code, such as CO."
    assert not [m for m in fields.values() if m.startswith(("Input should", "Value error"))], fields
