"""The OpenAPI document: complete, served safely, drawn from the validation, and true of the
API, checked by fuzzing the app in-process with Schemathesis."""
from __future__ import annotations

import copy
import re
import time
import uuid
from collections import Counter
from dataclasses import replace

import pytest

from tests import factories

METHODS = {"get", "put", "post", "delete", "patch"}
DOC = "/api/v1/openapi.json"


def _documented(doc: dict) -> set[tuple[str, str]]:
    return {(path, method.upper()) for path, item in doc["paths"].items() for method in item if method in METHODS}


def _routed(app) -> set[tuple[str, str]]:
    """Every /api/v1 rule (and /healthz) and method of the app, written as OpenAPI paths (HEAD and OPTIONS
    are Flask's own)."""
    out = set()
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/v1/") or rule.rule in ("/api/v1", "/healthz"):
            path = re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule.rule)
            out |= {(path, m) for m in rule.methods - {"HEAD", "OPTIONS"}}
    return out


def _check_operation(path: str, item: dict, method: str, op: dict) -> None:
    """Its path parameters named, its security and answers given, every error the one JSON error shape."""
    from web.tokens import SCOPES

    params = [*item.get("parameters", []), *op.get("parameters", [])]
    assert set(re.findall(r"{([^}]+)}", path)) == {p["name"] for p in params if p["in"] == "path"}, (path, method)
    assert "security" in op and op["responses"], (path, method)
    for scopes in (scope for need in op["security"] for scope in need.values()):
        assert set(scopes) <= set(SCOPES), (path, method)
    for code, answer in op["responses"].items():
        if (path, code) == ("/healthz", "503"):   # not an error shape: the health report, saying what is down
            assert answer["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Health"}
        elif code.startswith(("4", "5")):   # every error is the one JSON error shape
            assert answer == {"$ref": answer.get("$ref")} and answer["$ref"].startswith(
                "#/components/responses/"), (path, method, code)


def test_every_api_route_is_documented_and_nothing_more(app, client):
    doc = client.get(DOC).get_json()
    routed, documented = _routed(app), _documented(doc)
    assert routed - documented == set(), "routes missing from the document"
    assert documented - routed == set(), "documented but not routed"
    for path, item in doc["paths"].items():
        for method, op in ((m, o) for m, o in item.items() if m in METHODS):
            _check_operation(path, item, method, op)


def test_a_method_not_documented_gets_405_naming_the_documented_ones(client):
    for path, item in client.get(DOC).get_json()["paths"].items():
        resp = client.patch(re.sub(r"{[^}]+}", "1", path))
        assert resp.status_code == 405 and resp.get_json()["error"] == "method_not_allowed", path
        allowed = set(resp.headers["Allow"].split(", ")) - {"HEAD", "OPTIONS"}
        assert allowed == {m.upper() for m in item if m in METHODS}, path
    page = client.patch("/")   # pages too (the header was lost with the JSON or page body)
    assert page.status_code == 405 and "GET" in page.headers["Allow"]


def test_request_schemas_are_the_validation_models(app, client):
    from matching.knowledge import Country
    from web.api.openapi import REF
    from web.schemas import EligibilityIn, ProfileIn, VacancyIn

    schemas = client.get(DOC).get_json()["components"]["schemas"]
    for model in (ProfileIn, VacancyIn, EligibilityIn):
        expected = model.model_json_schema(ref_template=REF)
        if model is EligibilityIn:   # narrowed to the countries whose rules the app knows, as validated
            for name in ("current_country", "target_country"):
                known = sorted(app.extensions["puente_knowledge"].countries)
                assert set(known) < set(expected["properties"][name]["enum"])
                expected["properties"][name]["enum"] = known
        for name, part in {**expected.pop("$defs", {}), model.__name__: expected}.items():
            assert _without_knowledge(schemas[name], name) == part, name
    assert set(schemas["Country"]["properties"]) == set(Country.model_fields)


# What web/api/openapi.py adds from the knowledge base: each country's statuses (a rule on the
# object) and the national degree names a level may be (the level's schema and a rule).
LEVELS = {"EducationIn": "level", "EligibilityEducationIn": "level", "VacancyIn": "education_level"}


def _without_knowledge(schema: dict, name: str) -> dict:
    """The document's schema of a request model less what the knowledge base added to it,
    checking that each addition only widens the model's level by what `_read_level` reads."""
    from matching import EDUCATION_LEVELS

    out = {k: v for k, v in schema.items() if k != "allOf"}
    if name in ("ProfileIn", "EligibilityIn") or name in LEVELS:
        assert len(schema["allOf"]) == 1 and schema["allOf"][0]["anyOf"], name
    if name in LEVELS:
        field = LEVELS[name]
        level = copy.deepcopy(out["properties"][field])
        codes, number, names, *null = level.pop("anyOf")
        assert codes == {"type": "string", "enum": list(EDUCATION_LEVELS)} and number["type"] == "integer"
        assert "TSU" in names["enum"] and "Bachiller" in names["enum"], names
        level.pop("description")
        level.update({"type": "string", "enum": codes["enum"]} if not null else
                     {"anyOf": [{"type": "string", "enum": codes["enum"]}, *null]})
        out["properties"] = {**out["properties"], field: level}
    return out


def test_response_schemas_are_the_output_models(client):
    from web.api.openapi import REF
    from web.responses import (
        Barriers,
        CandidateRanking,
        CountriesOut,
        Eligibility,
        ErrorOut,
        ProfileAccepted,
        ProfileOut,
        Ranking,
        Suggestions,
        VacancyAccepted,
        VacancyOut,
    )

    doc = client.get(DOC).get_json()
    schemas = doc["components"]["schemas"]
    for model in (ProfileOut, VacancyOut, Ranking, CandidateRanking, ProfileAccepted, VacancyAccepted, ErrorOut,
                  CountriesOut, Eligibility, Barriers, Suggestions):
        expected = model.model_json_schema(ref_template=REF, mode="serialization")
        for name, part in {**expected.pop("$defs", {}), model.__name__: expected}.items():
            assert schemas[name] == part, name
    # Every error answer, shared by name, is the one error model.
    for name, answer in doc["components"]["responses"].items():
        assert answer["content"]["application/json"]["schema"] == {"$ref": REF.format(model="ErrorOut")}, name


def _body_schema(doc: dict, model: str):
    """A validator of the document's request body `model`, its references resolved in the document."""
    import jsonschema_rs

    return jsonschema_rs.Draft202012Validator({"$ref": f"#/components/schemas/{model}", "components": doc["components"]})


# Issue 14: each place where the document and the validation disagreed, with a body the
# document calls valid (True) or not (False); the API must answer the same.
AGREEMENT = [
    ("profiles", {"country": "CO", "consent": True}, False),           # nothing to match: the document says so
    ("profiles", {"country": "CO", "consent": True, "summary": " - "}, False),
    ("profiles", {"country": "CO", "consent": True, "summary": "Cocinero"}, True),
    ("profiles", {"country": "CO", "consent": True, "jobs": [{"title": "Cocinero"}]}, True),
    ("profiles", {"country": "CO", "consent": True, "skills": ["cocina"]}, True),
    ("profiles", {"country": "CO", "consent": True, "skills": "AAA"}, False),
    ("profiles", {"country": "CO", "consent": True, "skills": ["("]}, False),
    ("profiles", {"country": "CO", "consent": 1, "skills": ["cocina"]}, False),
    ("profiles", {"country": "CO", "consent": True, "skills": ["a\x15b"]}, False),   # a control character
    ("profiles", {"country": "CO", "consent": True, "jobs": [{"title": "("}]}, False),
    ("profiles", {"country": "CO", "consent": True, "summary": "x", "status": "ppt"}, True),
    ("profiles", {"country": "PE", "consent": True, "summary": "x", "status": "ppt"}, False),   # CO's, not PE's
    ("profiles", {"country": "FR", "consent": True, "summary": "x", "status": "national"}, True),
    ("profiles", {"country": "FR", "consent": True, "summary": "x", "status": "refugee"}, False),
    ("profiles", {"country": "CO", "consent": True, "summary": "x", "status": "unknown"}, True),
    ("profiles", {"country": "CO", "consent": True, "summary": "x", "education": {"level": 3}}, True),
    ("profiles", {"country": "CO", "consent": True, "summary": "x", "education": {"level": "3"}}, False),
    ("profiles", {"country": "CO", "consent": True, "summary": "x", "education": {"level": "TSU"}}, True),
    ("profiles", {"country": "CO", "consent": True, "summary": "x", "education": {"level": "Bachiller"}}, False),
    ("profiles", {"country": "CO", "consent": True, "summary": "x",
                  "education": {"level": "Bachiller", "country": "VE"}}, True),
    ("profiles", {"country": "CO", "consent": True, "summary": "x", "languages": [
        {"code": "en", "level": "basic"}, {"code": "en", "level": "native"}]}, True),
    ("vacancies", {"country": "CO", "title": "Cocinero", "remote": 0}, False),
    ("vacancies", {"country": "CO", "title": "Cocinero", "remote": True, "openings": 2.0}, True),
    ("vacancies", {"country": "CO", "title": "Cocinero", "openings": 2.5}, False),
    ("vacancies", {"country": "CO", "title": "Cocinero", "education_level": 7.0}, True),
    ("vacancies", {"country": "CO", "title": "("}, False),
    ("eligibility", {"current_country": "CO", "target_country": "PE", "nationalities": ""}, False),
    ("eligibility", {"current_country": "CO", "target_country": "PE", "status": "ppt"}, True),
    ("eligibility", {"current_country": "PE", "target_country": "CO", "status": "ppt"}, False),
]
MODELS = {"profiles": "ProfileIn", "vacancies": "VacancyIn", "eligibility": "EligibilityIn"}


@pytest.mark.parametrize("kind, body, valid", AGREEMENT)
def test_the_document_and_the_api_agree_on_each_former_disagreement(client, kind, body, valid):
    doc = client.get(DOC).get_json()
    assert _body_schema(doc, MODELS[kind]).is_valid(body) is valid, "the document"
    resp = (client.post("/api/v1/eligibility", json=body) if kind == "eligibility"
            else factories.api_post(client, kind, json=body))
    assert (resp.status_code < 300) is valid, resp.get_json()
    if not valid:
        assert resp.get_json()["fields"], resp.get_json()


def test_min_score_is_an_enum_of_the_thresholds_and_nothing_else_is_answered(client):
    from web.barriers import thresholds

    doc = client.get(DOC).get_json()
    with client.application.app_context():
        steps = thresholds()
    for path in ("/insights/barriers", "/insights/barriers.csv"):
        (param,) = doc["paths"]["/api/v1" + path]["get"]["parameters"]
        assert param["schema"] == {"type": "number", "enum": steps}
        assert client.get(f"/api/v1{path}?min_score=1e-09").status_code == 400
        assert client.get(f"/api/v1{path}?min_score={steps[1]}").status_code == 200


def test_document_is_valid_openapi_3_1_with_valid_json_schemas(app, client):
    import jsonschema_rs
    import schemathesis

    schema = schemathesis.openapi.from_wsgi(DOC, app)
    schema.validate()   # the OpenAPI 3.1 meta-schema; raises on the first error
    for name, part in client.get(DOC).get_json()["components"]["schemas"].items():
        assert jsonschema_rs.meta.is_valid(part), name
    # Made by the library from the routes: every operation is named and summarised once.
    ops = [op for item in schema.raw_schema["paths"].values() for op in item.values() if "responses" in op]
    ids = [op["operationId"] for op in ops]
    assert len(ids) == len(set(ids)) and all(op["summary"] for op in ops)


def test_real_answers_are_their_models(client, db, worker_state):
    from web.responses import CandidateRanking, ProfileOut, Ranking, VacancyOut
    from worker import jobs

    token = issue_all_scopes(db)
    posted = client.post("/api/v1/vacancies", json=factories.vacancy(), headers={"Authorization": f"Bearer {token}"})
    vacancy_id, key = posted.get_json()["id"], posted.get_json()["key"]
    public_id = factories.post(client, "profiles", factories.profile())
    jobs.match_profile(factories.profile_id(db, public_id))
    jobs.match_vacancy(vacancy_id)
    for url, model in ((f"/api/v1/profiles/{public_id}", ProfileOut), (f"/api/v1/vacancies/{vacancy_id}", VacancyOut),
                       (f"/api/v1/profiles/{public_id}/matches", Ranking),
                       (f"/api/v1/vacancies/{vacancy_id}/matches?key={key}", CandidateRanking)):
        body = client.get(url).get_json()
        # Read back by the model and written again, the answer is what was sent.
        assert model.model_validate(body).model_dump(mode="json", exclude_unset=True) == body, url
    assert client.get(f"/api/v1/profiles/{public_id}/matches").get_json()["matches"], "nothing ranked"


def test_document_is_json_with_the_security_headers_and_no_data(client, app, db):
    from sqlalchemy import select

    from models import Profile

    pid = factories.post(client, "profiles", factories.profile())
    resp = client.get(DOC)
    assert resp.status_code == 200 and resp.mimetype == "application/json"
    assert resp.get_json()["openapi"] == "3.1.0"
    assert "frame-ancestors 'none'" in resp.headers["Content-Security-Policy"]
    assert resp.headers["X-Content-Type-Options"] == "nosniff" and resp.headers["Referrer-Policy"] == "no-referrer"
    text = resp.get_data(as_text=True)
    with db.session() as s:
        profile = s.scalars(select(Profile)).one()
        assert pid not in text and profile.summary not in text and profile.city not in text
    assert '"example' not in text   # shapes only: no example could carry someone's details
    schemes = resp.get_json()["components"]["securitySchemes"]
    assert schemes["bearerAuth"]["scheme"] == "bearer" and schemes["vacancyKey"]["name"] == "X-Vacancy-Key"


# --- Fuzzing ------------------------------------------------------------------------------

def make_token(db, scopes, role: str | None = None) -> str:
    """An API token of a new account (a case worker by default; an employer of a new
    organisation with `role="employer"`); its text."""
    from models import ADMIN, Employer, User
    from web.tokens import issue_token

    with db.session() as s:
        user = User(email=f"fuzz-{uuid.uuid4().hex[:8]}@puente.test", role=role or ADMIN)
        if role is not None:
            user.employer = Employer.for_account("Fuzz employer")
        user.set_password("fuzz-password-1")
        s.add(user)
        s.commit()
        return issue_token(s, user, scopes, "schemathesis")[1]


def issue_all_scopes(db) -> str:
    from web.tokens import SCOPES

    return make_token(db, list(SCOPES))


# Fuzzed on PostgreSQL only (on SQLite when PostgreSQL is away): the run is most of this
# file's time, and PostgreSQL is the stricter backend (NUL bytes, integer range, types).
FUZZ_BACKEND = "postgresql"
EXAMPLES = 45         # per operation and mode; the count asserted is what the run really sent
SEEDED_EXAMPLES = 25  # per operation, on the seeded profile and vacancy
MIN_REQUESTS = 1000


def _checks():
    """No 5xx; status code, content type, headers and body as documented; and the requests
    themselves as documented, on every operation, bodies and queries included: a request the
    document calls valid is not refused (`positive_data_acceptance`), one it calls invalid is
    (`negative_data_rejection`). The API validates its bodies with JSON types strictly
    (`web.schemas.json_context`); the forms and the CSV import, whose values are strings,
    validate with the same models without it."""
    from schemathesis.checks import not_a_server_error
    from schemathesis.specs.openapi.checks import (
        content_type_conformance,
        negative_data_rejection,
        positive_data_acceptance,
        response_headers_conformance,
        response_schema_conformance,
        status_code_conformance,
    )

    return [not_a_server_error, status_code_conformance, content_type_conformance, response_headers_conformance,
            response_schema_conformance, negative_data_rejection, positive_data_acceptance]


class Fuzz:
    """Sends Schemathesis cases to the app in-process, checks each answer against the
    document, counts the answers and keeps one failure of each kind per operation."""

    def __init__(self, schema, token: str):
        self.schema, self.auth = schema, {"Authorization": f"Bearer {token}"}
        self.checks = _checks()
        self.statuses: Counter = Counter()
        self.failures: dict[tuple[str, str], str] = {}
        self.operations = {result.ok().label: result.ok() for result in schema.get_all_operations()}

    def send(self, case, headers: dict) -> int:
        from schemathesis.core.failures import Failure, FailureGroup

        response = case.call(headers=headers)
        self.statuses[response.status_code] += 1
        try:
            case.validate_response(response, checks=self.checks, headers=headers)
        except (FailureGroup, Failure) as exc:
            for failure in exc.exceptions if isinstance(exc, FailureGroup) else (exc,):
                self.failures.setdefault((case.operation.label, failure.title), str(exc)[:3000])
        return response.status_code

    def run(self, operation, mode, examples: int, auth: dict | None = None, **fixed) -> Counter:
        """Up to `examples` generated cases (fewer when the operation has less to vary)."""
        from hypothesis import HealthCheck, given, settings
        from hypothesis.errors import Unsatisfiable

        headers = {**(self.auth if auth is None else auth), **fixed.pop("headers", {})}
        seen: Counter = Counter()

        @settings(max_examples=examples, derandomize=True, database=None, deadline=None,
                  suppress_health_check=list(HealthCheck), print_blob=False)
        @given(operation.as_strategy(generation_mode=mode, **fixed))
        def fuzz(case):
            seen[self.send(case, headers)] += 1

        try:
            fuzz()
        except Unsatisfiable:   # nothing to make invalid: a plain string in the path
            assert mode.is_negative and not operation.body, operation.label
        return seen


def _seed(client, db, token: str) -> tuple[int, str, str]:
    """A profile and a vacancy with their rankings (real jobs), so that those answers are checked too."""
    from worker import jobs

    posted = client.post("/api/v1/vacancies", json=factories.vacancy(), headers={"Authorization": f"Bearer {token}"})
    vacancy_id, key = posted.get_json()["id"], posted.get_json()["key"]
    public_id = factories.post(client, "profiles", factories.profile())
    jobs.match_profile(factories.profile_id(db, public_id))
    jobs.match_vacancy(vacancy_id)
    assert client.get(f"/api/v1/profiles/{public_id}/matches").get_json()["matches"], "nothing ranked"
    return vacancy_id, key, public_id


def _fuzz_every_operation(fuzz, vacancy_id: int, key: str, public_id: str) -> None:
    from schemathesis import GenerationMode

    ops = fuzz.operations
    for operation in ops.values():
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            fuzz.run(operation, mode, EXAMPLES)
    candidates = ops["GET /api/v1/vacancies/{vacancy_id}/matches"]
    assert set(fuzz.run(candidates, GenerationMode.POSITIVE, SEEDED_EXAMPLES, path_parameters={
        "vacancy_id": vacancy_id}, headers={"X-Vacancy-Key": key})) == {200}
    on_seeded = {"public_id": public_id, "vacancy_id": vacancy_id, "code": "pe"}
    for label in ("GET /api/v1/profiles/{public_id}", "GET /api/v1/profiles/{public_id}/matches",
                  "GET /api/v1/vacancies/{vacancy_id}", "GET /api/v1/countries/{code}",
                  "PUT /api/v1/profiles/{public_id}", "DELETE /api/v1/profiles/{public_id}"):
        fuzz.run(ops[label], GenerationMode.POSITIVE, SEEDED_EXAMPLES,
                 path_parameters={name: on_seeded[name] for name in re.findall(r"{(\w+)}", label)})


def _fuzz_without_the_rights(fuzz, db, vacancy_id: int) -> None:
    """The same requests without a token, and with tokens that may not do it."""
    from schemathesis import GenerationMode

    ops = fuzz.operations
    candidates = ops["GET /api/v1/vacancies/{vacancy_id}/matches"]
    employer = make_token(db, ["vacancies:write", "candidates:read"], role="employer")
    for label in ("POST /api/v1/profiles", "POST /api/v1/vacancies"):
        assert set(fuzz.run(ops[label], GenerationMode.POSITIVE, 10, auth={})) == {401}
        assert set(fuzz.run(ops[label], GenerationMode.POSITIVE, 5, auth={"Authorization": "Bearer pt_x"})) == {401}
    assert set(fuzz.run(ops["POST /api/v1/profiles"], GenerationMode.POSITIVE, 10,
                        auth={"Authorization": f"Bearer {employer}"})) == {403}   # case workers only
    assert set(fuzz.run(candidates, GenerationMode.POSITIVE, 10, path_parameters={"vacancy_id": vacancy_id},
                        auth={"Authorization": f"Bearer {employer}"})) == {403}   # another organisation's
    assert set(fuzz.run(candidates, GenerationMode.POSITIVE, 5, path_parameters={"vacancy_id": vacancy_id},
                        auth={})) == {401}


def _send_what_generation_does_not_reach(fuzz) -> None:
    """A body too large, one that is not JSON, odd ids."""
    ops = fuzz.operations
    profiles = ops["POST /api/v1/profiles"]
    too_large = profiles.Case(body={**factories.profile(), "summary": "x" * 600_000}, media_type="application/json")
    assert fuzz.send(too_large, fuzz.auth) == 413
    not_json = ops["POST /api/v1/eligibility"].Case(body="current_country=CO", media_type="text/plain")
    assert fuzz.send(not_json, {}) == 400
    assert fuzz.send(ops["GET /api/v1/suggest"].Case(query={"q": "x" * 5000}), {}) == 414
    for label in ("GET /api/v1/profiles/{public_id}", "GET /api/v1/profiles/{public_id}/matches",
                  "PUT /api/v1/profiles/{public_id}", "DELETE /api/v1/profiles/{public_id}"):
        body = {"body": factories.profile(), "media_type": "application/json"} if label.startswith("PUT") else {}
        for odd in ("a\x00b", "x" * 300, "%", "ñ"):   # a NUL byte was a 500 on PostgreSQL
            # A NUL is refused before any view (400); any other non-id is no profile (404).
            expected = 400 if "\x00" in odd else 404
            assert fuzz.send(ops[label].Case(path_parameters={"public_id": odd}, **body), {}) == expected, (label, odd)


def test_schemathesis_finds_no_server_error_and_no_answer_outside_the_document(
        app, client, db, worker_state, database_url):
    import schemathesis

    if not database_url.startswith(FUZZ_BACKEND):
        from tests.conftest import _pg_reachable
        if _pg_reachable():
            pytest.skip(f"fuzzed on {FUZZ_BACKEND}")
    started = time.monotonic()
    token = issue_all_scopes(db)
    vacancy_id, key, public_id = _seed(client, db, token)
    fuzz = Fuzz(schemathesis.openapi.from_wsgi(DOC, app), token)
    _fuzz_every_operation(fuzz, vacancy_id, key, public_id)
    _fuzz_without_the_rights(fuzz, db, vacancy_id)
    _send_what_generation_does_not_reach(fuzz)

    total, seconds = sum(fuzz.statuses.values()), time.monotonic() - started
    print(f"\nschemathesis: {total} requests in {seconds:.0f} s; statuses {dict(sorted(fuzz.statuses.items()))}")
    assert not fuzz.failures, "\n\n".join(f"{label}: {title}\n{text}" for (label, title), text in fuzz.failures.items())
    assert total >= MIN_REQUESTS, fuzz.statuses
    assert {200, 202, 204, 400, 401, 403, 404, 413, 414, 422} <= set(fuzz.statuses), fuzz.statuses


def test_rate_limited_submissions_get_the_documented_429(settings, make_app, db):
    import schemathesis

    limited = make_app(replace(settings, rate_limit_enabled=True, rate_limit="2 per minute"))
    fuzz = Fuzz(schemathesis.openapi.from_wsgi(DOC, limited), issue_all_scopes(db))
    post = fuzz.operations["POST /api/v1/vacancies"]
    codes = [fuzz.send(post.Case(body=factories.vacancy(), media_type="application/json"), fuzz.auth)
             for _ in range(3)]
    assert codes == [202, 202, 429] and not fuzz.failures, fuzz.failures
