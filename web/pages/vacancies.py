"""Pages for employers: post a vacancy, see its candidates."""
from __future__ import annotations

import re

from flask import Blueprint, abort, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from models import (
    ADMIN,
    BY_CASE_WORKER,
    BY_EMPLOYER,
    EMPLOYER,
    NOT_SELECTED,
    VACANCY,
    Interest,
    Profile,
    Vacancy,
    utcnow,
)
from models.outcome import NOT_SELECTED_EVENT
from models.queries import latest_run, ranking
from worker.queueing import enqueue_match

from ..auth import owns
from ..constants import MAX_ID
from ..conversations import ACTIVE, DECISIONS, Refused, ask, decide, for_vacancy, mark_seen
from ..extensions import db_session, knowledge, redis_conn, settings
from ..i18n import locale
from ..outcomes import reason_labels, shown
from ..responses import candidate_card, dump, match_out, run_status
from ..schemas import VacancyIn, ValidationError, field_errors
from ..security import limiter, submission_limit
from ..services import create_vacancy
from .forms import choices, form_errors, vacancy_from_form, vacancy_labels

bp = Blueprint("vacancies", __name__, url_prefix="/vacancies")


@bp.route("/new", methods=["GET", "POST"])
@submission_limit
def new():
    errors: dict[str, str] = {}
    if request.method == "POST":
        try:
            parsed = VacancyIn.model_validate(vacancy_from_form(request.form), context={"kb": knowledge()})
        except ValidationError as exc:
            errors = form_errors(field_errors(exc, locale(), VacancyIn))
        else:
            account = current_user if current_user.is_authenticated and current_user.role == EMPLOYER else None
            vacancy, key, queued = create_vacancy(parsed, account.employer if account else None)
            return redirect(url_for("vacancies.show", vacancy_id=vacancy.id, key=key, new=1,
                                    delayed=int(not queued)))
    return render_form(errors, 422 if errors else 200)


def render_form(errors: dict[str, str], status: int):
    """Draw the vacancy form with what the employer typed and the errors."""
    signed_in = current_user.is_authenticated and current_user.employer is not None
    return render_template("vacancy_form.html", form=request.form, errors=errors, labels=vacancy_labels(),
                           organisation=current_user.employer.name if signed_in else None, **choices()), status


def vacancy_or_404(vacancy_id: int) -> Vacancy:
    vacancy = db_session().get(Vacancy, vacancy_id) if vacancy_id <= MAX_ID else None
    if vacancy is None:
        abort(404)
    return vacancy


@bp.get("/<int:vacancy_id>")
def show(vacancy_id: int):
    s = db_session()
    vacancy = vacancy_or_404(vacancy_id)
    key = request.args.get("key")
    owner = owns(vacancy, key)
    # The contact was given to the employer, not to case workers.
    employer_view = owner and not (current_user.is_authenticated and current_user.role == "admin"
                                   and not vacancy.owner_key_matches(key))
    run = latest_run(s, VACANCY, vacancy.id)
    matches, applications, rows = _candidates(vacancy) if owner else ([], [], [])   # only for the poster (key or account)
    if employer_view:
        mark_seen([a[0] for a in applications])
    if employer_view:   # what the employer saw (a case worker's look is not the employer's)
        shown(VACANCY, rows, BY_EMPLOYER)
    return render_template("vacancy.html", vacancy=vacancy, run=run, status=run_status(run, vacancy.ranked_at),
                           not_selected_reasons=reason_labels(NOT_SELECTED_EVENT),
                           matches=matches, applications=applications, owner=owner,
                           key=key if vacancy.owner_key_matches(key) else None, show_contact=employer_view,
                           is_new=request.args.get("new") == "1", delayed=request.args.get("delayed") == "1")


def _candidates(vacancy: Vacancy) -> tuple[list, list, list]:
    """The vacancy's ranked candidates, each with its conversation if any; and the people who
    shared their details (applied, or accepted the employer's interest), newest first, with
    their rank and match if they are in the ranking."""
    s = db_session()
    rows = ranking(s, VACANCY, vacancy.id)
    talks = for_vacancy(vacancy)
    applied = [pid for pid, c in talks.items() if c.status in ACTIVE]
    people = {p.id: p for p in s.scalars(select(Profile).where(Profile.id.in_([m.profile_id for m in rows] + applied)))}
    ranked = {m.profile_id: (n, dump(match_out(m, locale(), knowledge()))) for n, m in enumerate(rows, start=1)}
    matches = [(ranked[m.profile_id][1], candidate_card(people[m.profile_id]), m.profile_id,
                talks.get(m.profile_id)) for m in rows if m.profile_id in people]
    applications = [(talks[pid], people[pid], candidate_card(people[pid]), *ranked.get(pid, (None, None)))
                    for pid in applied if pid in people]
    applications.sort(key=lambda a: a[0].decided_at or a[0].created_at, reverse=True)
    return matches, applications, [m for m in rows if m.profile_id in people]


def _owned(vacancy_id: int) -> tuple[Vacancy, str | None]:
    """The vacancy of a posted form, if the poster owns it (its key or an account); else 403."""
    vacancy = vacancy_or_404(vacancy_id)
    key = request.form.get("key")
    if not owns(vacancy, key):
        abort(403)
    return vacancy, key


def _back(vacancy: Vacancy, key: str | None, anchor: str = ""):
    args = {"key": key} if key else {}
    return redirect(url_for("vacancies.show", vacancy_id=vacancy.id, **args) + anchor)


@bp.post("/<int:vacancy_id>/status")
def set_status(vacancy_id: int):
    """Close a vacancy (it leaves every ranking) or open it again."""
    vacancy, key = _owned(vacancy_id)
    wanted = request.form.get("status")
    if wanted not in ("open", "closed"):
        abort(400)
    s = db_session()
    if vacancy.status != wanted:
        vacancy.status, vacancy.updated_at = wanted, utcnow()
        s.commit()
        enqueue_match(s, redis_conn(), settings(), VACANCY, vacancy.id)
    return _back(vacancy, key)


@bp.post("/<int:vacancy_id>/interest")
@limiter.limit("60 per hour")
def interest(vacancy_id: int):
    """The employer would like to talk to a candidate: the candidate is asked on their page
    (or, if they applied, sees that the employer is interested)."""
    vacancy, key = _owned(vacancy_id)
    profile_id = request.form.get("profile_id", "")
    if not re.fullmatch(r"[0-9]{1,10}", profile_id) or int(profile_id) > MAX_ID \
            or ask(vacancy, int(profile_id)) is None:
        abort(404)
    return _back(vacancy, key, f"#c{profile_id}")


@bp.post("/<int:vacancy_id>/applications/<int:interest_id>")
def decide_application(vacancy_id: int, interest_id: int):
    """The employer's (or a case worker's) answer to an application, or what happened next:
    interested, interview, hired, not selected (with an optional reason from the list)."""
    vacancy, key = _owned(vacancy_id)
    row = db_session().get(Interest, interest_id) if interest_id <= MAX_ID else None
    wanted = request.form.get("status")
    reason = request.form.get("reason") or None
    if row is None or row.vacancy_id != vacancy.id or wanted not in DECISIONS:
        abort(404)
    if wanted != NOT_SELECTED:
        reason = None
    elif reason is not None and reason not in reason_labels(NOT_SELECTED_EVENT):
        abort(400)
    by = BY_CASE_WORKER if current_user.is_authenticated and current_user.role == ADMIN and not \
        vacancy.owner_key_matches(key) else BY_EMPLOYER
    try:
        decide(row, wanted, by, reason)
    except Refused:   # withdrawn meanwhile: the page shows it
        pass
    return _back(vacancy, key, f"#a{row.profile_id}")
