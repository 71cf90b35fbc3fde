"""Barrier analytics for API clients (web/barriers.py):

    GET /api/v1/insights/barriers[?min_score=0.5]       JSON
    GET /api/v1/insights/barriers.csv[?min_score=0.5]   CSV (a spreadsheet opens it)
"""
from __future__ import annotations

import csv
import io

from flask import Blueprint, Response, request

from matching.eligibility import BARRIER_GROUPS

from ..barriers import barrier_table, read_min_score, thresholds
from ..responses import Barriers, dump
from .errors import error_response
from .spec import BarriersQuery, answers, spec

bp = Blueprint("insights", __name__)

__all__ = ["bp"]


def _exact(raw: str | None) -> bool:
    """min_score is a JSON number equal to one of the thresholds, as the document's enum says:
    not 1e-09 (the page reads it as the step 0.0), not "0,5", "" or "nan"."""
    if raw is None:
        return True
    try:
        return float(raw) in thresholds()
    except ValueError:
        return False


def _min_score() -> tuple[float | None, tuple | None]:
    raw = request.args.get("min_score")
    value = read_min_score(raw) if _exact(raw) else None
    if value is None:
        return None, error_response(400, "validation_error", "min_score must be one of the fixed thresholds.",
                                    {"min_score": "one of " + ", ".join(f"{t:g}" for t in thresholds())})
    return value, None


@bp.get("/insights/barriers")
@spec.validate(query=BarriersQuery, resp=answers(HTTP_200=(Barriers, "Counts (small ones withheld as null).")),
               operation_id="getBarriers", security=[], skip_validation=True)
def barriers_json():
    """Strong matches by country and the barriers blocking them."""
    min_score, err = _min_score()
    if err:
        return err
    return dump(Barriers.model_validate(barrier_table(min_score)))


@bp.get("/insights/barriers.csv")
@spec.validate(query=BarriersQuery, resp=answers(HTTP_200=(None, "CSV, one row per country and a total.")),
               operation_id="getBarriersCsv", security=[], skip_validation=True)
def barriers_csv():
    """The same counts as CSV."""
    min_score, err = _min_score()
    if err:
        return err
    table = barrier_table(min_score)
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
