"""GET /api/v1/suggest?q=enfer&kind=occupation|skill&lang=es  ->  {"suggestions": [...]}"""
from __future__ import annotations

from flask import Blueprint, request

from ..responses import Suggestions, dump
from ..suggest import label_index
from .errors import error_response
from .spec import SuggestQuery, answers, spec

bp = Blueprint("suggest", __name__)


@bp.get("/suggest")
@spec.validate(query=SuggestQuery, resp=answers(HTTP_200=(Suggestions, "Up to ten labels.")),
               operation_id="getSuggestions", security=[], skip_validation=True)
def suggest():
    """ESCO labels starting with what was typed."""
    q = request.args.get("q", "")[:60]
    kind = request.args.get("kind", "occupation")
    if kind not in ("occupation", "skill"):
        return error_response(400, "validation_error", "kind must be occupation or skill.",
                              {"kind": "occupation or skill"})
    lang = request.args.get("lang", "es")
    lang = lang if lang in ("es", "pt", "en") else "es"
    return dump(Suggestions(suggestions=label_index().search(q, kind, lang)))
