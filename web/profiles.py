"""Pages for job seekers: create a profile, see its matches."""
from __future__ import annotations

from flask import Blueprint, abort, redirect, render_template, request, url_for
from sqlalchemy import select

from models import PROFILE, Profile, Vacancy
from models.queries import latest_run, ranking

from .extensions import db_session, knowledge
from .forms import choices, form_errors, profile_from_form, profile_labels
from .i18n import locale
from .schemas import ProfileIn, ValidationError, field_errors
from .security import limiter, submit_limit
from .services import create_profile, delete_profile
from .views import match_json, run_status

bp = Blueprint("profiles", __name__, url_prefix="/profiles")


@bp.route("/new", methods=["GET", "POST"])
@limiter.limit(submit_limit, methods=["POST"])
def new():
    errors: dict[str, str] = {}
    if request.method == "POST":
        data, names = profile_from_form(request.form)
        names["_"] = "summary"
        try:
            parsed = ProfileIn.model_validate(data, context={"kb": knowledge()})
        except ValidationError as exc:
            errors = form_errors(field_errors(exc, locale(), ProfileIn), names)
        else:
            profile, queued = create_profile(parsed)
            return redirect(url_for("profiles.show", public_id=profile.public_id, new=1, delayed=int(not queued)))
    return render_form(errors, 422 if errors else 200)


def render_form(errors: dict[str, str], status: int):
    """Draw the profile form with what the person typed and the errors."""
    return render_template("profile_form.html", form=request.form, errors=errors, labels=profile_labels(),
                           **choices()), status


def _profile_or_404(public_id: str) -> Profile:
    profile = db_session().scalars(select(Profile).where(Profile.public_id == public_id)).first()
    if profile is None:
        abort(404)
    return profile


@bp.post("/<public_id>/delete")
def delete(public_id: str):
    profile = _profile_or_404(public_id)
    if request.form.get("confirm") != "on":
        return redirect(url_for("profiles.show", public_id=public_id, confirm=1) + "#borrar")
    delete_profile(profile)
    return redirect(url_for("home.index", deleted=1))


@bp.get("/<public_id>")
def show(public_id: str):
    s = db_session()
    profile = _profile_or_404(public_id)
    run = latest_run(s, PROFILE, profile.id)
    rows = ranking(s, PROFILE, profile.id)
    vacancies = {v.id: v for v in s.scalars(select(Vacancy).where(Vacancy.id.in_([m.vacancy_id for m in rows])))}
    matches = [(match_json(m, locale(), knowledge()), vacancies[m.vacancy_id]) for m in rows if m.vacancy_id in vacancies]
    return render_template("profile.html", profile=profile, run=run, status=run_status(run, profile.ranked_at),
                           matches=matches, is_new=request.args.get("new") == "1",
                           confirm=request.args.get("confirm") == "1",
                           delayed=request.args.get("delayed") == "1")
