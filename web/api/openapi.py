"""GET /api/v1/openapi.json: the document spectree generates (web/api/spec.py), with what
depends on this app and what spectree has no word for.

Added here: the values that depend on the app (the knowledge base's countries for the
eligibility questions, each country's statuses, the national degree names a level may be,
the barrier thresholds), the form of a profile's id, the headers
an answer carries (Location, WWW-Authenticate, Retry-After), the CSV answer, and each
error as a named shared answer. The document holds no data, only shapes: no example
carries a person's details or an id.
"""
from __future__ import annotations

import copy
import json
import threading

from flask import Blueprint, Response, current_app

from matching import EDUCATION_LEVELS
from models.profile import PUBLIC_ID

from ..barriers import thresholds
from ..extensions import knowledge
from ..responses import OpenApiOut
from .spec import answers, spec

__all__ = ["REF", "bp", "document"]

bp = Blueprint("openapi", __name__)

JSON = "application/json"
REF = "#/components/schemas/{model}"


def _error(description: str, **headers) -> dict:
    out = {"description": description, "content": {JSON: {"schema": {"$ref": REF.format(model="ErrorOut")}}}}
    return {**out, "headers": headers} if headers else out


RETRY = {"Retry-After": {"schema": {"type": "string"}}}
ERRORS = {
    "400": ("BadRequest", _error("The body is not a JSON object, or a parameter is not valid (a NUL byte in the "
                                 "address or the query, for one).")),
    "401": ("Unauthorized", _error("No API token, or one that is not valid (or the vacancy's key is wrong).",
                                   **{"WWW-Authenticate": {"required": True,
                                                           "schema": {"type": "string", "pattern": "^Bearer"}}})),
    "403": ("Forbidden", _error("The token lacks the scope, or its organisation does not own the vacancy.")),
    "404": ("NotFound", _error("No such profile, vacancy or country.")),
    "409": ("Conflict", _error("The step does not follow from where things stand: the vacancy is closed, the "
                               "details were already shared, or the conversation has ended.")),
    "413": ("TooLarge", _error("The body is larger than the server accepts.")),
    "414": ("TooLong", _error("The query string is longer than the server accepts.")),
    "422": ("Invalid", _error("Some fields are not valid: `fields` names each with what is wrong.")),
    "429": ("TooMany", _error("Too many submissions from this address; try again later.", **RETRY)),
    "503": ("Unavailable", _error("The database cannot be reached (down or restarting); nothing was saved.",
                                  **RETRY)),
}
LOCATION = {"Location": {"required": True, "schema": {"type": "string"}, "description": "Where to follow it."}}
PROFILE_ID = {"type": "string", "pattern": f"^{PUBLIC_ID.pattern}$"}
PROFILE_ID_TEXT = "The profile's private id, given when it was posted: whoever holds it owns the profile."


def _operations(doc: dict):
    for path, item in doc["paths"].items():
        for method, op in item.items():
            yield path, method, op


# Answers that are not errors although their code is: the health check's "down" is its report.
OWN_BODIES = {("/healthz", "503")}


def _finish_operation(path: str, op: dict, min_scores: list[float]) -> None:
    for code, answer in list(op["responses"].items()):
        if code in ERRORS and (path, code) not in OWN_BODIES:
            op["responses"][code] = {"$ref": f"#/components/responses/{ERRORS[code][0]}"}
        elif code == "202":
            answer["headers"] = LOCATION
        elif path.endswith(".csv") and code == "200":
            answer["content"] = {"text/csv": {"schema": {"type": "string"}}}
    for param in op.get("parameters", []):
        if param["name"] == "public_id":
            param.update(schema=PROFILE_ID, description=PROFILE_ID_TEXT)
        elif param["name"] in ("vacancy_id", "application_id"):
            param["schema"] = {"type": "integer", "minimum": 1}
        elif param["name"] == "min_score":
            param["schema"] = {"type": "number", "enum": min_scores}
        elif param["name"] == "code" and param["in"] == "path":
            param["description"] = "ISO 3166 alpha-2."
    if not op.get("description"):
        op.pop("description", None)
    if not op.get("tags"):
        op.pop("tags", None)


def _statuses(kb, country_field: str, all_countries: list[str]) -> dict:
    """A status is one of the country's (its codes, their older aliases); "national" where the
    knowledge base has none; "unknown" or null anywhere (`web.schemas._check_status`)."""
    anywhere = ["unknown", None]
    known = {code: [s for status in c.statuses for s in (status.code, *status.aliases)]
             for code, c in sorted(kb.countries.items()) if c.statuses}
    branches = [{"properties": {country_field: {"const": code}, "status": {"enum": [*codes, *anywhere]}}}
                for code, codes in known.items()]
    others = [code for code in all_countries if code not in known]
    if others:
        branches.append({"properties": {country_field: {"enum": others},
                                        "status": {"enum": ["national", *anywhere]}}})
    return {"anyOf": branches}


def _levels(kb, country_field: str, level_field: str) -> tuple[dict, dict]:
    """An education level as the validator reads it (`web.schemas._read_level`): an ISCED 2011
    code, a number from 0 to 8, or a national degree name; a name that means different
    levels in different countries ("bachiller") only with its country. The level's schema,
    and the rule the object adds for those names."""
    names = sorted({n for d in kb.degrees for n in (d.code, *d.names)})
    plain = [n for n in names if kb.degree(n) is not None]
    by_country: dict[str, list[str]] = {}
    for d in kb.degrees:
        by_country.setdefault(d.country, []).extend(n for n in (d.code, *d.names) if kb.degree(n) is None)
    ambiguous = sorted({n for found in by_country.values() for n in found})
    level = {"anyOf": [{"type": "string", "enum": list(EDUCATION_LEVELS)},
                       {"type": "integer", "minimum": 0, "maximum": len(EDUCATION_LEVELS) - 1},
                       {"type": "string", "enum": plain + ambiguous}],
             "description": "An ISCED 2011 level, a number from 0 to 8, or a national degree name (kept as `degree`); "
                            "a name that means different levels in different countries only with its country."}
    rule = {"anyOf": [{"properties": {level_field: {"not": {"enum": ambiguous}}}},
                      *({"required": [country_field, level_field],
                         "properties": {country_field: {"const": code}, level_field: {"enum": sorted(set(found))}}}
                        for code, found in sorted(by_country.items()) if found)]}
    return level, rule


def _add_rule(schema: dict, rule: dict) -> None:
    schema["allOf"] = [*schema.get("allOf", []), rule]


def _known_values(schemas: dict, kb) -> None:
    """What the knowledge base decides: each country's statuses, the national degree names."""
    countries = schemas["ProfileIn"]["properties"]["country"]["enum"]
    _add_rule(schemas["ProfileIn"], _statuses(kb, "country", countries))
    _add_rule(schemas["EligibilityIn"], _statuses(kb, "current_country", countries))
    for model, country, field in (("EducationIn", "country", "level"), ("EligibilityEducationIn", "country", "level"),
                                  ("VacancyIn", "country", "education_level")):
        level, rule = _levels(kb, country, field)
        prop = schemas[model]["properties"][field]
        if "anyOf" in prop and {"type": "null"} in prop["anyOf"]:   # optional: null too
            level = {**level, "anyOf": [*level["anyOf"], {"type": "null"}]}
        schemas[model]["properties"][field] = {k: v for k, v in {**prop, **level}.items() if k not in ("enum", "type")}
        _add_rule(schemas[model], rule)


def document(kb, min_scores: list[float]) -> dict:
    """The OpenAPI document for an app with this knowledge base (`config.mobility`) and these
    barrier thresholds (`web.barriers.thresholds`)."""
    doc = copy.deepcopy(spec.spec)
    for path, _method, op in _operations(doc):
        _finish_operation(path, op, min_scores)
    doc.pop("tags", None)
    if not doc.get("security"):
        doc.pop("security", None)
    schemas = doc["components"]["schemas"]
    # A country's statuses are given with their date checked next to the source.
    status = schemas["Status"]
    status["properties"]["checked"] = {"type": "string", "format": "date"}
    status["required"] = [*status.get("required", []), "checked"]
    # Eligibility is known for the countries of this knowledge base only (checked by the model too).
    for name in ("current_country", "target_country"):
        schemas["EligibilityIn"]["properties"][name]["enum"] = sorted(kb.countries)
    _known_values(schemas, kb)
    doc["components"]["responses"] = dict(ERRORS.values())
    return doc


_lock = threading.Lock()


@bp.get("/openapi.json")
@spec.validate(resp=answers(HTTP_200=(OpenApiOut, "OpenAPI 3.1.")), operation_id="getOpenApi", security=[],
               skip_validation=True)
def openapi_json():
    """This document."""
    # Made once per app: it depends on the code, the knowledge base and the barrier thresholds.
    text = current_app.extensions.get("puente_openapi")
    if text is None:
        with _lock:   # spectree walks the routes of the app at hand once
            text = json.dumps(document(knowledge(), thresholds()), ensure_ascii=False)
        current_app.extensions["puente_openapi"] = text
    return Response(text, mimetype=JSON)
