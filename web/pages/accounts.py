"""Employer accounts (register, log in, their organisation's vacancies) and the case
workers' login. Passwords are hashed with scrypt (werkzeug); sessions are Flask's signed
cookies through Flask-Login, ended on the server after PUENTE_SESSION_HOURS, at logout, and
when the password changes (web/sessions.py)."""
from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, abort, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from werkzeug.datastructures import ImmutableMultiDict

from models import ADMIN, EMPLOYER, ApiToken, User, Vacancy

from ..constants import MAX_DAYS, MAX_ID, SCOPES
from ..extensions import db_session
from ..security import limiter
from ..services import new_organisation
from ..sessions import end_session, start_session
from ..tokens import allowed_scopes, issue_token, revoke_token

bp = Blueprint("accounts", __name__, url_prefix="/cuenta")
__all__ = ["bp"]

MIN_PASSWORD = 10
AUTH_LIMIT = "10 per minute;50 per hour"


def _safe_next(target: str | None) -> str | None:
    """A path on this site only: no scheme, no host, no control characters or backslashes."""
    if not target or any(ord(c) < 32 or c == "\\" for c in target) or not target.startswith("/"):
        return None
    parts = urlsplit(target)
    return target if not parts.scheme and not parts.netloc and not target.startswith("//") else None


def _registration(form) -> tuple[dict, dict[str, str]]:
    """The new account's e-mail, password and organisation from the form, and the errors in them."""
    email = form.get("email", "").strip().lower()
    password = form.get("password", "")
    organisation = " ".join(form.get("organisation", "").split())
    errors: dict[str, str] = {}
    if "@" not in email or len(email) > 254 or any(c.isspace() for c in email):
        errors["email"] = _("Escriba un correo electrónico válido.")
    if len(password) < MIN_PASSWORD or len(password) > 200:
        errors["password"] = _("La contraseña debe tener al menos %(n)d caracteres.", n=MIN_PASSWORD)
    if not organisation or len(organisation) > 200:
        errors["organisation"] = _("Escriba el nombre de su empresa u organización.")
    return {"email": email, "password": password, "organisation": organisation}, errors


def _create_account(s, email: str, password: str, organisation: str) -> User | None:
    """The new employer account, committed; None when the e-mail has one already."""
    if s.scalars(select(User).where(User.email == email)).first() is not None:
        return None
    user = User(email=email, role=EMPLOYER, employer=new_organisation(s, organisation))
    user.set_password(password)
    s.add(user)
    try:
        s.commit()
    except IntegrityError:   # the same e-mail registered twice at once
        s.rollback()
        return None
    return user


@bp.route("/registro", methods=["GET", "POST"])
@limiter.limit(AUTH_LIMIT, methods=["POST"])
def register():
    errors: dict[str, str] = {}
    form = request.form
    if request.method == "POST":
        wanted, errors = _registration(form)
        user = None if errors else _create_account(db_session(), **wanted)
        if user is not None:
            start_session(user)
            return redirect(url_for("accounts.dashboard"))
        if not errors:
            errors["email"] = _("Ya hay una cuenta con este correo. Entre con su contraseña.")
    return render_template("account_register.html", form=form, errors=errors), (422 if errors else 200)


@bp.route("/entrar", methods=["GET", "POST"])
@limiter.limit(AUTH_LIMIT, methods=["POST"])
def login():
    error = None
    if request.method == "POST":
        email = request.form.get("email", "").strip().lower()
        user = db_session().scalars(select(User).where(User.email == email)).first()
        if user is not None and user.active and user.check_password(request.form.get("password", "")):
            start_session(user)
            default = url_for("admin.index") if user.role == ADMIN else url_for("accounts.dashboard")
            return redirect(_safe_next(request.args.get("next")) or default)
        error = _("Correo o contraseña incorrectos.")   # the same words either way: no account enumeration
    return render_template("account_login.html", form=request.form, error=error), (401 if error else 200)


@bp.post("/salir")
def logout():
    end_session()
    return redirect(url_for("home.index"))


@bp.get("/")
@login_required
def dashboard():
    vacancies = []
    if current_user.employer_id is not None:
        vacancies = list(db_session().scalars(select(Vacancy).where(Vacancy.employer_id == current_user.employer_id)
                                              .order_by(Vacancy.id.desc())))
    return render_template("account_dashboard.html", vacancies=vacancies)


# API tokens: scopes an employer may pick, and the one only case workers may.
SCOPE_LABELS = {"vacancies:write": _l("Publicar vacante"), "candidates:read": _l("Candidatos"),
                "profiles:write": _l("Enviar perfiles en nombre de las personas"),
                "placements:read": _l("Proponer reubicaciones de un grupo")}


def _token_form(form) -> tuple[dict, dict[str, str]]:
    """The new token's name, scopes and expiry from the form, and the errors in them."""
    errors: dict[str, str] = {}
    name = " ".join(form.get("name", "").split())
    if not name or len(name) > 100:
        errors["name"] = _("Escriba un nombre para el token.")
    scopes = form.getlist("scopes")
    if not scopes:
        errors["scopes"] = _("Elija al menos un permiso.")
    # Whoever holds a copied session cookie must not turn it into a token that outlives it.
    if not current_user.check_password(form.get("password", "")):
        errors["password"] = _("La contraseña no es correcta.")
    days = form.get("days", "").strip()
    if days and not (days.isascii() and days.isdigit() and 1 <= int(days) <= MAX_DAYS):
        errors["days"] = _("Escriba un número de días entre 1 y %(n)d.", n=MAX_DAYS)
    return {"name": name, "scopes": scopes, "days": int(days) if days and "days" not in errors else None}, errors


@bp.route("/tokens", methods=["GET", "POST"])
@login_required
def tokens():
    """The account's API tokens: list, make one (its text shown only in this answer)."""
    s = db_session()
    errors: dict[str, str] = {}
    created = None
    if request.method == "POST":
        wanted, errors = _token_form(request.form)
        if any(scope not in SCOPES for scope in wanted["scopes"]):
            abort(400)
        if not set(wanted["scopes"]) <= allowed_scopes(current_user):
            abort(403)   # profiles:write is for case workers only
        if not errors:
            _row, created = issue_token(s, current_user, wanted["scopes"], wanted["name"], wanted["days"])
    rows = list(s.scalars(select(ApiToken).where(ApiToken.user_id == current_user.id).order_by(ApiToken.id.desc())))
    offered = [(scope, SCOPE_LABELS[scope]) for scope in SCOPES if scope in allowed_scopes(current_user)]
    return render_template("account_tokens.html", tokens=rows, scopes=offered, created=created, errors=errors,
                           form=request.form if errors else ImmutableMultiDict()), (422 if errors else 200)


@bp.post("/tokens/<int:token_id>/revoke")
@login_required
def revoke(token_id: int):
    """Revoke one of the account's tokens; it stops working with the next request."""
    s = db_session()
    row = s.get(ApiToken, token_id) if token_id <= MAX_ID else None
    if row is None or row.user_id != current_user.id:
        abort(404)
    revoke_token(s, row)
    return redirect(url_for("accounts.tokens"))
