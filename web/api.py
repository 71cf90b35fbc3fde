"""The JSON API under /api/v1.

Who may do what: posting profiles needs an API token with `profiles:write`, posting
vacancies one with `vacancies:write` (see web/tokens.py). A vacancy's candidates need its
key or a `candidates:read` token of its organisation. A profile's own endpoints need only
its public id, which is the person's private capability. Everything else is open.
"""
from __future__ import annotations

from flask import Blueprint, g, request, url_for
from sqlalchemy import select

from models import EMPLOYER, PROFILE, VACANCY, Profile, Vacancy
from models.queries import latest_run, profile_by_public_id, ranking

from .errors import error_response
from .extensions import db_session, knowledge
from .schemas import ProfileIn, VacancyIn, ValidationError, field_errors
from .security import limiter, submit_limit
from .services import create_profile, create_vacancy, delete_profile, update_profile
from .tokens import TOKEN_PREFIX, authenticate, bearer, require_scope, unauthorized
from .views import (
    candidate_card,
    iso,
    match_json,
    profile_json,
    run_json,
    run_status,
    vacancy_json,
)

bp = Blueprint("api", __name__, url_prefix="/api/v1")


MAX_ID = 2**31 - 1  # ids beyond a 32-bit integer do not exist; asking for one is a 404


def read_json_body():
    try:
        data = request.get_json(silent=True)
    except RecursionError:  # absurdly nested JSON
        data = None
    if not isinstance(data, dict):
        return None, error_response(400, "bad_request", "The body must be a JSON object "
                                    "(Content-Type: application/json).", {"_": "expected a JSON object"})
    return data, None


def _accepted(kind: str, obj_id, location: str, queued: bool, **extra):
    body = {"id": obj_id, "status": "queued", **extra}
    if not queued:
        body["message"] = "Saved. Matching is delayed and will start when the queue is back."
    return body, 202, {"Location": location}


def _profile_body():
    """The request's profile, validated: (ProfileIn, None) or (None, the 4xx answer)."""
    data, err = read_json_body()
    if err:
        return None, err
    try:
        return ProfileIn.model_validate(data, context={"kb": knowledge()}), None
    except ValidationError as exc:
        return None, error_response(422, "validation_error", "Some fields are not valid.",
                                    field_errors(exc, "en", ProfileIn, api=True))


@bp.post("/profiles")
@limiter.limit(submit_limit, methods=["POST"])
@require_scope("profiles:write")
def post_profile():
    parsed, err = _profile_body()
    if err:
        return err
    profile, queued = create_profile(parsed)
    return _accepted(PROFILE, profile.public_id, url_for("api.get_profile", public_id=profile.public_id), queued)


@bp.post("/vacancies")
@limiter.limit(submit_limit, methods=["POST"])
@require_scope("vacancies:write")
def post_vacancy():
    data, err = read_json_body()
    if err:
        return err
    try:
        parsed = VacancyIn.model_validate(data)
    except ValidationError as exc:
        return error_response(422, "validation_error", "Some fields are not valid.", field_errors(exc, "en", VacancyIn, api=True))
    # An employer's token posts for its organisation, as the form does for a logged-in employer.
    owner = g.api_token.user
    vacancy, key, queued = create_vacancy(parsed, owner.employer if owner.role == EMPLOYER else None)
    # The key opens the candidate list; it is shown only now.
    return _accepted(VACANCY, vacancy.id, url_for("api.get_vacancy", vacancy_id=vacancy.id), queued, key=key)


def _profile_or_404(public_id: str):
    profile = profile_by_public_id(db_session(), public_id)
    if profile is None:
        return None, error_response(404, "not_found", "No profile has this id.", {"id": "unknown"})
    return profile, None


def _vacancy_or_404(vacancy_id: int):
    vacancy = db_session().get(Vacancy, vacancy_id) if vacancy_id <= MAX_ID else None
    if vacancy is None:
        return None, error_response(404, "not_found", "No vacancy has this id.", {"id": "unknown"})
    return vacancy, None


@bp.get("/profiles/<public_id>")
def get_profile(public_id: str):
    profile, err = _profile_or_404(public_id)
    if err:
        return err
    run = latest_run(db_session(), PROFILE, profile.id)
    return {**profile_json(profile), "matching": run_json(run, profile.ranked_at)}


@bp.get("/vacancies/<int:vacancy_id>")
def get_vacancy(vacancy_id: int):
    vacancy, err = _vacancy_or_404(vacancy_id)
    if err:
        return err
    run = latest_run(db_session(), VACANCY, vacancy.id)
    return {**vacancy_json(vacancy), "matching": run_json(run, vacancy.ranked_at)}


@bp.get("/profiles/<public_id>/matches")
def profile_matches(public_id: str):
    profile, err = _profile_or_404(public_id)
    if err:
        return err
    s = db_session()
    run = latest_run(s, PROFILE, profile.id)
    locale = request.args.get("lang") or profile.locale
    return {"status": run_status(run, profile.ranked_at), "ranked_at": iso(profile.ranked_at),
            "matches": [match_json(m, locale, knowledge()) for m in ranking(s, PROFILE, profile.id)]}


def request_keys() -> list[str]:
    """What may be the vacancy key: `?key=`, `X-Vacancy-Key`, or (older clients) the bearer."""
    given = [request.args.get("key"), request.headers.get("X-Vacancy-Key"), bearer()]
    return [k for k in given if k]


def _candidates_refused(vacancy: Vacancy):
    """None if the request may see this vacancy's candidates, else the 401/403 answer."""
    # Any bearer is tried as a key first: a key may itself begin with "pt_" (1 in 64**3).
    if any(vacancy.owner_key_matches(k) for k in request_keys()):
        return None
    if (bearer() or "").startswith(TOKEN_PREFIX):
        token, err = authenticate("candidates:read")
        if err:
            return err
        if vacancy.employer_id is None or token.user.employer_id != vacancy.employer_id:
            return error_response(403, "forbidden", "This API token's organisation did not post this vacancy.",
                                  {"vacancy": "not this organisation's"})
        return None
    return unauthorized("The candidate list needs the vacancy's key (X-Vacancy-Key: <key> or ?key=), given when "
                        "the vacancy was posted, or an API token of its organisation with candidates:read "
                        "(Authorization: Bearer pt_...).", {"key": "missing or wrong", "authorization": "no API token"})


@bp.put("/profiles/<public_id>")
@limiter.limit(submit_limit)
def put_profile(public_id: str):
    """Replace a profile (the whole body, as for POST); its matching is queued again."""
    profile, err = _profile_or_404(public_id)
    if err:
        return err
    parsed, err = _profile_body()
    if err:
        return err
    queued = update_profile(profile, parsed)
    return _accepted(PROFILE, profile.public_id, url_for("api.get_profile", public_id=profile.public_id), queued)


@bp.delete("/profiles/<public_id>")
def remove_profile(public_id: str):
    profile, err = _profile_or_404(public_id)
    if err:
        return err
    delete_profile(profile)
    return "", 204


@bp.get("/vacancies/<int:vacancy_id>/matches")
def vacancy_matches(vacancy_id: int):
    vacancy, err = _vacancy_or_404(vacancy_id)
    if err:
        return err
    refused = _candidates_refused(vacancy)
    if refused:
        return refused
    s = db_session()
    run = latest_run(s, VACANCY, vacancy.id)
    rows = ranking(s, VACANCY, vacancy.id)
    people = {p.id: p for p in s.scalars(select(Profile).where(Profile.id.in_([m.profile_id for m in rows])))}
    locale = request.args.get("lang") or vacancy.locale
    return {"status": run_status(run, vacancy.ranked_at), "ranked_at": iso(vacancy.ranked_at),
            "matches": [{**match_json(m, locale, knowledge()), "candidate": candidate_card(people[m.profile_id])}
                        for m in rows if m.profile_id in people]}
