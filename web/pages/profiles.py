"""Pages for job seekers: create a profile, see its matches."""
from __future__ import annotations

from flask import Blueprint, abort, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from pydantic import TypeAdapter
from sqlalchemy import select

from models import BY_SEEKER, NOT_RELEVANT, PROFILE, Interest, Profile, Vacancy
from models.queries import latest_run, profile_by_public_id, ranking

from ..constants import MAX_ID
from ..conversations import Refused, decline, for_profile, share
from ..extensions import db_session, knowledge, settings
from ..i18n import locale
from ..mail import send_private_link, valid_address
from ..outcomes import dismissed, history, reason_labels, shown
from ..responses import (
    ProfileExport,
    dump,
    interest_out,
    left_out_out,
    match_out,
    outcome_out,
    profile_out,
    protection_out,
    run_status,
    split_by_relevance,
)
from ..schemas import ApplicationIn, Phrase, ProfileIn, ValidationError, field_errors
from ..security import submission_limit
from ..services import (
    answer_inferred_skill,
    create_profile,
    delete_profile,
    new_private_link,
    update_profile,
)
from .forms import (
    JOB_ROWS,
    LANGUAGE_ROWS,
    choices,
    form_errors,
    profile_from_form,
    profile_labels,
    profile_to_form,
)

bp = Blueprint("profiles", __name__, url_prefix="/profiles")


@bp.route("/new", methods=["GET", "POST"])
@submission_limit
def new():
    errors: dict[str, str] = {}
    if request.method == "POST":
        parsed, errors = _validate(request.form)
        address = request.form.get("email", "").strip()
        if address and not valid_address(address):
            errors = {**(errors or {}), "email": _("Escriba un correo electrónico válido, o déjelo vacío.")}
        if not errors:
            profile, queued = create_profile(parsed)
            mailed = None
            if address:   # used once, to send; never stored
                link = url_for("profiles.show", public_id=profile.public_id, _external=True)
                mailed = int(send_private_link(settings().smtp_url, settings().mail_from, address, link))
            return redirect(url_for("profiles.show", public_id=profile.public_id, new=1, delayed=int(not queued),
                                    **({"mailed": mailed} if mailed is not None else {})))
    return render_form(errors or {}, 422 if errors else 200)


def render_form(errors: dict[str, str], status: int, form=None, profile=None):
    """Draw the profile form with what the person typed (or saved) and the errors; an edit
    form has a row for every job and language the profile holds."""
    action = url_for("profiles.edit", public_id=profile.public_id) if profile else url_for("profiles.new")
    rows = {}
    if profile is not None:
        rows = {"job_rows": max(JOB_ROWS, len(profile.jobs or [])),
                "language_rows": max(LANGUAGE_ROWS, len(profile.languages or []))}
    return render_template("profile_form.html", form=request.form if form is None else form, errors=errors,
                           labels=profile_labels(), action=action, editing=profile is not None,
                           **{**choices(), **rows}), status


def _validate(form, profile=None):
    """Validate the form; return (profile data, None) or (None, errors by form field).

    Editing keeps what the form cannot show: nationalities beyond the two fields, the
    countries other than the current one where the degree is recognised, and the degree's
    national name while its level stays the same.
    """
    data, names = profile_from_form(form)
    names["_"] = "summary"
    if profile is not None:
        data["nationalities"] = list(dict.fromkeys([*data["nationalities"], *(profile.nationalities or [])[2:]]))
        edu = data.get("education")
        if edu:
            kept = [c for c in profile.education_recognised_in or [] if c != data.get("country")]
            edu["recognised_in"] = list(dict.fromkeys([*edu.get("recognised_in", []), *kept]))
            if profile.education_degree and edu.get("level") == profile.education_level:
                edu["degree"] = profile.education_degree
    try:
        return ProfileIn.model_validate(data, context={"kb": knowledge()}), None
    except ValidationError as exc:
        return None, form_errors(field_errors(exc, locale(), ProfileIn), names)


def profile_or_none(public_id: str) -> Profile | None:
    return profile_by_public_id(db_session(), public_id)


def profile_or_404(public_id: str) -> Profile:
    profile = profile_or_none(public_id)
    if profile is None:
        abort(404)
    return profile


@bp.route("/<public_id>/edit", methods=["GET", "POST"])
@submission_limit
def edit(public_id: str):
    profile = profile_or_404(public_id)
    if request.method == "GET":
        return render_form({}, 200, form=profile_to_form(profile), profile=profile)
    parsed, errors = _validate(request.form, profile)
    if parsed is None:
        return render_form(errors, 422, profile=profile)
    queued = update_profile(profile, parsed)
    return redirect(url_for("profiles.show", public_id=public_id, saved=1, delayed=int(not queued)))


@bp.post("/<public_id>/link")
def new_link(public_id: str):
    """A new private link; the old one stops working (for a link that was shared or seen)."""
    profile = profile_or_404(public_id)
    return redirect(url_for("profiles.show", public_id=new_private_link(profile), newlink=1))


@bp.get("/<public_id>/export")
def export(public_id: str):
    """Everything Puente keeps about the person, as a JSON file: with every conversation with
    an employer, what was shared in it and when."""
    s = db_session()
    profile = profile_or_404(public_id)
    body = ProfileExport(**dict(profile_out(profile, latest_run(s, PROFILE, profile.id))),
                         matches=[match_out(m, locale(), knowledge()) for m in ranking(s, PROFILE, profile.id)],
                         interests=[interest_out(row, vacancy) for row, vacancy in for_profile(profile)],
                         outcomes=[outcome_out(row) for row in history(profile.id)])
    response = jsonify(dump(body))
    response.headers["Content-Disposition"] = "attachment; filename=puente-profile.json"
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/<public_id>/interests/<int:interest_id>")
def answer(public_id: str, interest_id: int):
    """Accept (giving a contact for that employer only) or decline an employer's interest;
    the whole answer (a message, parts of the profile) is on the vacancy's page."""
    profile = profile_or_404(public_id)
    interest = db_session().get(Interest, interest_id) if interest_id <= MAX_ID else None
    if interest is None or interest.profile_id != profile.id:
        abort(404)
    to_form = url_for("applications.vacancy", public_id=public_id, vacancy_id=interest.vacancy_id) + "#conversacion"
    try:
        if request.form.get("answer") != "accept":
            decline(interest)
        else:
            given = ApplicationIn.model_validate({"contact": request.form.get("contact", "")})
            share(profile, db_session().get(Vacancy, interest.vacancy_id), given)
    except (ValidationError, Refused):
        return redirect(to_form)
    return redirect(url_for("profiles.show", public_id=public_id) + "#conversaciones")


@bp.post("/<public_id>/delete")
def delete(public_id: str):
    profile = profile_or_404(public_id)
    if request.form.get("confirm") != "on":
        return redirect(url_for("profiles.show", public_id=public_id, confirm=1) + "#borrar")
    delete_profile(profile)
    return redirect(url_for("home.index", deleted=1))


_PHRASE = TypeAdapter(Phrase)


@bp.post("/<public_id>/skills")
@submission_limit
def inferred_skill(public_id: str):
    """One tap on a skill Puente inferred from a job title: "yes, I have it" or "no"."""
    profile = profile_or_404(public_id)
    answer = request.form.get("answer")
    raw = " ".join(request.form.get("skill", "").split())
    try:
        skill = _PHRASE.validate_python(raw)
    except ValidationError:
        abort(400)
    if answer not in ("yes", "no") or not skill.isprintable():
        abort(400)
    outcome = answer_inferred_skill(profile, skill, answer == "yes")
    return redirect(url_for("profiles.show", public_id=public_id, skill=outcome) + "#coincidencias")


@bp.get("/<public_id>")
def show(public_id: str):
    s = db_session()
    profile = profile_or_404(public_id)
    run = latest_run(s, PROFILE, profile.id)
    rows = ranking(s, PROFILE, profile.id)
    vacancies = {v.id: v for v in s.scalars(select(Vacancy).where(Vacancy.id.in_([m.vacancy_id for m in rows])))}
    hidden = dismissed(profile.id)   # "not for me": out of the list until taken back
    rows = [m for m in rows if m.vacancy_id in vacancies]
    matches, other = split_by_relevance([match_out(m, locale(), knowledge()) for m in rows
                                         if m.vacancy_id not in hidden], settings().relevance_floor)
    conversations = for_profile(profile)
    shown(PROFILE, [m for m in rows if m.vacancy_id not in hidden], BY_SEEKER)
    return render_template("profile.html", profile=profile, run=run, status=run_status(run, profile.ranked_at),
                           protection=protection_out(profile, locale(), knowledge()),
                           matches=[(dump(m), vacancies[m.vacancy_id]) for m in matches],
                           other_work=[(dump(m), vacancies[m.vacancy_id]) for m in other],
                           only_ready=request.args.get("ready") == "1",
                           dismissed=[(vacancies[m.vacancy_id], hidden[m.vacancy_id]) for m in rows
                                      if m.vacancy_id in hidden],
                           not_relevant_reasons=reason_labels(NOT_RELEVANT),
                           just_dismissed=request.args.get("dismissed") == "1",
                           left_out=left_out_out(profile, locale(), knowledge()), conversations=conversations, by_vacancy={v.id: c for c, v in conversations},
                           is_new=request.args.get("new") == "1",
                           confirm=request.args.get("confirm") == "1", saved=request.args.get("saved") == "1",
                           newlink=request.args.get("newlink") == "1", delayed=request.args.get("delayed") == "1",
                           mailed=request.args.get("mailed"), skill_answer=request.args.get("skill"))
