"""Barrier analytics: where strong matches are blocked by a permit, the recognition of a
degree or a language, country by country. Counts of matches only, never of who.

    GET /api/v1/insights/barriers[?min_score=0.5]       JSON
    GET /api/v1/insights/barriers.csv[?min_score=0.5]   CSV (a spreadsheet opens it)
    GET /insights/barreras                              the page
"""
from __future__ import annotations

import csv
import io

from flask import Blueprint, Response, render_template, request

from matching.eligibility import BARRIER_GROUPS, count_barriers
from models.queries import strong_matches

from .errors import error_response
from .extensions import db_session, knowledge, settings

bp = Blueprint("insights", __name__)

__all__ = ["bp"]


def _min_score() -> tuple[float | None, tuple | None]:
    raw = request.args.get("min_score")
    if raw in (None, ""):
        return settings().barrier_score, None
    try:
        value = float(raw.replace(",", "."))
    except ValueError:
        value = None
    if value is None or not 0.0 <= value <= 1.0:
        return None, error_response(400, "validation_error", "min_score must be a number from 0 to 1.",
                                    {"min_score": "a number from 0 to 1"})
    return value, None


def _table(min_score: float) -> dict:
    rows = count_barriers(strong_matches(db_session(), min_score), min_score)
    total = {"country": "all", "strong_matches": sum(r["strong_matches"] for r in rows),
             "eligible_now": sum(r["eligible_now"] for r in rows),
             "blocked": {g: sum(r["blocked"][g] for r in rows) for g in BARRIER_GROUPS}}
    return {"min_score": min_score, "groups": list(BARRIER_GROUPS), "countries": rows, "total": total}


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
    writer.writerow(["country", "min_score", "strong_matches", "eligible_now", *BARRIER_GROUPS])
    for row in [*table["countries"], table["total"]]:
        writer.writerow([row["country"], min_score, row["strong_matches"], row["eligible_now"],
                         *(row["blocked"][g] for g in BARRIER_GROUPS)])
    return Response(out.getvalue(), mimetype="text/csv",
                    headers={"Content-Disposition": "attachment; filename=puente-barriers.csv"})


GROUP_LABELS = {
    "permit": "Solo el permiso de trabajo", "recognition": "Solo el reconocimiento del título",
    "language": "Solo el idioma", "permit+recognition": "Permiso y título", "permit+language": "Permiso e idioma",
    "recognition+language": "Título e idioma", "permit+recognition+language": "Permiso, título e idioma",
}


@bp.get("/insights/barreras")
def barriers_page():
    min_score, err = _min_score()
    if err:
        min_score = settings().barrier_score
    table = _table(min_score)
    kb = knowledge()
    names = {code: c.names.es for code, c in kb.countries.items()}
    return render_template("barriers.html", table=table, labels=GROUP_LABELS, names=names)
