"""Barrier analytics: where strong matches are blocked by a permit, the recognition of a
degree or a language, country by country.

    GET /api/v1/insights/barriers[?min_score=0.5]       JSON
    GET /api/v1/insights/barriers.csv[?min_score=0.5]   CSV (a spreadsheet opens it)
    GET /insights/barreras                              the page

Counts of matches, not of people, and they must not point at one person: the threshold
is one of a few fixed steps (so that two nearby thresholds cannot isolate one match), and
a count below PUENTE_BARRIER_MIN_COUNT is withheld (null in JSON, "<N" in CSV and on the
page). Access control for these figures comes with the accounts of the public employment
services; until then they are public.
"""
from __future__ import annotations

import csv
import io

from flask import Blueprint, Response, render_template, request
from flask_babel import lazy_gettext as _l

from matching.eligibility import BARRIER_GROUPS, count_barriers
from models.queries import strong_matches

from .errors import error_response
from .extensions import db_session, knowledge, settings
from .i18n import locale

bp = Blueprint("insights", __name__)

__all__ = ["bp"]


THRESHOLDS = (0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9)


def thresholds() -> list[float]:
    """The values min_score may take: the fixed steps and the configured one."""
    return sorted({*THRESHOLDS, settings().barrier_score})


def _min_score() -> tuple[float | None, tuple | None]:
    raw = request.args.get("min_score")
    if raw in (None, ""):
        return settings().barrier_score, None
    try:
        value = round(float(raw.replace(",", ".")), 6)
    except ValueError:
        value = None
    allowed = thresholds()
    if value not in allowed:
        return None, error_response(400, "validation_error", "min_score must be one of the fixed thresholds.",
                                    {"min_score": "one of " + ", ".join(f"{t:g}" for t in allowed)})
    return value, None


def _withhold(row: dict, floor: int) -> dict:
    """Replace counts below `floor` by None: they could point at one person."""
    hide = (lambda n: None if 0 < n < floor else n) if floor > 1 else (lambda n: n)
    return {"country": row["country"], "strong_matches": hide(row["strong_matches"]),
            "eligible_now": hide(row["eligible_now"]), "blocked": {g: hide(n) for g, n in row["blocked"].items()}}


def _table(min_score: float) -> dict:
    rows, total = count_barriers(strong_matches(db_session(), min_score), min_score)
    floor = settings().barrier_min_count
    return {"min_score": min_score, "min_count": floor, "groups": list(BARRIER_GROUPS),
            "countries": [_withhold(r, floor) for r in rows], "total": _withhold(total, floor)}


@bp.get("/api/v1/insights/barriers")
def barriers_json():
    min_score, err = _min_score()
    if err:
        return err
    return _table(min_score)


@bp.get("/api/v1/insights/barriers.csv")
def barriers_csv():
    min_score, err = _min_score()
    if err:
        return err
    table = _table(min_score)
    out = io.StringIO()
    writer = csv.writer(out)
    hidden = f"<{table['min_count']}"
    cell = lambda n: hidden if n is None else n
    writer.writerow(["country", "min_score", "strong_matches", "eligible_now", *BARRIER_GROUPS])
    for row in [*table["countries"], table["total"]]:
        writer.writerow([row["country"], min_score, cell(row["strong_matches"]), cell(row["eligible_now"]),
                         *(cell(row["blocked"][g]) for g in BARRIER_GROUPS)])
    return Response(out.getvalue(), mimetype="text/csv",
                    headers={"Content-Disposition": "attachment; filename=puente-barriers.csv"})


GROUP_LABELS = {
    "permit": _l("Solo el permiso de trabajo"), "recognition": _l("Solo el reconocimiento del título"),
    "language": _l("Solo el idioma"), "permit+recognition": _l("Permiso y título"),
    "permit+language": _l("Permiso e idioma"), "recognition+language": _l("Título e idioma"),
    "permit+recognition+language": _l("Permiso, título e idioma"),
    "status_not_given": _l("Situación migratoria no indicada"),
}


@bp.get("/insights/barreras")
def barriers_page():
    min_score, err = _min_score()
    if err:
        min_score = settings().barrier_score
    table = _table(min_score)
    table["thresholds"] = thresholds()
    kb = knowledge()
    names = {code: c.names.get(locale()) for code, c in kb.countries.items()}
    table["countries"].sort(key=lambda r: names.get(r["country"], r["country"]))
    return render_template("barriers.html", table=table, labels=GROUP_LABELS, names=names,
                           bad_threshold=err is not None)
