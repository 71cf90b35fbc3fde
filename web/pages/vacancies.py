"""Pages for employers: post a vacancy, see its candidates."""
from __future__ import annotations

import re

from flask import Blueprint, abort, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from models import EMPLOYER, VACANCY, Interest, Profile, Vacancy, utcnow
from models.queries import latest_run, ranking
from worker.queueing import enqueue_match

from ..auth import owns
from ..constants import MAX_ID
from ..extensions import db_session, knowledge, redis_conn, settings
from ..i18n import locale
from ..responses import candidate_card, dump, match_out, run_status
from ..schemas import VacancyIn, ValidationError, field_errors
from ..security import limiter, submission_limit
from ..services import create_vacancy, express_interest
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


def _vacancy_or_404(vacancy_id: int) -> Vacancy:
    vacancy = db_session().get(Vacancy, vacancy_id) if vacancy_id <= MAX_ID else None
    if vacancy is None:
        abort(404)
    return vacancy


@bp.get("/<int:vacancy_id>")
def show(vacancy_id: int):
    s = db_session()
    vacancy = _vacancy_or_404(vacancy_id)
    key = request.args.get("key")
    owner = owns(vacancy, key)
    run = latest_run(s, VACANCY, vacancy.id)
    matches = []
    if owner:  # only the poster (private link or account) sees the candidates
        rows = ranking(s, VACANCY, vacancy.id)
        ids = [m.profile_id for m in rows]
        people = {p.id: p for p in s.scalars(select(Profile).where(Profile.id.in_(ids)))}
        interests = {i.profile_id: i for i in s.scalars(select(Interest).where(
            Interest.vacancy_id == vacancy.id, Interest.profile_id.in_(ids)))}
        matches = [(dump(match_out(m, locale(), knowledge())), candidate_card(people[m.profile_id]), m.profile_id,
                    interests.get(m.profile_id)) for m in rows if m.profile_id in people]
    return render_template("vacancy.html", vacancy=vacancy, run=run, status=run_status(run, vacancy.ranked_at),
                           matches=matches, owner=owner, key=key if vacancy.owner_key_matches(key) else None,
                           # The contact was given to the employer, not to case workers.
                           show_contact=owner and not (current_user.is_authenticated and current_user.role == "admin"
                                                       and not vacancy.owner_key_matches(key)),
                           is_new=request.args.get("new") == "1", delayed=request.args.get("delayed") == "1")


def _owned(vacancy_id: int) -> tuple[Vacancy, str | None]:
    """The vacancy of a posted form, if the poster owns it (its key or an account); else 403."""
    vacancy = _vacancy_or_404(vacancy_id)
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
    """The employer would like to talk to a candidate: the candidate is asked on their page."""
    vacancy, key = _owned(vacancy_id)
    profile_id = request.form.get("profile_id", "")
    if not re.fullmatch(r"[0-9]{1,10}", profile_id) or int(profile_id) > MAX_ID \
            or express_interest(vacancy, int(profile_id)) is None:
        abort(404)
    return _back(vacancy, key, f"#c{profile_id}")
