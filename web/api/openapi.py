"""The OpenAPI 3.1 document of the JSON API, served at GET /api/v1/openapi.json.

Request bodies are the JSON schemas of the pydantic models the API validates with
(`web.schemas`), and a country in full is the schema of the knowledge base's own model, so
neither can drift from the code. The other answers are written here by hand: every key the
code always writes is required, and a key it writes only sometimes is not.
tests/test_openapi.py keeps the document complete (every /api/v1 route and method, nothing
more) and fuzzes the API against it with Schemathesis.

The document holds no data, only shapes: no example carries a person's details or an id.
"""
from __future__ import annotations

import json

from flask import Blueprint, Response, current_app

from config.mobility import Country
from matching import EDUCATION_LEVELS, LANGUAGE_LEVELS
from matching.eligibility import BARRIER_GROUPS, STEP_KINDS, VERDICTS
from models import RUN_STATUSES
from models.profile import PUBLIC_ID as ID_FORM

from ..barriers import thresholds
from ..constants import SCOPES
from ..extensions import knowledge
from ..schemas import EligibilityIn, ProfileIn, VacancyIn

__all__ = ["bp", "document"]

bp = Blueprint("openapi", __name__)

JSON = "application/json"
REF = "#/components/schemas/{model}"

def _ref(name: str) -> dict:
    return {"$ref": REF.format(model=name)}


def _obj(props: dict, required: tuple | list | None = None, extra: bool = False) -> dict:
    """An object with these properties; all required unless `required` names fewer."""
    return {"type": "object", "properties": props, "required": list(props if required is None else required),
            "additionalProperties": extra}


def _null(schema: dict) -> dict:
    return {"anyOf": [schema, {"type": "null"}]}


STR, INT, NUM, BOOL = {"type": "string"}, {"type": "integer"}, {"type": "number"}, {"type": "boolean"}
TEXT_PARAM = {"type": "string", "pattern": "^[^\\x00]*$"}   # a NUL byte in an address or a query is a 400
TIME = {"type": "string", "format": "date-time"}
STRS = {"type": "array", "items": STR}
LOCALE = {"type": "string", "enum": ["es", "pt", "en"]}


def _response_schemas() -> dict:
    """The answers, by hand (see the module docstring)."""
    level = {"type": "string", "enum": list(EDUCATION_LEVELS)}
    step = _obj({"kind": {"type": "string", "enum": list(STEP_KINDS)}, "text": STR, "authority": STR,
                 "url": STR, "months": NUM, "uncertain": BOOL}, ["kind", "text"])
    reason = _obj({"code": _null(STR), "text": STR})
    language = _obj({"code": STR, "level": {"type": "string", "enum": list(LANGUAGE_LEVELS)}})
    count = _null({"type": "integer", "minimum": 0})   # null: withheld, it could point at one person
    barrier_row = _obj({"country": STR, "strong_matches": count, "eligible_now": count,
                        "blocked": _obj({g: count for g in BARRIER_GROUPS})})
    # Explanations grew over versions: stored rankings may lack the newer keys.
    explanation = {
        "matched_skills": {"type": "array", "items": _obj({"skill": STR, "by": STR, "similarity": NUM})},
        "missing_skills": STRS, "missing_optional_skills": STRS, "relevant_years": NUM, "required_years": NUM,
        "location": {"type": "string", "enum": ["remote", "remote_abroad", "same_city", "same_country",
                                                "relocation", "out_of_reach"]},
        "occupations": {"type": "object"}, "skills_from_occupation": BOOL, "ready_now": BOOL,
    }
    scores = {"type": "object", "additionalProperties": {"type": "number", "minimum": 0, "maximum": 1}}
    match = {"rank": {"type": "integer", "minimum": 1}, "score": {"type": "number", "minimum": 0, "maximum": 1},
             "encoder": STR, "computed_at": _null(TIME)}
    return {
        "Error": {**_obj({"error": STR, "message": STR, "fields": {
            "type": "object", "additionalProperties": STR,
            "description": "What is wrong, by field (`jobs.0.title`; `_` for the whole body)."}}),
            "description": "Every error answer."},
        "ProfileAccepted": _obj({"id": {"type": "string", "description": "The profile's private id: keep it."},
                                 "status": {"const": "queued"},
                                 "message": {"type": "string", "description": "Only when the queue is away."}},
                                ["id", "status"]),
        "VacancyAccepted": _obj({"id": INT, "status": {"const": "queued"},
                                 "key": {"type": "string", "description": "Opens the candidate list; shown once."},
                                 "message": STR}, ["id", "status", "key"]),
        "Run": _obj({"status": {"type": "string", "enum": list(RUN_STATUSES)}, "enqueued_at": _null(TIME),
                     "started_at": _null(TIME), "finished_at": _null(TIME),
                     "duration_ms": _null(INT), "candidates": _null(INT), "ranked_at": _null(TIME)}),
        "Profile": _obj({
            "id": STR, "locale": LOCALE, "summary": STR,
            "jobs": {"type": "array", "items": _obj({"title": STR, "years": NUM, "country": _null(STR),
                                                     "description": STR}, ["title", "years"])},
            "skills": STRS, "languages": {"type": "array", "items": language},
            "education": _null(_obj({"level": level, "degree": _null(STR), "field": STR, "country": _null(STR),
                                     "recognised_in": STRS})),
            "country": STR, "city": STR, "target_countries": STRS, "relocate": BOOL, "nationalities": STRS,
            "status": _null(STR),
            "consent": _obj({"scope": STR, "version": STR, "given_at": _null(TIME)}),
            "created_at": TIME, "updated_at": TIME, "matching": _ref("Run")}),
        "Vacancy": _obj({
            "id": INT, "title": STR, "description": STR, "employer": _null(STR), "essential_skills": STRS,
            "optional_skills": STRS, "country": STR, "city": STR, "remote": BOOL, "languages": STRS,
            "education_level": _null(level), "experience_years": NUM, "openings": {"type": "integer", "minimum": 1},
            "accepts_relocation": BOOL, "status": {"type": "string", "enum": ["open", "closed"]},
            "locale": LOCALE, "created_at": TIME, "updated_at": TIME, "matching": _ref("Run")}),
        "Step": step,
        "Reason": reason,
        "ProfileMatch": _obj({"vacancy_id": INT, **match, "scores": scores, "explanation": _obj({
            **explanation, "verdict": {"type": "string", "enum": list(VERDICTS)},
            "steps": {"type": "array", "items": _ref("Step")}, "reasons": {"type": "array", "items": _ref("Reason")},
            "overqualified": BOOL, "routes": {"type": "array", "items": _ref("Step")}},
            ["verdict", "steps", "reasons", "ready_now"], extra=True)}),
        "Candidate": _obj({"skills": STRS, "job_titles": {"type": "array", "items": _null(STR)},
                           "experience_years": NUM, "education_level": _null(level),
                           "languages": {"type": "array", "items": language}, "city": STR, "country": STR}),
        "VacancyMatch": _obj({"profile_id": INT, **match, "candidate": _ref("Candidate"), "scores": {
            **scores, "not": {"required": ["eligibility"]},
            "description": "No eligibility score: it would tell which steps the person needs."},
            "explanation": _obj(explanation, ["ready_now"], extra=True)}),
        "Ranking": _obj({"status": {"type": "string", "enum": list(RUN_STATUSES)}, "ranked_at": _null(TIME),
                         "matches": {"type": "array", "items": _ref("ProfileMatch")}}),
        "CandidateRanking": _obj({"status": {"type": "string", "enum": list(RUN_STATUSES)}, "ranked_at": _null(TIME),
                                  "matches": {"type": "array", "items": _ref("VacancyMatch")}}),
        "CountrySummary": _obj({
            "code": STR, "names": _ref("Localised"), "languages": STRS, "quito_process": BOOL,
            "roles": {"type": "array", "items": {"type": "string", "enum": ["host", "origin", "transit"]}},
            "statuses": {"type": "array", "items": _obj({
                "code": STR, "label": _ref("Localised"), "authorises_work": BOOL, "source": _ref("Source"),
                "checked": {"type": "string", "format": "date"}, "uncertain": STR},
                ["code", "label", "authorises_work", "source", "checked"])}}),
        "Countries": _obj({"countries": {"type": "array", "items": _ref("CountrySummary")},
                           "oldest_check": {"type": "string", "format": "date"}}),
        "Eligibility": _obj({"verdict": {"type": "string", "enum": list(VERDICTS)},
                             "steps": {"type": "array", "items": _ref("Step")},
                             "reasons": {"type": "array", "items": _ref("Reason")},
                             "overqualified": {"const": True}, "routes": {"type": "array", "items": _ref("Step")},
                             "locale": LOCALE}, ["verdict", "steps", "reasons", "locale"]),
        "Barriers": _obj({"min_score": {"type": "number", "minimum": 0, "maximum": 1},
                          "min_count": {"type": "integer", "minimum": 0},
                          "groups": {"type": "array", "items": {"type": "string", "enum": list(BARRIER_GROUPS)}},
                          "countries": {"type": "array", "items": barrier_row}, "total": barrier_row}),
        "Suggestions": _obj({"suggestions": {"type": "array", "items": STR, "maxItems": 10}}),
    }


def _model_schemas(kb) -> dict:
    """The request models' JSON schemas and the knowledge base's country, with their parts."""
    out: dict = {}
    for model, mode in ((ProfileIn, "validation"), (VacancyIn, "validation"), (EligibilityIn, "validation"),
                        (Country, "serialization")):
        schema = model.model_json_schema(ref_template=REF, mode=mode)
        for name, part in {**schema.pop("$defs", {}), model.__name__: schema}.items():
            if out.setdefault(name, part) != part:
                raise RuntimeError(f"two different schemas are named {name}")
    # A country's statuses are given with their date checked next to the source.
    status = out["Status"]
    status["properties"]["checked"] = {"type": "string", "format": "date"}
    status["required"] = [*status.get("required", []), "checked"]
    # Eligibility is known for the countries of this knowledge base only (checked by the model too).
    for name in ("current_country", "target_country"):
        out["EligibilityIn"]["properties"][name]["enum"] = sorted(kb.countries)
    return out


def _error(description: str, **extra) -> dict:
    return {"description": description, "content": {JSON: {"schema": _ref("Error")}}, **extra}


RESPONSES = {
    "BadRequest": _error("The body is not a JSON object, or a parameter is not valid (a NUL byte in the "
                         "address or the query, for one)."),
    "Unauthorized": _error("No API token, or one that is not valid (or the vacancy's key is wrong).", headers={
        "WWW-Authenticate": {"required": True, "schema": {"type": "string", "pattern": "^Bearer"}}}),
    "Forbidden": _error("The token lacks the scope, or its organisation does not own the vacancy."),
    "NotFound": _error("No such profile, vacancy or country."),
    "TooLarge": _error("The body is larger than the server accepts."),
    "TooLong": _error("The query string is longer than the server accepts."),
    "Invalid": _error("Some fields are not valid: `fields` names each with what is wrong."),
    "TooMany": _error("Too many submissions from this address; try again later.", headers={
        "Retry-After": {"schema": {"type": "string"}}}),
    "Unavailable": _error("The database cannot be reached (down or restarting); nothing was saved.", headers={
        "Retry-After": {"schema": {"type": "string"}}}),
}


def _answers(*codes: str, **ok) -> dict:
    """Responses: the 2xx given by keyword (`_202=...`), then the named common errors."""
    names = {"400": "BadRequest", "401": "Unauthorized", "403": "Forbidden", "404": "NotFound",
             "413": "TooLarge", "414": "TooLong", "422": "Invalid", "429": "TooMany", "503": "Unavailable"}
    out = {code.lstrip("_"): answer for code, answer in ok.items()}
    out.update({code: {"$ref": f"#/components/responses/{names[code]}"} for code in codes})
    return out


def _json(description: str, schema: dict, **extra) -> dict:
    return {"description": description, "content": {JSON: {"schema": schema}}, **extra}


def _body(model: str) -> dict:
    return {"required": True, "content": {JSON: {"schema": _ref(model)}}}


def _query(name: str, schema: dict, description: str) -> dict:
    return {"name": name, "in": "query", "required": False, "schema": schema, "description": description}


LOCATION = {"Location": {"required": True, "schema": {"type": "string"}, "description": "Where to follow it."}}
PUBLIC_ID = {"name": "public_id", "in": "path", "required": True,
             "description": "The profile's private id, given when it was posted: whoever holds it owns the profile."}
VACANCY_ID = {"name": "vacancy_id", "in": "path", "required": True, "schema": {"type": "integer", "minimum": 1}}
LANG = _query("lang", TEXT_PARAM, "es, pt or en for the texts of steps and reasons; other values: "
              "the language the profile or vacancy was written in.")
PUBLIC: list = []   # no credentials needed


def _paths(min_scores: list[float]) -> dict:
    profile = {"parameters": [{**PUBLIC_ID, "schema": {"type": "string", "pattern": f"^{ID_FORM.pattern}$"}}]}
    # Fixed steps, so that two close thresholds cannot single out one match (read to 6 decimals).
    min_score = _query("min_score", {"type": "number", "enum": min_scores},
                       "A match at least this good counts (default: the server's setting).")
    return {
        "/api/v1/profiles": {"post": {
            "operationId": "postProfile", "summary": "Post a job seeker's profile; its matching is queued.",
            "security": [{"bearerAuth": ["profiles:write"]}], "requestBody": _body("ProfileIn"),
            "responses": _answers("400", "401", "403", "413", "422", "429", _202=_json(
                "Saved and queued.", _ref("ProfileAccepted"), headers=LOCATION))}},
        "/api/v1/profiles/{public_id}": {**profile, "get": {
            "operationId": "getProfile", "summary": "The whole profile and the state of its matching.",
            "security": PUBLIC, "responses": _answers("404", _200=_json("The profile.", _ref("Profile")))},
            "put": {"operationId": "putProfile", "summary": "Replace the profile (the whole body); matching again.",
                    "security": PUBLIC, "requestBody": _body("ProfileIn"),
                    "responses": _answers("400", "404", "413", "422", "429", _202=_json(
                        "Saved and queued.", _ref("ProfileAccepted"), headers=LOCATION))},
            "delete": {"operationId": "deleteProfile", "summary": "Delete the profile and its matches.",
                       "security": PUBLIC, "responses": _answers("404", _204={"description": "Deleted."})}},
        "/api/v1/profiles/{public_id}/matches": {**profile, "get": {
            "operationId": "getProfileMatches",
            "summary": "The profile's ranking of vacancies, with reasons and steps.",
            "security": PUBLIC, "parameters": [LANG],
            "responses": _answers("404", _200=_json("The ranking.", _ref("Ranking")))}},
        "/api/v1/vacancies": {"post": {
            "operationId": "postVacancy", "summary": "Post a vacancy; its matching is queued.",
            "security": [{"bearerAuth": ["vacancies:write"]}], "requestBody": _body("VacancyIn"),
            "responses": _answers("400", "401", "403", "413", "422", "429", _202=_json(
                "Saved and queued.", _ref("VacancyAccepted"), headers=LOCATION))}},
        "/api/v1/vacancies/{vacancy_id}": {"parameters": [VACANCY_ID], "get": {
            "operationId": "getVacancy", "summary": "The vacancy and the state of its matching.",
            "security": PUBLIC, "responses": _answers("404", _200=_json("The vacancy.", _ref("Vacancy")))}},
        "/api/v1/vacancies/{vacancy_id}/matches": {"parameters": [VACANCY_ID], "get": {
            "operationId": "getVacancyMatches",
            "summary": "The vacancy's candidates, without name, contact, nationality or status.",
            "security": [{"vacancyKey": []}, {"vacancyKeyQuery": []}, {"bearerAuth": ["candidates:read"]}],
            "parameters": [LANG],
            "responses": _answers("401", "403", "404", _200=_json("The candidates.", _ref("CandidateRanking")))}},
        "/api/v1/countries": {"get": {
            "operationId": "getCountries", "summary": "The countries of the knowledge base and their statuses.",
            "security": PUBLIC, "responses": {"200": _json("The countries.", _ref("Countries"))}}},
        "/api/v1/countries/{code}": {"get": {
            "operationId": "getCountry", "summary": "One country in full: statuses, recognition, regulated work.",
            "security": PUBLIC, "parameters": [{"name": "code", "in": "path", "required": True,
                                                "schema": {"type": "string"}, "description": "ISO 3166 alpha-2."}],
            "responses": _answers("404", _200=_json("The country.", _ref("Country")))}},
        "/api/v1/eligibility": {"post": {
            "operationId": "postEligibility",
            "summary": "May this person work in that country, and what would it take.",
            "security": PUBLIC, "requestBody": _body("EligibilityIn"),
            "responses": _answers("400", "413", _200=_json("The verdict, steps and reasons.", _ref("Eligibility")))}},
        "/api/v1/insights/barriers": {"get": {
            "operationId": "getBarriers", "summary": "Strong matches by country and the barriers blocking them.",
            "security": PUBLIC, "parameters": [min_score],
            "responses": _answers("400", _200=_json("Counts (small ones withheld as null).", _ref("Barriers")))}},
        "/api/v1/insights/barriers.csv": {"get": {
            "operationId": "getBarriersCsv", "summary": "The same counts as CSV.",
            "security": PUBLIC, "parameters": [min_score],
            "responses": _answers("400", _200={"description": "CSV, one row per country and a total.",
                                               "content": {"text/csv": {"schema": STR}}})}},
        "/api/v1/suggest": {"get": {
            "operationId": "getSuggestions", "summary": "ESCO labels starting with what was typed.",
            "security": PUBLIC, "parameters": [
                _query("q", TEXT_PARAM, "What was typed (two letters at least; the first 60 count)."),
                _query("kind", {"type": "string", "enum": ["occupation", "skill"]}, "Default: occupation."),
                _query("lang", TEXT_PARAM, "es, pt or en (other values: es).")],
            "responses": _answers("400", _200=_json("Up to ten labels.", _ref("Suggestions")))}},
        "/api/v1/openapi.json": {"get": {
            "operationId": "getOpenApi", "summary": "This document.", "security": PUBLIC,
            "responses": {"200": _json("OpenAPI 3.1.", {"type": "object", "required": ["openapi", "info", "paths"]})}}},
    }


def document(kb, min_scores: list[float]) -> dict:
    """The OpenAPI document for an app with this knowledge base (`config.mobility`) and these
    barrier thresholds (`web.insights.thresholds`)."""
    paths = _paths(min_scores)
    for item in paths.values():   # any address can carry a query string too long, or a NUL byte
        for op in (op for method, op in item.items() if method != "parameters"):
            op["responses"].update(_answers("400", "414", "503"))
    return {
        "openapi": "3.1.0",
        "info": {"title": "Puente API", "version": "1",
                 "description": "Job matching for refugees, migrants and host communities in Latin America. "
                                "Errors are always `{\"error\", \"message\", \"fields\"}`; a method not "
                                "listed for a path gets 405 with an `Allow` header naming those that are."},
        "paths": paths,
        "components": {
            "schemas": {**_model_schemas(kb), **_response_schemas()},
            "responses": RESPONSES,
            "securitySchemes": {
                "bearerAuth": {"type": "http", "scheme": "bearer", "bearerFormat": "pt_<token>",
                               "description": "An API token (made at /cuenta/tokens); each operation names the "
                                              "scope it needs. " + " ".join(f"{k}: {v}" for k, v in SCOPES.items())},
                "vacancyKey": {"type": "apiKey", "in": "header", "name": "X-Vacancy-Key",
                               "description": "The vacancy's key, given when it was posted (also accepted as "
                                              "`Authorization: Bearer <key>`)."},
                "vacancyKeyQuery": {"type": "apiKey", "in": "query", "name": "key",
                                    "description": "The vacancy's key in the address."},
            },
        },
    }


@bp.get("/openapi.json")
def openapi_json():
    # Made once per app: it depends on the code, the knowledge base and the barrier thresholds.
    text = current_app.extensions.get("puente_openapi")
    if text is None:
        text = json.dumps(document(knowledge(), thresholds()), ensure_ascii=False)
        current_app.extensions["puente_openapi"] = text
    return Response(text, mimetype=JSON)
