"""The case workers' area (admins only): bulk import from CSV with a row-by-row report and
nothing half-imported, shortlists as CSV, the queue monitor (rq-dashboard), and the
supply-and-demand insights."""
from __future__ import annotations

import csv
import io
from collections import Counter

from flask import Blueprint, Response, abort, current_app, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from models import VACANCY, Interest, Profile, Vacancy
from models.queries import ranking

from .accounts import admin_required
from .extensions import db_session, knowledge
from .i18n import locale
from .schemas import ProfileIn, VacancyIn, ValidationError, field_errors
from .views import candidate_card

bp = Blueprint("admin", __name__, url_prefix="/admin")

__all__ = ["bp", "read_rows", "mount_rq_dashboard"]

MAX_IMPORT_ROWS = 5000
LIST_SEPARATORS = (";", "|")


def _list(value: str) -> list[str]:
    for sep in LIST_SEPARATORS:
        if sep in value:
            return [v.strip() for v in value.split(sep) if v.strip()]
    return [value.strip()] if value.strip() else []


def _bool(value: str) -> bool | str:
    v = value.strip().lower()
    if v in ("1", "true", "yes", "si", "sí", "sim", "x"):
        return True
    if v in ("", "0", "false", "no", "não", "nao"):
        return False
    return value   # left for the schema to refuse, with the field named


def _pairs(value: str) -> list[tuple[str, str]]:
    out = []
    for item in _list(value):
        left, _sep, right = item.partition(":")
        out.append((left.strip(), right.strip()))
    return out


def profile_row(row: dict) -> dict:
    """A CSV row (columns in docs and the import page) as the API's profile body."""
    jobs = [{"title": t, "years": y.replace(",", ".") or 0} for t, y in _pairs(row.get("jobs", ""))]
    data = {
        "summary": row.get("summary", ""), "country": row.get("country", ""), "city": row.get("city", ""),
        "nationalities": _list(row.get("nationalities", "")), "status": row.get("status", ""),
        "skills": _list(row.get("skills", "")), "jobs": jobs,
        "languages": [{"code": c, "level": lv or "native"} for c, lv in _pairs(row.get("languages", ""))],
        "target_countries": _list(row.get("target_countries", "")), "relocate": _bool(row.get("relocate", "")),
        "consent": _bool(row.get("consent", "")) or None, "locale": row.get("locale", "") or "es",
    }
    if row.get("education_level"):
        data["education"] = {"level": row["education_level"], "country": row.get("education_country", ""),
                             "field": row.get("education_field", "")}
    return {k: v for k, v in data.items() if v is not None}


def vacancy_row(row: dict) -> dict:
    return {
        "title": row.get("title", ""), "description": row.get("description", ""), "employer": row.get("employer", ""),
        "essential_skills": _list(row.get("essential_skills", "")), "optional_skills": _list(row.get("optional_skills", "")),
        "country": row.get("country", ""), "city": row.get("city", ""), "remote": _bool(row.get("remote", "")),
        "languages": _list(row.get("languages", "")), "education_level": row.get("education_level", "") or None,
        "experience_years": (row.get("experience_years", "") or "0").replace(",", "."),
        "openings": row.get("openings", "") or 1, "accepts_relocation": _bool(row.get("accepts_relocation", "") or "1"),
        "locale": row.get("locale", "") or "es",
    }


PROFILE_COLUMNS = ("summary", "country", "city", "nationalities", "status", "jobs", "skills", "languages",
                   "education_level", "education_country", "education_field", "target_countries", "relocate",
                   "consent", "locale")
VACANCY_COLUMNS = ("title", "description", "employer", "essential_skills", "optional_skills", "country", "city",
                   "remote", "languages", "education_level", "experience_years", "openings", "accepts_relocation",
                   "locale")


def read_rows(text: str, kind: str, kb) -> tuple[list, list[dict]]:
    """Validate every row; return (validated models, errors [{"row", "fields"}])."""
    model, to_body = (ProfileIn, profile_row) if kind == "profiles" else (VacancyIn, vacancy_row)
    columns = PROFILE_COLUMNS if kind == "profiles" else VACANCY_COLUMNS
    first = text.splitlines()[0] if text.strip() else ""
    delimiter = ";" if first.count(";") > first.count(",") else ","   # Excel in Spanish and Portuguese uses ;
    reader = csv.DictReader(io.StringIO(text, newline=""), delimiter=delimiter)
    header = [(h or "").strip() for h in reader.fieldnames or []]
    unknown = [h for h in header if h and h not in columns]
    required = ["country", "consent"] if kind == "profiles" else ["title", "country"]
    missing = [c for c in required if c not in header]
    if unknown or missing:
        detail = {}
        if unknown:
            detail["header"] = _("Columnas desconocidas: %(cols)s", cols=", ".join(unknown))
        if missing:
            detail["columns"] = _("Faltan columnas: %(cols)s", cols=", ".join(missing))
        return [], [{"row": 1, "fields": detail}]
    good, errors = [], []
    try:
        for n, row in enumerate(reader, start=1):
            number = reader.line_num   # the file's line, right after multi-line cells too
            if n > MAX_IMPORT_ROWS:
                errors.append({"row": number, "fields": {"_": _("Como máximo %(n)d filas por archivo.",
                                                                  n=MAX_IMPORT_ROWS)}})
                break
            row = {(k or "").strip(): (v or "").strip() for k, v in row.items() if k and isinstance(v, str)}
            try:
                good.append(model.model_validate(to_body(row), context={"kb": kb}))
            except ValidationError as exc:
                errors.append({"row": number, "fields": field_errors(exc, locale(), model)})
    except csv.Error as exc:
        errors.append({"row": reader.line_num, "fields": {"file": _("El archivo CSV no se puede leer: %(why)s",
                                                                    why=str(exc)[:100])}})
    return good, errors


@bp.get("/")
@admin_required
def index():
    return render_template("admin_index.html")


@bp.route("/import", methods=["GET", "POST"])
@admin_required
def import_csv():
    from .services import create_profile_rows, create_vacancy_rows

    kind = request.values.get("kind", "profiles")
    if kind not in ("profiles", "vacancies"):
        abort(404)
    result = None
    if request.method == "POST":
        upload = request.files.get("file")
        raw = upload.read() if upload else b""
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            text = None
        if not text:
            result = {"errors": [{"row": 1, "fields": {"file": _("Suba un archivo CSV en UTF-8.")}}], "saved": []}
        elif kind == "profiles" and request.form.get("attest") != "on":
            result = {"errors": [{"row": 1, "fields": {"attest": _("Confirme que cada persona aceptó el uso de sus datos.")}}],
                      "saved": []}
        else:
            good, errors = read_rows(text, kind, knowledge())
            if errors or not good:
                result = {"errors": errors or [{"row": 1, "fields": {"file": _("El archivo no tiene filas.")}}],
                          "saved": []}
            else:   # every row is valid: all are saved in one transaction, then queued
                saved = create_profile_rows(good) if kind == "profiles" else create_vacancy_rows(good)
                result = {"errors": [], "saved": saved}
    columns = PROFILE_COLUMNS if kind == "profiles" else VACANCY_COLUMNS
    status = 422 if result and result["errors"] else 200
    return render_template("admin_import.html", kind=kind, columns=columns, result=result), status


@bp.get("/vacancies/<int:vacancy_id>/shortlist.csv")
@admin_required
def shortlist(vacancy_id: int):
    """A vacancy's ranked candidates as CSV: the same anonymous cards an employer sees."""
    s = db_session()
    vacancy = s.get(Vacancy, vacancy_id)
    if vacancy is None:
        abort(404)
    rows = ranking(s, VACANCY, vacancy.id)
    people = {p.id: p for p in s.scalars(select(Profile).where(Profile.id.in_([m.profile_id for m in rows])))}
    interests = {i.profile_id: i.status for i in s.scalars(select(Interest).where(Interest.vacancy_id == vacancy.id))}
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["rank", "score", "ready_now", "job_titles", "skills", "experience_years", "education_level",
                     "languages", "city", "country", "interest"])
    for m in rows:
        p = people.get(m.profile_id)
        if p is None:
            continue
        card = candidate_card(p)
        writer.writerow([safe_cell(v) for v in (
            m.rank, m.score, (m.explanation or {}).get("ready_now", ""), "; ".join(card["job_titles"]),
            "; ".join(card["skills"]), card["experience_years"], card["education_level"] or "",
            "; ".join(f"{lang['code']}:{lang['level']}" for lang in card["languages"]), card["city"],
            card["country"], interests.get(m.profile_id, ""))])
    return Response(out.getvalue(), mimetype="text/csv",
                    headers={"Content-Disposition": f"attachment; filename=puente-shortlist-{vacancy.id}.csv"})


@bp.route("/rematch", methods=["GET", "POST"])
@admin_required
def rematch():
    """Re-match everything in chunked jobs, and follow the progress of the latest run."""
    from worker.rematch import latest_run_id, progress, start_rematch

    from .extensions import redis_conn, settings

    conn = redis_conn()
    if request.method == "POST":
        start_rematch(conn, settings(), current_app.extensions["puente_db"])
        return redirect(url_for("admin.rematch"))
    run = latest_run_id(conn)
    state = progress(conn, run) if run else None
    return render_template("admin_rematch.html", state=state)


def safe_cell(value):
    """A CSV cell a spreadsheet will not run: text starting with = + - @ or a tab is quoted."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def _major(esco: dict | None) -> str | None:
    occupations = (esco or {}).get("occupations") or []
    isco = occupations[0].get("isco") if occupations else None
    return isco[:1] if isco else None


@bp.get("/insights")
@admin_required
def insights():
    """Supply (job seekers) against demand (open vacancies) by country and ISCO-08 major
    group, as bars drawn on the server (no script, nothing from the internet)."""
    s = db_session()
    supply_c = Counter({**{c: 0 for c in knowledge().countries}})
    supply_c.update(c for (c,) in s.execute(select(Profile.country)))
    demand_c = Counter(c for (c,) in s.execute(select(Vacancy.country).where(Vacancy.status == "open")))
    supply_g = Counter(_major(e) or "?" for (e,) in s.execute(select(Profile.esco)))
    demand_g = Counter(_major(e) or "?" for (e,) in s.execute(select(Vacancy.esco).where(Vacancy.status == "open")))
    countries = sorted({c for c in (*supply_c, *demand_c) if supply_c[c] or demand_c[c]})
    groups = sorted({*supply_g, *demand_g}, key=lambda g: (g == "?", g))
    peak_c = max([supply_c[c] for c in countries] + [demand_c[c] for c in countries] + [1])
    peak_g = max([supply_g[g] for g in groups] + [demand_g[g] for g in groups] + [1])
    return render_template("admin_insights.html", countries=countries, supply_c=supply_c, demand_c=demand_c,
                           peak_c=peak_c, groups=groups, supply_g=supply_g, demand_g=demand_g, peak_g=peak_g,
                           barriers_url=url_for("insights.barriers_page"))


def mount_rq_dashboard(app, settings) -> None:
    """The RQ queue monitor at /admin/rq, for case workers only."""
    import rq_dashboard
    from flask_login import current_user
    from rq_dashboard.web import setup_rq_connection

    from .accounts import login_manager

    app.config["RQ_DASHBOARD_REDIS_URL"] = settings.redis_url
    setup_rq_connection(app)   # embedded, the dashboard expects its host app to connect it
    blueprint = rq_dashboard.blueprint
    if not getattr(blueprint, "_puente_guarded", False):   # one guard, however many apps are built
        @blueprint.before_request
        def _only_admins():
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            if current_user.role != "admin":
                abort(403)
            return None

        blueprint._puente_guarded = True
    # Its buttons post by script without our CSRF token; only case workers reach it, and the
    # session cookie is SameSite=Lax, so another site cannot post with it.
    from .extensions import csrf

    csrf.exempt(blueprint)
    app.register_blueprint(blueprint, url_prefix="/admin/rq")
