"""The case workers' view of learning from outcomes (issue 17): what the ranking weighs now
and how each model tried did (`/admin/learning`), the fairness audit (`/admin/fairness`,
and as CSV), and placement across places (`/admin/placement`)."""
from __future__ import annotations

import csv
import io
from collections import Counter

from flask import Blueprint, Response, redirect, render_template, request, url_for
from sqlalchemy import func, select

from config import load_learning
from matching.fairness import audit
from matching.learning import DIMENSIONS, weights_name
from models import Outcome, RankingModel
from models.history import audit_records, live_model
from worker.queueing import enqueue_learning

from ..auth import admin_required
from ..extensions import db_session, knowledge, redis_conn, settings
from ..i18n import locale
from ..placement import MAX_PEOPLE, propose
from ..security import safe_cell

bp = Blueprint("learning", __name__, url_prefix="/admin")

__all__ = ["bp"]

AUDIT_ROUNDS = 200   # bootstrap rounds on the page (the figures are reproducible: fixed seed)


@bp.route("/learning", methods=["GET", "POST"])
@admin_required
def learning():
    """What ranks now (the live learnt model or the hand-set weights), every model tried with
    why it went live or not, and the outcomes recorded so far; a button to learn now."""
    if request.method == "POST":
        queued = enqueue_learning(redis_conn(), settings())
        return redirect(url_for("learning.learning", queued=int(queued)))
    s = db_session()
    live = live_model(s)
    hand_set = settings().weights
    current = live.weights if live else hand_set
    models = list(s.scalars(select(RankingModel).order_by(RankingModel.id.desc()).limit(20)))
    counts = Counter(dict(s.execute(select(Outcome.kind, func.count()).group_by(Outcome.kind)).all()))
    top = max([*current.values(), *hand_set.values(), 1e-9])
    return render_template("admin_learning.html", live=live, hand_set=hand_set, hand_set_name=weights_name(hand_set),
                           current=current, dimensions=DIMENSIONS, top=top, models=models, counts=counts,
                           rules=load_learning(), queued=request.args.get("queued"))


def _findings():
    rules = load_learning()
    return audit(audit_records(db_session()), rules.thresholds, rules.min_count, rounds=AUDIT_ROUNDS), rules


CSV_COLUMNS = ("country", "attribute", "metric", "watched", "reference", "n_watched", "n_reference", "watched_value",
               "reference_value", "gap", "low", "high", "ratio", "p", "flagged")


def _csv_row(f, min_count: int) -> list:
    """A finding as a CSV row: a withheld one says "<N" for its counts and nothing else."""
    if f.withheld:
        hidden = f"<{min_count}"
        return [f.country, f.attribute, f.metric, f.watched, f.reference,
                hidden if f.n_watched < min_count else f.n_watched,
                hidden if f.n_reference < min_count else f.n_reference, "", "", "", "", "", "", "", ""]
    return [safe_cell(v) for v in (
        f.country, f.attribute, f.metric, f.watched, f.reference, f.n_watched, f.n_reference, f.watched_value,
        f.reference_value, f.value, f.low, f.high, "" if f.ratio is None else f.ratio, round(f.p, 5), int(f.flagged))]


@bp.get("/fairness")
@admin_required
def fairness():
    """The audit: exposure, interest and hire rates among comparable matches, and the score
    gap at equal skills, for migrants and host-community members, women and men, per
    country and overall; small groups withheld. `?format=csv` for the table as CSV."""
    findings, rules = _findings()
    if request.args.get("format") == "csv":
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(CSV_COLUMNS)
        writer.writerows(_csv_row(f, rules.min_count) for f in findings)
        return Response(out.getvalue(), mimetype="text/csv",
                        headers={"Content-Disposition": "attachment; filename=puente-fairness.csv"})
    return render_template("admin_fairness.html", findings=findings, rules=rules)


@bp.get("/placement")
@admin_required
def placement():
    """Who of a group (people living in a country, optionally a city) could go where (open
    vacancies of the countries chosen), for the most expected hires under the openings."""
    countries = sorted(knowledge().countries)
    source = request.args.get("from_country", "")
    targets = [c for c in request.args.getlist("to_countries") if c in countries]
    result, problem = None, None
    if source:
        if source not in countries:
            problem = "country"
        else:
            try:
                result = propose(from_country=source, from_city=request.args.get("from_city", "").strip() or None,
                                 to_countries=targets or None, locale=locale())
            except ValueError:
                problem = "too_many"
    return render_template("admin_placement.html", countries=countries, source=source, targets=targets,
                           city=request.args.get("from_city", ""), result=result, problem=problem,
                           max_people=MAX_PEOPLE), 422 if problem else 200
