"""The knowledge base and the eligibility rules through the API; statuses in the forms."""
from __future__ import annotations

import pytest

from config.mobility import REQUIRED_COUNTRIES, load_knowledge_base
from tests import factories

KB = load_knowledge_base()
EXAMPLE = {"nationalities": ["VE"], "current_country": "CO", "status": "ppt", "target_country": "PE",
           "occupation_isco": "2221", "education": {"level": "licenciatura", "country": "VE", "recognised_in": []}}


def test_countries_lists_every_country_with_its_statuses(client):
    body = client.get("/api/v1/countries").get_json()
    codes = [c["code"] for c in body["countries"]]
    assert set(REQUIRED_COUNTRIES) <= set(codes) and codes == sorted(codes)
    for country in body["countries"]:
        assert set(country["names"]) == {"es", "pt", "en"}
        for status in country["statuses"]:
            assert {"code", "label", "authorises_work", "source", "checked"} <= set(status)
            assert set(status["label"]) == {"es", "pt", "en"}
            assert status["source"]["url"].startswith("http") and status["checked"] == status["source"]["checked"]
    co = next(c for c in body["countries"] if c["code"] == "CO")
    ppt = next(s for s in co["statuses"] if s["code"] == "ppt")
    assert ppt["authorises_work"] is True and ppt["label"]["es"].startswith("Permiso por Protección Temporal")


def test_one_country_in_full(client):
    body = client.get("/api/v1/countries/pe").get_json()
    assert body["code"] == "PE" and body["recognition"]["authority"]
    assert body["recognition"]["source"]["checked"]
    assert {r["group"] for r in body["regulated"]} >= {"health", "law", "engineering", "teaching"}
    assert all("how" in s for s in body["statuses"] if s["obtain"] != "closed" and s["kind"] not in ("national", "irregular"))
    missing = client.get("/api/v1/countries/ZZ")
    assert missing.status_code == 404 and "CO" in missing.get_json()["fields"]["code"]


def test_eligibility_of_the_issue_example(client):
    resp = client.post("/api/v1/eligibility", json=EXAMPLE, headers={"Accept-Language": "en"})
    assert resp.status_code == 200
    body = resp.get_json()
    assert body["verdict"] == "after_steps" and body["locale"] == "en"
    assert [s["kind"] for s in body["steps"]] == ["permit", "recognition", "licence"]
    assert all(s["text"] and "authority" in s and s["url"].startswith("http") for s in body["steps"])
    assert {r["code"] for r in body["reasons"]} >= {"moving", "regulated", "foreign_degree"}
    spanish = client.post("/api/v1/eligibility", json={**EXAMPLE, "locale": "es"}).get_json()
    assert spanish["steps"][0]["text"].startswith("Obtener un permiso para trabajar en Perú")


@pytest.mark.parametrize("change,field,valid", [
    ({"status": "martian"}, "status", "ppt"),
    ({"current_country": "US"}, "current_country", "CO"),
    ({"target_country": "XX"}, "target_country", None),
    ({"education": {"level": "astrology", "country": "VE"}}, "education.level", "short_cycle"),
    ({"occupation_isco": "22A1"}, "occupation_isco", None),
    ({"nationalities": ["ZZ"]}, "nationalities.0", None),
])
def test_unknown_codes_get_a_400_naming_the_field_and_the_valid_values(client, change, field, valid):
    resp = client.post("/api/v1/eligibility", json={**EXAMPLE, **change})
    assert resp.status_code == 400
    body = resp.get_json()
    assert field in body["fields"], body
    if valid:
        assert valid in body["fields"][field]


def test_eligibility_refuses_a_body_that_is_not_an_object(client):
    assert client.post("/api/v1/eligibility", data="[]", content_type="application/json").status_code == 400


def test_profile_status_must_be_one_of_the_country(client):
    resp = factories.api_post(client, "profiles", json=factories.profile(status="cpp"))  # Peru's, but she lives in CO
    assert resp.status_code == 422
    assert "ppt" in resp.get_json()["fields"]["status"]
    ok = factories.api_post(client, "profiles", json=factories.profile(status="cpp", country="PE"))
    assert ok.status_code == 202


def test_profile_education_by_national_degree_name(client):
    sent = factories.profile(education={"level": "TSU", "field": "enfermería", "country": "VE", "recognised_in": ["CO"]})
    location = factories.api_post(client, "profiles", json=sent).headers["Location"]
    got = client.get(location).get_json()["education"]
    assert got == {"level": "short_cycle", "degree": "TSU", "field": "enfermería", "country": "VE",
                   "recognised_in": ["CO"]}


def test_form_groups_statuses_by_country_and_catches_another_countrys(client):
    import re

    page = client.get("/profiles/new").get_data(as_text=True)
    assert '<optgroup label="Colombia" data-country="CO">' in page and 'value="CO:ppt"' in page and 'value="PE:cpp"' in page
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    form = {"country": "CO", "summary": "Enfermera", "consent": "on", "status": "PE:cpp", "csrf_token": token}
    resp = client.post("/profiles/new", data=form)
    assert resp.status_code == 422
    assert "Elija su situación en el país donde vive (Colombia)" in resp.get_data(as_text=True)
    ok = client.post("/profiles/new", data={**form, "status": "CO:ppt"})
    assert ok.status_code == 302


# --- Ranking and barrier analytics, with the real worker job --------------------------------

def test_ranking_applies_the_rules_and_the_page_shows_now_and_after_steps(client, db, worker_state):
    from models import PROFILE
    from models.queries import ranking
    from worker import jobs

    posted = factories.api_post(client, "vacancies", json=factories.vacancy()).get_json()  # needs her degree recognised
    icu, key = posted["id"], posted["key"]
    cook = factories.post(client, "vacancies", factories.vacancy(factories.COOK_VACANCY))  # she can start now
    public_id = factories.post(client, "profiles", factories.profile())
    jobs.match_profile(factories.profile_id(db, public_id))

    with db.session() as s:
        rows = {m.vacancy_id: m for m in ranking(s, PROFILE, factories.profile_id(db, public_id))}
    _check_now_and_after_steps(rows, icu, cook)
    _check_her_page_and_the_api(client, public_id, icu)
    _check_the_employer_sees_no_step(client, db, icu, key)

    # The ICU post is linked to a nursing occupation (ISCO 222x, regulated in Colombia):
    # without a tertiary degree she is not eligible, and it is never shown to her.
    assert rows[icu].explanation["occupations"]["vacancy"]["isco"].startswith("222")
    without = factories.post(client, "profiles", factories.profile(education={"level": "upper_secondary", "country": "VE"}))
    jobs.match_profile(factories.profile_id(db, without))
    with db.session() as s:
        ids = [m.vacancy_id for m in ranking(s, PROFILE, factories.profile_id(db, without))]
    assert icu not in ids and cook in ids


def _check_now_and_after_steps(rows: dict, icu: int, cook: int) -> None:
    assert set(rows) == {icu, cook}
    assert rows[cook].explanation["verdict"] == "eligible_now" and rows[cook].explanation["steps"] == []
    assert rows[icu].explanation["verdict"] == "after_steps"
    assert rows[icu].explanation["steps"][0]["kind"] == "recognition"
    assert rows[icu].scores["eligibility"] < rows[cook].scores["eligibility"] == 1.0


def _check_her_page_and_the_api(client, public_id: str, icu: int) -> None:
    page = client.get(f"/profiles/{public_id}").get_data(as_text=True)
    # One list, best first (issue 15): "can apply now" is a mark on the card and a filter.
    assert "Sus coincidencias (" in page and "Solo las que puedo tomar ya (" in page
    assert KB.country("CO").recognition.authority in page

    api = client.get(f"/api/v1/profiles/{public_id}/matches?lang=pt").get_json()["matches"]
    icu_match = next(m for m in api if m["vacancy_id"] == icu)
    assert icu_match["explanation"]["steps"][0]["text"].startswith("Reconhecer o seu diploma na Colômbia")
    assert icu_match["explanation"]["ready_now"] is False


def _check_the_employer_sees_no_step(client, db, icu: int, key: str) -> None:
    from models import VACANCY
    from models.queries import ranking
    from worker import jobs

    # The employer never sees the steps, the verdict or the reasons: they would tell her status.
    jobs.match_vacancy(icu)
    seen = client.get(f"/api/v1/vacancies/{icu}/matches", headers={"Authorization": f"Bearer {key}"}).get_json()
    assert len(seen["matches"]) == 1
    assert not {"steps", "verdict", "reasons", "routes"} & set(seen["matches"][0]["explanation"])
    assert seen["matches"][0]["explanation"]["ready_now"] is False
    # Nor the eligibility score, whose value would tell which steps she needs; not even stored.
    assert "eligibility" not in seen["matches"][0]["scores"]
    with db.session() as s:
        stored = ranking(s, VACANCY, icu)[0]
    assert "eligibility" not in stored.scores and "steps" not in stored.explanation


def test_barriers_count_the_stored_matches(client, db, settings, make_app, worker_state):
    from dataclasses import replace

    from worker import jobs

    factories.post(client, "vacancies", factories.vacancy())
    factories.post(client, "vacancies", factories.vacancy(factories.COOK_VACANCY))
    for status in ("ppt", "irregular", None):
        jobs.match_profile(factories.profile_id(db, factories.post(client, "profiles", factories.profile(status=status))))

    _check_small_counts_are_withheld(client)
    shown = make_app(replace(settings, barrier_min_count=1)).test_client()
    _check_the_counts_shown(shown)
    _check_the_csv_and_the_thresholds(shown)

    page = shown.get("/insights/barreras?min_score=0").get_data(as_text=True)
    assert "Colombia" in page and "Solo el permiso de trabajo" in page and "Descargar CSV" in page
    assert "<td>6</td>" in page
    hidden = client.get("/insights/barreras?min_score=0").get_data(as_text=True)
    assert "&lt;5" in hidden and "se muestran como" in hidden


def _check_small_counts_are_withheld(client) -> None:
    # Counts under PUENTE_BARRIER_MIN_COUNT (5 by default) are withheld: they could point at one person.
    body = client.get("/api/v1/insights/barriers?min_score=0").get_json()
    co = next(r for r in body["countries"] if r["country"] == "CO")
    assert body["min_count"] == 5 and co["strong_matches"] == 6
    assert co["eligible_now"] is None and co["blocked"]["permit"] is None
    assert co["blocked"]["language"] == 0   # zero tells nothing about anyone
    csv_text = client.get("/api/v1/insights/barriers.csv?min_score=0").get_data(as_text=True)
    assert "CO,0.0,6,<5,<5" in csv_text


def _check_the_counts_shown(shown) -> None:
    body = shown.get("/api/v1/insights/barriers?min_score=0").get_json()
    co = next(r for r in body["countries"] if r["country"] == "CO")
    assert co["strong_matches"] == 6 and co["strong_matches"] == body["total"]["strong_matches"]
    assert co["eligible_now"] == 1                      # the cook post, for the PPT holder
    assert co["blocked"]["permit"] == 1                  # the cook post, for the person without papers
    assert co["blocked"]["recognition"] == 2             # the ICU post, for the PPT holder and for the one who did not say
    assert co["blocked"]["permit+recognition"] == 1      # the ICU post, without papers
    assert co["blocked"]["status_not_given"] == 1        # the cook post, for the one who did not say
    assert set(co["blocked"]) == set(body["groups"])


def _check_the_csv_and_the_thresholds(shown) -> None:
    csv_text = shown.get("/api/v1/insights/barriers.csv?min_score=0").get_data(as_text=True)
    header, first, total = csv_text.strip().splitlines()
    assert header == ("country,min_score,strong_matches,eligible_now,permit,recognition,language,"
                      "permit+recognition,permit+language,recognition+language,permit+recognition+language,"
                      "status_not_given")
    assert first == "CO,0.0,6,1,1,2,0,1,0,0,0,1" and total == "all,0.0,6,1,1,2,0,1,0,0,0,1"

    high = shown.get("/api/v1/insights/barriers?min_score=0.9").get_json()
    assert high["total"]["strong_matches"] < 6
    for bad in ("0.55", "2", "abc", "nan"):   # only the fixed steps: two close thresholds could isolate one match
        resp = shown.get(f"/api/v1/insights/barriers?min_score={bad}")
        assert resp.status_code == 400 and "min_score" in resp.get_json()["fields"], bad
