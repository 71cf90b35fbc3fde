"""The mobility knowledge base and the eligibility rules, for API clients."""
from __future__ import annotations

from flask import Blueprint, request

from matching.eligibility import Job, Person, assess, describe_reason, describe_step
from matching.i18n import LOCALES

from ..extensions import knowledge
from ..responses import CountriesOut, CountryOut, Eligibility, country_out, country_summary, dump
from ..schemas import EligibilityIn, ValidationError, field_errors, json_context
from .common import read_json_body
from .errors import error_response
from .spec import answers, spec

bp = Blueprint("mobility", __name__)

__all__ = ["bp"]


@bp.get("/countries")
@spec.validate(resp=answers(HTTP_200=(CountriesOut, "The countries.")), operation_id="getCountries", security=[],
               skip_validation=True)
def countries():
    """The countries of the knowledge base and their statuses."""
    kb = knowledge()
    return dump(CountriesOut(countries=[country_summary(c) for _, c in sorted(kb.countries.items())],
                             oldest_check=kb.oldest_check()))


@bp.get("/countries/<code>")
@spec.validate(resp=answers(404, HTTP_200=(CountryOut, "The country.")), operation_id="getCountry", security=[],
               skip_validation=True)
def country(code: str):
    """One country in full: statuses, recognition, regulated work."""
    kb = knowledge()
    found = kb.country(code) if len(code) == 2 else None
    if found is None:
        return error_response(404, "not_found", "No country with this code in the knowledge base.",
                              {"code": "valid values: " + ", ".join(sorted(kb.countries))})
    return country_out(found)


def _locale(given: str | None) -> str:
    if given in LOCALES:
        return given
    return request.accept_languages.best_match(LOCALES) or "es"


@bp.post("/eligibility")
@spec.validate(json=EligibilityIn, resp=answers(413, HTTP_200=(Eligibility, "The verdict, steps and reasons.")),
               operation_id="postEligibility", security=[], skip_validation=True)
def eligibility():
    """May this person work in that country, and what would it take."""
    data, err = read_json_body()
    if err:
        return err
    kb = knowledge()
    try:
        q = EligibilityIn.model_validate(data, strict=True, context=json_context(kb))
    except ValidationError as exc:
        return error_response(400, "validation_error", "Some fields are not valid.",
                              field_errors(exc, "en", EligibilityIn, api=True))
    edu = q.education
    person = Person(tuple(q.nationalities), q.current_country, q.status,
                    edu.level if edu else None, edu.country if edu else None,
                    tuple(edu.recognised_in) if edu else (), {x.code: x.level for x in q.languages})
    job = Job(q.target_country, q.occupation_isco, q.required_education, tuple(q.required_languages),
              remote=q.remote)
    verdict = assess(kb, person, job)
    locale = _locale(q.locale)
    extra = {}
    if verdict.overqualified:
        extra = {"overqualified": True, "routes": [describe_step(kb, s, locale) for s in verdict.routes]}
    return dump(Eligibility(verdict=verdict.verdict, steps=[describe_step(kb, s, locale) for s in verdict.steps],
                            reasons=[describe_reason(kb, r, locale) for r in verdict.reasons], locale=locale,
                            **extra))
