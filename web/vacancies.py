"""Pages for employers: post a vacancy, see its candidates."""
from __future__ import annotations

from flask import Blueprint, abort, redirect, render_template, request, url_for
from sqlalchemy import select

from models import VACANCY, Profile, Vacancy
from models.queries import latest_run, ranking

from .api import MAX_ID
from .extensions import db_session, knowledge
from .forms import choices, form_errors, vacancy_from_form, vacancy_labels
from .i18n import locale
from .schemas import VacancyIn, ValidationError, field_errors
from .security import limiter, submit_limit
from .services import create_vacancy
from .views import candidate_card, match_json, run_status

bp = Blueprint("vacancies", __name__, url_prefix="/vacancies")


@bp.route("/new", methods=["GET", "POST"])
@limiter.limit(submit_limit, methods=["POST"])
def new():
    errors: dict[str, str] = {}
    if request.method == "POST":
        try:
            parsed = VacancyIn.model_validate(vacancy_from_form(request.form))
        except ValidationError as exc:
            errors = form_errors(field_errors(exc, locale(), VacancyIn))
        else:
            vacancy, key, queued = create_vacancy(parsed)
            return redirect(url_for("vacancies.show", vacancy_id=vacancy.id, key=key, new=1,
                                    delayed=int(not queued)))
    return render_form(errors, 422 if errors else 200)


def render_form(errors: dict[str, str], status: int):
    """Draw the vacancy form with what the employer typed and the errors."""
    return render_template("vacancy_form.html", form=request.form, errors=errors, labels=vacancy_labels(),
                           **choices()), status


@bp.get("/<int:vacancy_id>")
def show(vacancy_id: int):
    s = db_session()
    vacancy = s.get(Vacancy, vacancy_id) if vacancy_id <= MAX_ID else None
    if vacancy is None:
        abort(404)
    key = request.args.get("key")
    owner = vacancy.owner_key_matches(key)
    run = latest_run(s, VACANCY, vacancy.id)
    matches = []
    if owner:  # only the poster, holding the private link, sees the candidates
        rows = ranking(s, VACANCY, vacancy.id)
        people = {p.id: p for p in s.scalars(select(Profile).where(Profile.id.in_([m.profile_id for m in rows])))}
        matches = [(match_json(m, locale(), knowledge()), candidate_card(people[m.profile_id])) for m in rows
                   if m.profile_id in people]
    return render_template("vacancy.html", vacancy=vacancy, run=run, status=run_status(run, vacancy.ranked_at),
                           matches=matches, owner=owner, is_new=request.args.get("new") == "1",
                           delayed=request.args.get("delayed") == "1")
