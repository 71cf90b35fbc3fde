"""What the API's views share: reading a JSON body, answering a queued submission."""
from __future__ import annotations

from flask import request

from ..responses import dump
from .errors import error_response

__all__ = ["accepted", "read_json_body"]


def read_json_body():
    """The request's JSON object: (dict, None), or (None, the 400 answer)."""
    try:
        data = request.get_json(silent=True)
    except RecursionError:  # absurdly nested JSON
        data = None
    if not isinstance(data, dict):
        return None, error_response(400, "bad_request", "The body must be a JSON object "
                                    "(Content-Type: application/json).", {"_": "expected a JSON object"})
    return data, None


def accepted(model, obj_id, location: str, queued: bool, **extra):
    """202 with the new object's id (a `model`: ProfileAccepted, VacancyAccepted) and where to follow it."""
    if not queued:
        extra["message"] = "Saved. Matching is delayed and will start when the queue is back."
    return dump(model(id=obj_id, status="queued", **extra)), 202, {"Location": location}
