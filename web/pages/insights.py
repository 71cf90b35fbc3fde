"""GET /insights/barreras: the barrier analytics (web/barriers.py) as a page."""
from __future__ import annotations

from flask import Blueprint, render_template, request
from flask_babel import lazy_gettext as _l

from ..barriers import barrier_table, read_min_score, thresholds
from ..extensions import knowledge, settings
from ..i18n import locale

bp = Blueprint("insights", __name__)

__all__ = ["GROUP_LABELS", "bp"]

GROUP_LABELS = {
    "permit": _l("Solo el permiso de trabajo"), "recognition": _l("Solo el reconocimiento del título"),
    "language": _l("Solo el idioma"), "permit+recognition": _l("Permiso y título"),
    "permit+language": _l("Permiso e idioma"), "recognition+language": _l("Título e idioma"),
    "permit+recognition+language": _l("Permiso, título e idioma"),
    "status_not_given": _l("Situación migratoria no indicada"),
}


@bp.get("/insights/barreras")
def barriers_page():
    min_score = read_min_score(request.args.get("min_score"))
    bad_threshold = min_score is None
    table = barrier_table(settings().barrier_score if bad_threshold else min_score)
    table["thresholds"] = thresholds()
    kb = knowledge()
    names = {code: c.names.get(locale()) for code, c in kb.countries.items()}
    table["countries"].sort(key=lambda r: names.get(r["country"], r["country"]))
    return render_template("barriers.html", table=table, labels=GROUP_LABELS, names=names,
                           bad_threshold=bad_threshold)
