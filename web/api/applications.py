"""Conversations between a person and an employer about a vacancy (`web.conversations`):
the person applies, lists and withdraws with the profile's public id (their private
capability); the employer reads them with the vacancy's key or a `candidates:read` token
of its organisation, and answers with the key or a `vacancies:write` token."""
from __future__ import annotations

from flask import Blueprint
from sqlalchemy import select

from models import BY_EMPLOYER, VACANCY, Interest, Match, Profile

from ..constants import MAX_ID
from ..conversations import ACTIVE, Refused, decide, find, for_profile, for_vacancy, report, share, withdraw
from ..extensions import db_session
from ..outcomes import not_relevant, relevant_again
from ..responses import ApplicationOut, Applications, Conversations, InterestOut, application_out, dump, interest_out
from ..schemas import ApplicationPost, ConversationDecision, NotRelevantPost, OutcomeReport
from ..security import submission_limit
from .common import validated_body
from .errors import error_response
from .profiles import profile_or_404
from .rankings import candidates_refused
from .spec import answers, spec
from .vacancies import vacancy_or_404

bp = Blueprint("applications", __name__)

REFUSED = {
    "closed": "This vacancy is closed: it takes no applications.",
    "already": "This person already shared their details with this employer; withdraw first to apply again.",
    "state": "This step does not follow from the conversation's state.",
}


def _refused(exc: Refused, field: str):
    return error_response(409, "conflict", REFUSED[exc.reason], {field: exc.reason})


@bp.get("/profiles/<public_id>/applications")
@spec.validate(resp=answers(404, HTTP_200=(Conversations, "The person's conversations with employers.")),
               operation_id="getProfileApplications", security=[], skip_validation=True)
def list_conversations(public_id: str):
    """The person's applications and employers' interests, newest first, with what was shared."""
    profile, err = profile_or_404(public_id)
    if err:
        return err
    return dump(Conversations(applications=[interest_out(row, v) for row, v in for_profile(profile)]))


@bp.post("/profiles/<public_id>/applications")
@spec.validate(json=ApplicationPost, resp=answers(404, 409, 413, 422, 429, HTTP_201=(InterestOut, "Shared.")),
               operation_id="postApplication", security=[], skip_validation=True)
@submission_limit
def apply(public_id: str):
    """Apply to an open vacancy (or say yes to its employer's interest): the contact, the
    message and the parts named in `share` go to that employer only."""
    profile, err = profile_or_404(public_id)
    if err:
        return err
    given, err = validated_body(ApplicationPost)
    if err:
        return err
    vacancy, err = vacancy_or_404(given.vacancy_id)
    if err:
        return err
    try:
        row = share(profile, vacancy, given)
    except Refused as exc:
        return _refused(exc, "vacancy_id")
    return dump(interest_out(row, vacancy)), 201


@bp.delete("/profiles/<public_id>/applications/<int:vacancy_id>")
@spec.validate(resp=answers(404, 409, HTTP_204=None), operation_id="withdrawApplication", security=[],
               skip_validation=True)
def withdraw_application(public_id: str, vacancy_id: int):
    """Withdraw: the employer no longer sees the contact, the message or the parts shared."""
    profile, err = profile_or_404(public_id)
    if err:
        return err
    row = find(vacancy_id, profile.id) if vacancy_id <= MAX_ID else None
    if row is None:
        return error_response(404, "not_found", "This person has no conversation about this vacancy.",
                              {"vacancy_id": "unknown"})
    try:
        withdraw(row)
    except Refused as exc:
        return _refused(exc, "status")
    return "", 204


def _ranked(vacancy_id: int, profile_ids: list[int]) -> dict[int, Match]:
    return {m.profile_id: m for m in db_session().scalars(select(Match).where(
        Match.owner == VACANCY, Match.vacancy_id == vacancy_id, Match.profile_id.in_(profile_ids)))}


@bp.get("/vacancies/<int:vacancy_id>/applications")
@spec.validate(resp=answers(401, 403, 404, HTTP_200=(Applications, "What people shared with this employer.")),
               operation_id="getVacancyApplications", skip_validation=True,
               security=[{"vacancyKey": []}, {"vacancyKeyQuery": []}, {"bearerAuth": ["candidates:read"]}])
def vacancy_applications(vacancy_id: int):
    """The people who applied or accepted the employer's interest and still share (newest
    first); those who withdrew or declined are not listed."""
    vacancy, err = vacancy_or_404(vacancy_id)
    if err:
        return err
    refused = candidates_refused(vacancy)
    if refused:
        return refused
    rows = [row for row in for_vacancy(vacancy).values() if row.status in ACTIVE]
    people = {p.id: p for p in db_session().scalars(select(Profile).where(Profile.id.in_([r.profile_id for r in rows])))}
    ranked = _ranked(vacancy.id, list(people))
    rows.sort(key=lambda r: r.decided_at or r.created_at, reverse=True)
    return dump(Applications(applications=[application_out(r, people[r.profile_id], ranked.get(r.profile_id))
                                           for r in rows if r.profile_id in people]))


@bp.post("/vacancies/<int:vacancy_id>/applications/<int:application_id>")
@spec.validate(json=ConversationDecision,
               resp=answers(401, 403, 404, 409, 413, 422, HTTP_200=(ApplicationOut, "The application, answered.")),
               operation_id="decideApplication", skip_validation=True,
               security=[{"vacancyKey": []}, {"vacancyKeyQuery": []}, {"bearerAuth": ["vacancies:write"]}])
def decide_application(vacancy_id: int, application_id: int):
    """The employer's answer, or what happened next: seen, interested, interview, hired or
    not selected (with an optional `reason` from the list); the person sees it."""
    vacancy, err = vacancy_or_404(vacancy_id)
    if err:
        return err
    refused = candidates_refused(vacancy, "vacancies:write")
    if refused:
        return refused
    row = db_session().get(Interest, application_id) if application_id <= MAX_ID else None
    if row is None or row.vacancy_id != vacancy.id or row.status not in ACTIVE:
        return error_response(404, "not_found", "This vacancy has no such application.", {"application_id": "unknown"})
    given, err = validated_body(ConversationDecision)
    if err:
        return err
    try:
        decide(row, given.status, BY_EMPLOYER, given.reason)
    except Refused as exc:
        return _refused(exc, "status")
    profile = db_session().get(Profile, row.profile_id)
    return dump(application_out(row, profile, _ranked(vacancy.id, [profile.id]).get(profile.id)))


@bp.post("/vacancies/<int:vacancy_id>/outcomes")
@spec.validate(json=OutcomeReport, resp=answers(401, 403, 404, 413, 422, HTTP_204=None),
               operation_id="reportOutcome", skip_validation=True,
               security=[{"vacancyKey": []}, {"vacancyKeyQuery": []}, {"bearerAuth": ["vacancies:write"]}])
def report_outcome(vacancy_id: int):
    """What happened to a candidate: an interview, a hire, or not selected (with an optional
    `reason`). For a person who shared their details, the conversation moves on (they see
    it); for a candidate of the ranking met outside Puente, the event alone is recorded."""
    vacancy, err = vacancy_or_404(vacancy_id)
    if err:
        return err
    refused = candidates_refused(vacancy, "vacancies:write")
    if refused:
        return refused
    given, err = validated_body(OutcomeReport)
    if err:
        return err
    try:
        known = report(vacancy, given.profile_id, given.outcome, BY_EMPLOYER, given.reason)
    except Refused as exc:
        return _refused(exc, "outcome")
    if not known:
        return error_response(404, "not_found", "This person is neither a candidate of this vacancy nor applied to it.",
                              {"profile_id": "unknown"})
    return "", 204


@bp.post("/profiles/<public_id>/not-relevant")
@spec.validate(json=NotRelevantPost, resp=answers(404, 413, 422, 429, HTTP_204=None),
               operation_id="markNotRelevant", security=[], skip_validation=True)
@submission_limit
def mark_not_relevant(public_id: str):
    """The person says a match is not for them (with an optional `reason`): it leaves
    `matches` and is listed in `not_relevant` until taken back."""
    profile, err = profile_or_404(public_id)
    if err:
        return err
    given, err = validated_body(NotRelevantPost)
    if err:
        return err
    vacancy, err = vacancy_or_404(given.vacancy_id)
    if err:
        return err
    not_relevant(profile, vacancy.id, given.reason)
    return "", 204


@bp.delete("/profiles/<public_id>/not-relevant/<int:vacancy_id>")
@spec.validate(resp=answers(404, HTTP_204=None), operation_id="takeBackNotRelevant", security=[],
               skip_validation=True)
def take_back_not_relevant(public_id: str, vacancy_id: int):
    """The person takes back a "not relevant": the match is in `matches` again."""
    profile, err = profile_or_404(public_id)
    if err:
        return err
    if vacancy_id > MAX_ID or not relevant_again(profile, vacancy_id):
        return error_response(404, "not_found", "This person did not mark this vacancy as not relevant.",
                              {"vacancy_id": "unknown"})
    return "", 204
