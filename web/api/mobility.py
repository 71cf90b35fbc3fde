"""The mobility knowledge base and the eligibility rules, for API clients."""
from __future__ import annotations

from flask import Blueprint, request

from matching.eligibility import Job, Person, assess, describe_reason, describe_step
from matching.i18n import LOCALES

from ..extensions import knowledge
from ..schemas import EligibilityIn, ValidationError, field_errors
from .common import read_json_body
from .errors import error_response

bp = Blueprint("mobility", __name__)

__all__ = ["bp", "country_json"]


def _status_json(status) -> dict:
    out = status.model_dump(mode="json", exclude_none=True)
    out["checked"] = out["source"]["checked"]
    return out


def country_json(country, full: bool = True) -> dict:
    """A country of the knowledge base: each status with code, label (es, pt, en),
    authorises_work, source and checked; in full, also how to obtain it, recognition of
    degrees and regulated professions."""
    if not full:
        return {
            "code": country.code, "names": country.names.model_dump(), "languages": country.languages,
            "quito_process": country.quito_process, "roles": country.roles,
            "statuses": [{"code": s.code, "label": s.label.model_dump(), "authorises_work": s.authorises_work,
                          "source": s.source.model_dump(mode="json"), "checked": s.source.checked.isoformat(),
                          **({"uncertain": s.uncertain} if s.uncertain else {})} for s in country.statuses],
        }
    out = country.model_dump(mode="json", exclude_none=True)
    out["statuses"] = [_status_json(s) for s in country.statuses]
    return out


@bp.get("/countries")
def countries():
    kb = knowledge()
    return {"countries": [country_json(c, full=False) for _, c in sorted(kb.countries.items())],
            "oldest_check": kb.oldest_check().isoformat()}


@bp.get("/countries/<code>")
def country(code: str):
    kb = knowledge()
    found = kb.country(code) if len(code) == 2 else None
    if found is None:
        return error_response(404, "not_found", "No country with this code in the knowledge base.",
                              {"code": "valid values: " + ", ".join(sorted(kb.countries))})
    return country_json(found)


def _locale(given: str | None) -> str:
    if given in LOCALES:
        return given
    return request.accept_languages.best_match(LOCALES) or "es"


@bp.post("/eligibility")
def eligibility():
    data, err = read_json_body()
    if err:
        return err
    kb = knowledge()
    try:
        q = EligibilityIn.model_validate(data, context={"kb": kb})
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
    body = {"verdict": verdict.verdict,
            "steps": [describe_step(kb, s, locale) for s in verdict.steps],
            "reasons": [describe_reason(kb, r, locale) for r in verdict.reasons]}
    if verdict.overqualified:
        body["overqualified"] = True
        body["routes"] = [describe_step(kb, s, locale) for s in verdict.routes]
    body["locale"] = locale
    return body

