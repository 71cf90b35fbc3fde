"""Rankings: a profile's vacancies (for whoever holds its public id) and a vacancy's
candidates (for its key, or a `candidates:read` token of its organisation)."""
from __future__ import annotations

from flask import Blueprint, request
from sqlalchemy import select

from models import BY_EMPLOYER, BY_SEEKER, PROFILE, VACANCY, Profile, Vacancy
from models.queries import latest_run, ranking

from ..constants import TOKEN_PREFIX
from ..extensions import db_session, knowledge, settings
from ..outcomes import dismissed, shown
from ..responses import (
    CandidateRanking,
    NotRelevantOut,
    Ranking,
    dump,
    left_out_out,
    match_out,
    protection_out,
    run_status,
    split_by_relevance,
)
from .auth import authenticate, bearer, unauthorized
from .errors import error_response
from .profiles import profile_or_404
from .spec import CandidatesQuery, ProfileMatchesQuery, answers, spec
from .vacancies import vacancy_or_404

bp = Blueprint("rankings", __name__)


_FLAGS = {"1": True, "true": True, "0": False, "false": False, "": False}


@bp.get("/profiles/<public_id>/matches")
@spec.validate(query=ProfileMatchesQuery, resp=answers(400, 404, HTTP_200=(Ranking, "The ranking.")),
               operation_id="getProfileMatches", security=[], skip_validation=True)
def profile_matches(public_id: str):
    """The profile's ranking of vacancies, best first, with reasons and steps; jobs of another
    trade below the relevance floor apart (`other_work`); `ready_now=true` keeps only the
    matches the person can take now."""
    ready_now = _FLAGS.get(request.args.get("ready_now", "").lower())
    if ready_now is None:
        return error_response(400, "bad_request", "ready_now must be true or false.",
                              {"ready_now": "true or false"})
    profile, err = profile_or_404(public_id)
    if err:
        return err
    s = db_session()
    run = latest_run(s, PROFILE, profile.id)
    locale = request.args.get("lang") or profile.locale
    hidden = dismissed(profile.id)
    rows = [m for m in ranking(s, PROFILE, profile.id) if m.vacancy_id not in hidden]
    matches, other = split_by_relevance([match_out(m, locale, knowledge()) for m in rows], settings().relevance_floor)
    shown(PROFILE, rows, BY_SEEKER)
    if ready_now:
        matches = [m for m in matches if m.explanation.ready_now]
        other = [m for m in other if m.explanation.ready_now]
    return dump(Ranking(status=run_status(run, profile.ranked_at), ranked_at=profile.ranked_at,
                        protection=protection_out(profile, locale, knowledge()), matches=matches,
                        other_work=other, left_out=left_out_out(profile, locale, knowledge()),
                        not_relevant=[NotRelevantOut(vacancy_id=v, reason=r) for v, r in sorted(hidden.items())]))


def request_keys() -> list[str]:
    """What may be the vacancy key: `?key=`, `X-Vacancy-Key`, or (older clients) the bearer."""
    given = [request.args.get("key"), request.headers.get("X-Vacancy-Key"), bearer()]
    return [k for k in given if k]


def candidates_refused(vacancy: Vacancy, scope: str = "candidates:read"):
    """None if the request may see this vacancy's candidates (or, with `scope`
    "vacancies:write", answer its applications), else the 401/403 answer."""
    # Any bearer is tried as a key first: a key may itself begin with "pt_" (1 in 64**3).
    if any(vacancy.owner_key_matches(k) for k in request_keys()):
        return None
    if (bearer() or "").startswith(TOKEN_PREFIX):
        token, err = authenticate(scope)
        if err:
            return err
        if vacancy.employer_id is None or token.user.employer_id != vacancy.employer_id:
            return error_response(403, "forbidden", "This API token's organisation did not post this vacancy.",
                                  {"vacancy": "not this organisation's"})
        return None
    return unauthorized("The candidate list needs the vacancy's key (X-Vacancy-Key: <key> or ?key=), given when "
                        f"the vacancy was posted, or an API token of its organisation with {scope} "
                        "(Authorization: Bearer pt_...).", {"key": "missing or wrong", "authorization": "no API token"})


@bp.get("/vacancies/<int:vacancy_id>/matches")
@spec.validate(query=CandidatesQuery, resp=answers(401, 403, 404, HTTP_200=(CandidateRanking, "The candidates.")),
               operation_id="getVacancyMatches", skip_validation=True,
               security=[{"vacancyKey": []}, {"vacancyKeyQuery": []}, {"bearerAuth": ["candidates:read"]}])
def vacancy_matches(vacancy_id: int):
    """The vacancy's candidates, without name, contact, nationality or status."""
    vacancy, err = vacancy_or_404(vacancy_id)
    if err:
        return err
    refused = candidates_refused(vacancy)
    if refused:
        return refused
    s = db_session()
    run = latest_run(s, VACANCY, vacancy.id)
    rows = ranking(s, VACANCY, vacancy.id)
    people = {p.id: p for p in s.scalars(select(Profile).where(Profile.id.in_([m.profile_id for m in rows])))}
    locale = request.args.get("lang") or vacancy.locale
    shown(VACANCY, [m for m in rows if m.profile_id in people], BY_EMPLOYER)
    return dump(CandidateRanking(
        status=run_status(run, vacancy.ranked_at), ranked_at=vacancy.ranked_at,
        matches=[match_out(m, locale, knowledge(), people[m.profile_id]) for m in rows if m.profile_id in people]))
