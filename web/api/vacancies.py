"""Vacancies: post (an API token with `vacancies:write`) and read."""
from __future__ import annotations

from flask import Blueprint, g, url_for

from models import EMPLOYER, VACANCY, Vacancy
from models.queries import latest_run

from ..constants import MAX_ID
from ..extensions import db_session
from ..responses import VacancyAccepted, VacancyOut, dump, vacancy_out
from ..schemas import VacancyIn
from ..security import submission_limit
from ..services import create_vacancy
from .auth import require_scope
from .common import accepted, validated_body
from .errors import error_response
from .spec import answers, spec

bp = Blueprint("vacancies", __name__)


def vacancy_or_404(vacancy_id: int):
    """The vacancy with this id: (vacancy, None), or (None, the 404 answer)."""
    vacancy = db_session().get(Vacancy, vacancy_id) if vacancy_id <= MAX_ID else None
    if vacancy is None:
        return None, error_response(404, "not_found", "No vacancy has this id.", {"id": "unknown"})
    return vacancy, None


@bp.post("/vacancies")
@spec.validate(json=VacancyIn, resp=answers(401, 403, 413, 422, 429, HTTP_202=(VacancyAccepted, "Saved and queued.")),
               operation_id="postVacancy", security={"bearerAuth": ["vacancies:write"]}, skip_validation=True)
@submission_limit
@require_scope("vacancies:write")
def post_vacancy():
    """Post a vacancy; its matching is queued."""
    parsed, err = validated_body(VacancyIn)
    if err:
        return err
    # An employer's token posts for its organisation, as the form does for a logged-in employer.
    owner = g.api_token.user
    vacancy, key, queued = create_vacancy(parsed, owner.employer if owner.role == EMPLOYER else None)
    # The key opens the candidate list; it is shown only now.
    return accepted(VacancyAccepted, vacancy.id, url_for("api.vacancies.get_vacancy", vacancy_id=vacancy.id), queued, key=key)


@bp.get("/vacancies/<int:vacancy_id>")
@spec.validate(resp=answers(404, HTTP_200=(VacancyOut, "The vacancy.")), operation_id="getVacancy", security=[],
               skip_validation=True)
def get_vacancy(vacancy_id: int):
    """The vacancy and the state of its matching."""
    vacancy, err = vacancy_or_404(vacancy_id)
    if err:
        return err
    return dump(vacancy_out(vacancy, latest_run(db_session(), VACANCY, vacancy.id)))
