"""Employer accounts (register, log in, their organisation's vacancies) and the case
workers' login. Passwords are hashed with scrypt (werkzeug); sessions are Flask's signed
cookies through Flask-Login."""
from __future__ import annotations

from flask import Blueprint, abort, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import (
    LoginManager,
    current_user,
    login_required,
    login_user,
    logout_user,
)
from sqlalchemy import select

from models import ADMIN, EMPLOYER, User, Vacancy

from .extensions import db_session
from .security import limiter

bp = Blueprint("accounts", __name__, url_prefix="/cuenta")
login_manager = LoginManager()
login_manager.login_view = "accounts.login"
login_manager.session_protection = "strong"

__all__ = ["bp", "login_manager", "init_accounts", "owns", "admin_required"]

MIN_PASSWORD = 10
AUTH_LIMIT = "10 per minute;50 per hour"


def init_accounts(app) -> None:
    login_manager.init_app(app)
    login_manager.login_message = None


@login_manager.user_loader
def _load(user_id: str):
    if not user_id.isdigit():
        return None
    user = db_session().get(User, int(user_id))
    return user if user is not None and user.active else None


def owns(vacancy: Vacancy, key: str | None) -> bool:
    """Whether the request may see this vacancy's candidates: its private key, an account of
    its organisation, or a case worker."""
    if vacancy.owner_key_matches(key):
        return True
    if not current_user.is_authenticated:
        return False
    return current_user.role == ADMIN or (vacancy.employer_id is not None
                                          and vacancy.employer_id == current_user.employer_id)


def admin_required(view):
    """Only case workers (admins); others get the login page or a 403."""
    from functools import wraps

    @wraps(view)
    def wrapped(*args, **kwargs):
        if not current_user.is_authenticated:
            return login_manager.unauthorized()
        if current_user.role != ADMIN:
            abort(403)
        return view(*args, **kwargs)
    return wrapped


def _safe_next(target: str | None) -> str | None:
    """A path on this site only: no scheme, no host, no control characters or backslashes."""
    from urllib.parse import urlsplit

    if not target or any(ord(c) < 32 or c == "\\" for c in target) or not target.startswith("/"):
        return None
    parts = urlsplit(target)
    return target if not parts.scheme and not parts.netloc and not target.startswith("//") else None


@bp.route("/registro", methods=["GET", "POST"])
@limiter.limit(AUTH_LIMIT, methods=["POST"])
def register():
    from sqlalchemy.exc import IntegrityError

    from .services import new_organisation

    errors: dict[str, str] = {}
    form = request.form
    if request.method == "POST":
        email = form.get("email", "").strip().lower()
        password = form.get("password", "")
        organisation = " ".join(form.get("organisation", "").split())
        if "@" not in email or len(email) > 254 or any(c.isspace() for c in email):
            errors["email"] = _("Escriba un correo electrónico válido.")
        if len(password) < MIN_PASSWORD or len(password) > 200:
            errors["password"] = _("La contraseña debe tener al menos %(n)d caracteres.", n=MIN_PASSWORD)
        if not organisation or len(organisation) > 200:
            errors["organisation"] = _("Escriba el nombre de su empresa u organización.")
        s = db_session()
        if not errors and s.scalars(select(User).where(User.email == email)).first() is not None:
            errors["email"] = _("Ya hay una cuenta con este correo. Entre con su contraseña.")
        if not errors:
            user = User(email=email, role=EMPLOYER, employer=new_organisation(s, organisation))
            user.set_password(password)
            s.add(user)
            try:
                s.commit()
            except IntegrityError:   # the same e-mail registered twice at once
                s.rollback()
                errors["email"] = _("Ya hay una cuenta con este correo. Entre con su contraseña.")
            else:
                login_user(user)
                return redirect(url_for("accounts.dashboard"))
    return render_template("account_register.html", form=form, errors=errors), (422 if errors else 200)


@bp.route("/entrar", methods=["GET", "POST"])
@limiter.limit(AUTH_LIMIT, methods=["POST"])
def login():
    error = None
    if request.method == "POST":
        email = request.form.get("email", "").strip().lower()
        user = db_session().scalars(select(User).where(User.email == email)).first()
        if user is not None and user.active and user.check_password(request.form.get("password", "")):
            login_user(user)
            default = url_for("admin.index") if user.role == ADMIN else url_for("accounts.dashboard")
            return redirect(_safe_next(request.args.get("next")) or default)
        error = _("Correo o contraseña incorrectos.")   # the same words either way: no account enumeration
    return render_template("account_login.html", form=request.form, error=error), (401 if error else 200)


@bp.post("/salir")
def logout():
    logout_user()
    return redirect(url_for("home.index"))


@bp.get("/")
@login_required
def dashboard():
    vacancies = []
    if current_user.employer_id is not None:
        vacancies = list(db_session().scalars(select(Vacancy).where(Vacancy.employer_id == current_user.employer_id)
                                              .order_by(Vacancy.id.desc())))
    return render_template("account_dashboard.html", vacancies=vacancies)
