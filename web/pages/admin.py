"""The case workers' area (admins only): bulk import from CSV with a row-by-row report and
nothing half-imported, shortlists as CSV, the queue monitor (rq-dashboard), and the
supply-and-demand insights.

Imported files are read as UTF-8 (with or without BOM), as UTF-16 with a BOM (Excel's
"Unicode text", tab-separated), or else as Windows-1252 with a notice: that is what
Excel on Windows in Spanish or Portuguese saves as "CSV", and a case worker with such a
file should not have to learn about encodings to import it. Windows-1252 decodes such a
file exactly; a file in another 8-bit encoding (an old Mac's, DOS's) shows characters that
Spanish and Portuguese text never has, and is refused with the way to save it as UTF-8.
Empty, binary (an .xlsx), header-only and oversize files are refused with a message;
nothing is saved unless every row is valid.
"""
from __future__ import annotations

import csv
import io
import re
from collections import Counter
from datetime import UTC, datetime, time

import rq_dashboard
from flask import Blueprint, Response, abort, current_app, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from rq_dashboard.web import setup_rq_connection
from sqlalchemy import select

from models import BY_IMPORT, VACANCY, Interest, Match, Profile, Vacancy
from models.queries import ranking
from worker.queueing import latest_rematch, rematch_progress, start_rematch

from ..auth import admin_required, is_admin, login_manager
from ..conversations import ACTIVE as SHARED_STATES
from ..conversations import report, reportable
from ..extensions import database, db_session, knowledge, redis_conn, settings
from ..i18n import locale
from ..responses import candidate_card
from ..schemas import OutcomeRow, ProfileIn, VacancyIn, ValidationError, field_errors
from ..security import large_body, safe_cell
from ..services import create_profile_rows, create_vacancy_rows

bp = Blueprint("admin", __name__, url_prefix="/admin")

__all__ = ["bp", "decode_upload", "mount_rq_dashboard", "read_rows"]

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
        "gender": row.get("gender", "") or None,
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
                   "consent", "locale", "gender")
VACANCY_COLUMNS = ("title", "description", "employer", "essential_skills", "optional_skills", "country", "city",
                   "remote", "languages", "education_level", "experience_years", "openings", "accepts_relocation",
                   "locale")
# What happened to candidates: `candidate_id` as in the vacancy's shortlist CSV; `reason`
# (only with not_selected) and `date` (YYYY-MM-DD, the day it happened; blank: today) optional.
OUTCOME_COLUMNS = ("vacancy_id", "candidate_id", "outcome", "reason", "date")
COLUMNS = {"profiles": PROFILE_COLUMNS, "vacancies": VACANCY_COLUMNS, "outcomes": OUTCOME_COLUMNS}
REQUIRED = {"profiles": ("country", "consent"), "vacancies": ("title", "country"),
            "outcomes": ("vacancy_id", "candidate_id", "outcome")}


def outcome_row(row: dict) -> dict:
    """A CSV row of the outcomes import as `OutcomeRow`'s body (a blank cell: not given)."""
    return {k: v for k, v in row.items() if v}


def _reader(text: str) -> csv.DictReader:
    first = text.splitlines()[0] if text.strip() else ""
    # Excel in Spanish and Portuguese uses ";", its "Unicode text" a tab; a tie is a comma.
    delimiter = max((",", ";", "\t"), key=first.count)
    return csv.DictReader(io.StringIO(text, newline=""), delimiter=delimiter)


def _header_problems(header: list[str], kind: str) -> dict[str, str]:
    """What is wrong with the columns: unknown ones, required ones missing."""
    columns, required = COLUMNS[kind], REQUIRED[kind]
    unknown = [h for h in header if h and h not in columns]
    missing = [c for c in required if c not in header]
    detail = {}
    if unknown:
        detail["header"] = _("Columnas desconocidas: %(cols)s", cols=", ".join(unknown))
    if missing:
        detail["columns"] = _("Faltan columnas: %(cols)s", cols=", ".join(missing))
    return detail


def _row_key(row: dict) -> tuple:
    """What makes two rows the same: every cell, with case and spacing ignored."""
    return tuple(sorted((k, " ".join(v.casefold().split())) for k, v in row.items() if v))


def _validate_rows(reader: csv.DictReader, kind: str, kb, good: list, errors: list[dict]) -> None:
    """Validate the rows into `good`, or their errors into `errors` (kept when the file breaks off);
    a row that repeats an earlier one is an error too (the same person or post twice)."""
    model, to_body = {"profiles": (ProfileIn, profile_row), "vacancies": (VacancyIn, vacancy_row),
                      "outcomes": (OutcomeRow, outcome_row)}[kind]
    context = {"kb": kb, "reportable": reportable} if kind == "outcomes" else {"kb": kb}
    seen: dict[tuple, int] = {}
    for n, row in enumerate(reader, start=1):
        number = reader.line_num   # the file's line, right after multi-line cells too
        if n > MAX_IMPORT_ROWS:
            errors.append({"row": number, "fields": {"_": _("Como máximo %(n)d filas por archivo.",
                                                              n=MAX_IMPORT_ROWS)}})
            break
        row = {(k or "").strip(): (v or "").strip() for k, v in row.items() if k and isinstance(v, str)}
        key = _row_key(row)
        if key and key in seen:
            errors.append({"row": number, "fields": {"_": _("Esta fila repite la fila %(n)d.", n=seen[key])}})
            continue
        seen[key] = number
        try:
            good.append(model.model_validate(to_body(row), context=context))
        except ValidationError as exc:
            errors.append({"row": number, "fields": field_errors(exc, locale(), model)})


# A field of the API's body, as the CSV names it: "jobs.0.years" is the "jobs" column's
# first item, its years.
_PART = {"title": _l("cargo"), "years": _l("años"), "code": _l("código"), "level": _l("nivel")}


def field_place(path: str) -> str:
    """Say where a row's problem is, in the file's own words: the column, and the item of a
    list column ("columna «jobs», elemento 1, años")."""
    if path in ("_", "file"):
        return ""   # the message says it
    if path == "attest":
        return _("la casilla de confirmación del consentimiento")
    if path in ("header", "columns"):
        return _("la primera fila (nombres de columna)")
    head, *rest = path.split(".")
    if head == "education" and rest:
        return _("columna «%(col)s»", col=f"education_{rest[0]}")
    words = [_("columna «%(col)s»", col=head)]
    if rest and rest[0].isdigit():
        words.append(_("elemento %(n)d", n=int(rest[0]) + 1))
        rest = rest[1:]
    words += [str(_PART.get(part, part)) for part in rest]
    return ", ".join(words)


def read_rows(text: str, kind: str, kb) -> tuple[list, list[dict]]:
    """Validate every row; return (validated models, errors [{"row", "fields"}])."""
    reader = _reader(text)
    problems = _header_problems([(h or "").strip() for h in reader.fieldnames or []], kind)
    if problems:
        return [], [{"row": 1, "fields": problems}]
    good, errors = [], []
    try:
        _validate_rows(reader, kind, kb, good, errors)
    except csv.Error as exc:
        errors.append({"row": reader.line_num, "fields": {"file": _("El archivo CSV no se puede leer: %(why)s",
                                                                    why=str(exc)[:100])}})
    return good, errors


@bp.get("/")
@admin_required
def index():
    return render_template("admin_index.html")


# Windows-1252 characters that Spanish and Portuguese records do not use, but that the
# accented letters of an old Mac's or of DOS's encoding turn into when read as Windows-1252
# (Mac: é → Ž, á → ‡, ú → œ; DOS: é → ‚, ó → ¢, ú → £, ñ → ¤).
_NOT_SPANISH_OR_PORTUGUESE = frozenset("‚ƒ„†‡ˆ‰Š‹ŒŽ˜š›œžŸ¢£¤¥")
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")   # not tab, line ends or form feed


def _binary(text: str) -> bool:
    return _CONTROL.search(text) is not None


def decode_upload(raw: bytes) -> tuple[str | None, str | None, str | None]:
    """Return (text, error, notice): the file's text, or why it cannot be read."""
    if not raw.strip():
        return None, _("El archivo está vacío."), None
    not_text = _("No es un archivo de texto CSV (¿una hoja .xlsx?). En Excel use «Guardar como» y elija «CSV UTF-8».")
    if raw.startswith(_UTF16_BOMS):   # the mark says which it is: no guessing
        try:
            text = raw.decode("utf-16")
        except UnicodeDecodeError:
            return None, not_text, None
        return (None, not_text, None) if _binary(text) else (text, None, None)
    if b"\x00" in raw:   # a spreadsheet, a zip, UTF-16 without its mark
        return None, not_text, None
    notice = None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            text = raw.decode("cp1252")
        except UnicodeDecodeError:
            text = None
        if text is None or _NOT_SPANISH_OR_PORTUGUESE.intersection(text):
            return None, _("No se reconoce la codificación del texto (no es UTF-8 ni Windows-1252). "
                           "En Excel use «Guardar como» y elija «CSV UTF-8»."), None
        notice = _("El archivo no estaba en UTF-8: se leyó como Windows-1252, el «CSV» de Excel en Windows. "
                   "Revise que las tildes y eñes se vean bien.")
    if _binary(text):
        return None, not_text, None
    return text, None, notice


def _size(n: int) -> str:
    return f"{round(n / 1024 / 1024, 1):g} MB" if n >= 1024 * 1024 else f"{max(1, round(n / 1024))} kB"


def _too_large(limit: int) -> str:
    return _("El archivo pasa de %(size)s. Divídalo en varios archivos.", size=_size(limit))


def _refused(field: str, message: str, notice: str | None = None) -> dict:
    return {"errors": [{"row": 1, "fields": {field: message}}], "saved": [], "notice": notice}


def _kind() -> str:
    kind = request.args.get("kind") or (request.form.get("kind") if request.method == "POST" else None) or "profiles"
    if kind not in COLUMNS:
        abort(404)
    return kind


def _import_page(kind: str, result: dict | None, status: int | None = None):
    columns = COLUMNS[kind]
    status = status or (422 if result and result["errors"] else 200)
    return render_template("admin_import.html", kind=kind, columns=columns, result=result,
                           place=field_place), status


SAMPLES = {
    "profiles": [
        {"summary": "Enfermera, seis años en terapia intensiva", "country": "CO", "city": "Cúcuta",
         "nationalities": "VE", "status": "ppt", "jobs": "Enfermera de cuidados intensivos:6; Cuidadora:2",
         "skills": "cuidados intensivos; canalización de vías", "languages": "es:native; en:basic",
         "education_level": "short_cycle", "education_country": "VE", "education_field": "enfermería",
         "target_countries": "CO; PE", "relocate": "sí", "consent": "sí", "locale": "es"},
        {"summary": "Cozinheiro de restaurante", "country": "BR", "city": "Boa Vista", "nationalities": "VE",
         "status": "residencia_venezuelanos", "jobs": "Cozinheiro:4", "skills": "cozinha; manipulação de alimentos",
         "languages": "es:native; pt:intermediate", "education_level": "upper_secondary", "education_country": "VE",
         "education_field": "", "target_countries": "", "relocate": "no", "consent": "sí", "locale": "pt"},
    ],
    "vacancies": [
        {"title": "Enfermero/a de UCI", "description": "Unidad de cuidados intensivos, turnos rotativos",
         "employer": "Hospital San José", "essential_skills": "cuidados intensivos; monitoreo de pacientes",
         "optional_skills": "inglés", "country": "CO", "city": "Bogotá", "remote": "no", "languages": "es",
         "education_level": "short_cycle", "experience_years": "2", "openings": "2", "accepts_relocation": "sí",
         "locale": "es"},
        {"title": "Cozinheiro", "description": "Cozinha de restaurante, almoço e jantar", "employer": "Restaurante Sabor",
         "essential_skills": "cozinha; manipulação de alimentos", "optional_skills": "", "country": "BR",
         "city": "Boa Vista", "remote": "no", "languages": "pt", "education_level": "", "experience_years": "1",
         "openings": "1", "accepts_relocation": "no", "locale": "pt"},
    ],
}


def _outcome_samples() -> list[dict]:
    """Two outcome rows about the newest candidates ranked (so that they import as they are)."""
    pairs = db_session().execute(select(Match.vacancy_id, Match.profile_id).where(Match.owner == VACANCY)
                                 .order_by(Match.id.desc()).limit(2)).all() or [(1, 1), (1, 2)]
    kinds = [{"outcome": "interview", "reason": "", "date": ""},
             {"outcome": "not_selected", "reason": "experience", "date": ""}]
    return [{"vacancy_id": v, "candidate_id": p, **k} for (v, p), k in zip(pairs, kinds, strict=False)]


@bp.get("/import/sample.csv")
@admin_required
def sample_csv():
    """A CSV to start from: every column, two rows that import as they are."""
    kind = _kind()
    columns = COLUMNS[kind]
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns)
    writer.writeheader()
    writer.writerows(SAMPLES[kind] if kind in SAMPLES else _outcome_samples())
    return Response(out.getvalue(), mimetype="text/csv",
                    headers={"Content-Disposition": f"attachment; filename=puente-{kind}-sample.csv"})


def import_too_large():
    """The import page saying the upload is too large (a 413 raised before the view ran),
    or None when the page is not for this person."""
    if not is_admin():
        return None
    kind = request.args.get("kind", "profiles")
    limit = current_app.config["MAX_IMPORT_SIZE"]
    return _import_page(kind if kind in COLUMNS else "profiles", _refused("file", _too_large(limit)),
                        413)


@bp.route("/import", methods=["GET", "POST"])
@large_body
@admin_required
def import_csv():
    kind = _kind()
    if request.method == "GET":
        return _import_page(kind, None)
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        return _import_page(kind, _refused("file", _("Suba un archivo CSV en UTF-8.")))
    limit = current_app.config["MAX_IMPORT_SIZE"]
    raw = upload.read(limit + 1)
    if len(raw) > limit:
        return _import_page(kind, _refused("file", _too_large(limit)), 413)
    text, problem, notice = decode_upload(raw)
    if problem:
        return _import_page(kind, _refused("file", problem))
    if kind == "profiles" and request.form.get("attest") != "on":
        return _import_page(kind, _refused("attest", _("Confirme que cada persona aceptó el uso de sus datos."),
                                           notice))
    good, errors = read_rows(text, kind, knowledge())
    if errors or not good:
        return _import_page(kind, {"errors": errors or [{"row": 1, "fields": {"file": _("El archivo no tiene filas.")}}],
                                   "saved": [], "notice": notice})
    # every row is valid: all are saved in one transaction, then queued
    saved = {"profiles": create_profile_rows, "vacancies": create_vacancy_rows, "outcomes": save_outcome_rows}[kind](good)
    return _import_page(kind, {"errors": [], "saved": saved, "notice": notice})


def save_outcome_rows(rows: list[OutcomeRow]) -> list[tuple[int, str]]:
    """Record imported outcomes in one transaction (a conversation the person shared in
    moves on, as when reported on the page); return (row, what was recorded)."""
    s = db_session()
    vacancies = {v.id: v for v in s.scalars(select(Vacancy).where(Vacancy.id.in_({r.vacancy_id for r in rows})))}
    saved = []
    # In the order things happened (a row without a date: today), so a conversation ends where its last row says.
    ordered = sorted(enumerate(rows, start=2), key=lambda nr: (nr[1].date or datetime.now(UTC).date(), nr[0]))
    for n, row in ordered:   # n: the file's row (after the header)
        at = datetime.combine(row.date, time(12), tzinfo=UTC) if row.date else None
        report(vacancies[row.vacancy_id], row.candidate_id, row.outcome, BY_IMPORT, row.reason, at, commit=False)
        saved.append((n, f"{row.vacancy_id}/{row.candidate_id}: {row.outcome}"))
    s.commit()
    return saved


def _shared(interest: Interest | None) -> tuple[str, str, str]:
    """The conversation's state, and the contact and message the person shared with this
    employer (only while shared: nothing before they confirm, nothing after they withdraw)."""
    if interest is None:
        return "", "", ""
    if interest.status not in SHARED_STATES:
        return interest.status, "", ""
    return interest.status, interest.contact or "", interest.message or ""


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
    interests = {i.profile_id: i for i in s.scalars(select(Interest).where(Interest.vacancy_id == vacancy.id))}
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["rank", "score", "ready_now", "job_titles", "skills", "experience_years", "education_level",
                     "languages", "city", "country", "interest", "contact", "message", "candidate_id"])
    for m in rows:
        p = people.get(m.profile_id)
        if p is None:
            continue
        card = candidate_card(p)
        writer.writerow([safe_cell(v) for v in (
            m.rank, m.score, (m.explanation or {}).get("ready_now", ""), "; ".join(card["job_titles"]),
            "; ".join(card["skills"]), card["experience_years"], card["education_level"] or "",
            "; ".join(f"{lang['code']}:{lang['level']}" for lang in card["languages"]), card["city"],
            card["country"], *_shared(interests.get(m.profile_id)), m.profile_id)])
    return Response(out.getvalue(), mimetype="text/csv",
                    headers={"Content-Disposition": f"attachment; filename=puente-shortlist-{vacancy.id}.csv"})


@bp.route("/rematch", methods=["GET", "POST"])
@admin_required
def rematch():
    """Re-match everything in chunked jobs, and follow the progress of the latest run."""
    conn = redis_conn()
    if request.method == "POST":
        start_rematch(conn, settings(), database())
        return redirect(url_for("admin.rematch"))
    run = latest_rematch(conn)
    state = rematch_progress(conn, run) if run else None
    return render_template("admin_rematch.html", state=state)


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


# The queue monitor's routes that change Redis (requeue, delete, empty, compact): POST only,
# with the CSRF token like every other form of the app.
RQ_CHANGES = frozenset({"rq_dashboard.delete_job_view", "rq_dashboard.requeue_job_view", "rq_dashboard.requeue_all",
                        "rq_dashboard.empty_queue", "rq_dashboard.compact_queue"})
RQ_TOKEN_COOKIE = "_csrf_token"   # where the monitor's own script reads the token it sends as X-CSRFToken


def _rq_only_admins():
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    if not is_admin():
        abort(403)
    if request.endpoint in RQ_CHANGES and request.method != "POST":
        abort(405)   # its "requeue all" answered a GET: a link or an image on any page could requeue
    return None


def _rq_hand_token(response):
    """Give the monitor's script the CSRF token: it reads this cookie and sends it in the
    X-CSRFToken header, which Flask-WTF checks. Another site can neither read the cookie nor
    send it (SameSite=Strict), so its cross-origin POSTs fail the check."""
    if is_admin() and response.mimetype == "text/html":
        response.set_cookie(RQ_TOKEN_COOKIE, generate_csrf(), path="/admin/rq", samesite="Strict", httponly=False,
                            secure=current_app.config.get("SESSION_COOKIE_SECURE", False))
    return response


def mount_rq_dashboard(app, app_settings) -> None:
    """The RQ queue monitor at /admin/rq, for case workers only; what changes the queue is a
    POST with the CSRF token (the monitor's buttons send it)."""
    app.config["RQ_DASHBOARD_REDIS_URL"] = app_settings.redis_url
    setup_rq_connection(app)   # embedded, the dashboard expects its host app to connect it
    blueprint = rq_dashboard.blueprint
    if not getattr(blueprint, "_puente_guarded", False):   # one guard, however many apps are built
        blueprint.before_request(_rq_only_admins)
        blueprint.after_request(_rq_hand_token)
        blueprint._puente_guarded = True
    app.register_blueprint(blueprint, url_prefix="/admin/rq")
