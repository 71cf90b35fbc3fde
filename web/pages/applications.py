"""The person's side of a conversation with an employer (`web.conversations`): a vacancy as
this person sees it (how it matches, what it needs, a way back to the results), applying to
it, answering an employer's interest, withdrawing. The profile's private link is the key.
"""
from __future__ import annotations

from flask import Blueprint, abort, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from models import NOT_RELEVANT, PROFILE, SHAREABLE, Match, Profile, Vacancy

from ..conversations import Refused, decline, find, share, withdraw
from ..extensions import db_session, knowledge
from ..i18n import locale
from ..outcomes import dismissed, not_relevant, opened, reason_labels, relevant_again
from ..responses import dump, match_out
from ..schemas import ApplicationIn, ValidationError, field_errors
from ..security import submission_limit
from .profiles import profile_or_404
from .vacancies import vacancy_or_404

bp = Blueprint("applications", __name__, url_prefix="/profiles")

# Why a step could not be taken, in the person's words.
REFUSED = {
    "closed": lambda: _("Esta vacante ya está cerrada: no recibe postulaciones."),
    "already": lambda: _("Ya compartió sus datos con esta empresa."),
    "state": lambda: _("Eso ya no se puede hacer aquí: la página muestra el estado actual."),
}


def share_labels() -> dict[str, str]:
    """What each shareable part of a profile is, in the reader's language."""
    return {"summary": _("Lo que escribió sobre usted"),
            "jobs": _("Sus trabajos: dónde, cuántos años y qué hacía"),
            "education": _("Sus estudios: nivel, país y dónde está reconocido su título")}


def render_vacancy(profile: Profile, vacancy: Vacancy, errors: dict | None = None, form=None, status: int = 200,
                   refused: str | None = None):
    """The vacancy as this person sees it, with the conversation's state or the form to share."""
    s = db_session()
    row = s.scalars(select(Match).where(Match.owner == PROFILE, Match.profile_id == profile.id,
                                        Match.vacancy_id == vacancy.id)).first()
    match = dump(match_out(row, locale(), knowledge())) if row is not None else None
    if row is not None and request.method == "GET":
        opened(profile, vacancy.id)
    return render_template("application.html", profile=profile, vacancy=vacancy, match=match,
                           dismissed=vacancy.id in dismissed(profile.id), reasons=reason_labels(NOT_RELEVANT),
                           conversation=find(vacancy.id, profile.id), errors=errors or {}, form=form or {},
                           parts=[(part, share_labels()[part]) for part in SHAREABLE],
                           refused=REFUSED[refused]() if refused else None,
                           sent=request.args.get("sent") == "1", withdrawn=request.args.get("withdrawn") == "1"), status


@bp.get("/<public_id>/vacancies/<int:vacancy_id>")
def vacancy(public_id: str, vacancy_id: int):
    return render_vacancy(profile_or_404(public_id), vacancy_or_404(vacancy_id))


@bp.post("/<public_id>/vacancies/<int:vacancy_id>/apply")
@submission_limit
def apply(public_id: str, vacancy_id: int):
    """Apply, or say yes to the employer's interest: share what the person chose, once confirmed."""
    profile, vacancy = profile_or_404(public_id), vacancy_or_404(vacancy_id)
    form = {"contact": request.form.get("contact", ""), "message": request.form.get("message", ""),
            "share": request.form.getlist("share")}
    if request.form.get("confirm") != "on":
        return render_vacancy(profile, vacancy, {"confirm": _("Marque la casilla para confirmar lo que comparte.")},
                              form, 422)
    try:
        given = ApplicationIn.model_validate(form)
    except ValidationError as exc:
        return render_vacancy(profile, vacancy, field_errors(exc, locale(), ApplicationIn), form, 422)
    try:
        share(profile, vacancy, given)
    except Refused as exc:
        return render_vacancy(profile, vacancy, form=form, status=409, refused=exc.reason)
    return redirect(url_for("applications.vacancy", public_id=public_id, vacancy_id=vacancy_id, sent=1) + "#conversacion")


@bp.post("/<public_id>/vacancies/<int:vacancy_id>/decline")
def decline_interest(public_id: str, vacancy_id: int):
    profile, vacancy = profile_or_404(public_id), vacancy_or_404(vacancy_id)
    row = find(vacancy.id, profile.id)
    if row is None:
        abort(404)
    try:
        decline(row)
    except Refused as exc:
        return render_vacancy(profile, vacancy, status=409, refused=exc.reason)
    return redirect(url_for("profiles.show", public_id=public_id) + "#conversaciones")


@bp.post("/<public_id>/vacancies/<int:vacancy_id>/withdraw")
def withdraw_application(public_id: str, vacancy_id: int):
    """Withdraw: the employer no longer sees the contact, the message or the parts shared."""
    profile, vacancy = profile_or_404(public_id), vacancy_or_404(vacancy_id)
    row = find(vacancy.id, profile.id)
    if row is None:
        abort(404)
    if request.form.get("confirm") != "on":
        return render_vacancy(profile, vacancy, {"withdraw": _("Marque la casilla para confirmar que se retira.")},
                              status=422)
    try:
        withdraw(row)
    except Refused as exc:
        return render_vacancy(profile, vacancy, status=409, refused=exc.reason)
    return redirect(url_for("applications.vacancy", public_id=public_id, vacancy_id=vacancy_id, withdrawn=1)
                    + "#conversacion")


@bp.post("/<public_id>/vacancies/<int:vacancy_id>/not-relevant")
@submission_limit
def mark_not_relevant(public_id: str, vacancy_id: int):
    """The person says this match is not for them (a reason from the list, or none): it
    leaves their list; the vacancy's page lets them bring it back."""
    profile, vacancy = profile_or_404(public_id), vacancy_or_404(vacancy_id)
    reason = request.form.get("reason") or None
    if reason is not None and reason not in reason_labels(NOT_RELEVANT):
        abort(400)
    not_relevant(profile, vacancy.id, reason)
    return redirect(url_for("profiles.show", public_id=public_id, dismissed=1) + "#coincidencias")


@bp.post("/<public_id>/vacancies/<int:vacancy_id>/relevant")
def mark_relevant(public_id: str, vacancy_id: int):
    """The person takes back their "not for me": the match is in their list again."""
    profile, vacancy = profile_or_404(public_id), vacancy_or_404(vacancy_id)
    relevant_again(profile, vacancy.id)
    return redirect(url_for("profiles.show", public_id=public_id) + "#coincidencias")


__all__ = ["bp", "render_vacancy", "share_labels"]
