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
    resp = client.post("/api/v1/profiles", json=factories.profile(status="cpp"))  # Peru's, but she lives in CO
    assert resp.status_code == 422
    assert "ppt" in resp.get_json()["fields"]["status"]
    ok = client.post("/api/v1/profiles", json=factories.profile(status="cpp", country="PE"))
    assert ok.status_code == 202


def test_profile_education_by_national_degree_name(client):
    sent = factories.profile(education={"level": "TSU", "field": "enfermería", "country": "VE", "recognised_in": ["CO"]})
    location = client.post("/api/v1/profiles", json=sent).headers["Location"]
    got = client.get(location).get_json()["education"]
    assert got == {"level": "short_cycle", "degree": "TSU", "field": "enfermería", "country": "VE",
                   "recognised_in": ["CO"]}


def test_form_groups_statuses_by_country_and_catches_another_countrys(client):
    import re

    page = client.get("/profiles/new").get_data(as_text=True)
    assert '<optgroup label="Colombia">' in page and 'value="CO:ppt"' in page and 'value="PE:cpp"' in page
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    form = {"country": "CO", "summary": "Enfermera", "consent": "on", "status": "PE:cpp", "csrf_token": token}
    resp = client.post("/profiles/new", data=form)
    assert resp.status_code == 422
    assert "Elija su situación en el país donde vive." in resp.get_data(as_text=True)
    ok = client.post("/profiles/new", data={**form, "status": "CO:ppt"})
    assert ok.status_code == 302
