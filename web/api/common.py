"""What the API's views share: reading a JSON body, answering a queued submission."""
from __future__ import annotations

from flask import request

from ..extensions import knowledge
from ..responses import dump
from ..schemas import ValidationError, field_errors, json_context
from .errors import error_response

__all__ = ["accepted", "read_json_body", "validated_body"]


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


def validated_body(model):
    """The request's JSON object as a `model`, with JSON's strict types: (the model, None),
    or (None, the 400 or 422 answer naming the fields)."""
    data, err = read_json_body()
    if err:
        return None, err
    try:
        return model.model_validate(data, strict=True, context=json_context(knowledge())), None
    except ValidationError as exc:
        return None, error_response(422, "validation_error", "Some fields are not valid.",
                                    field_errors(exc, "en", model, api=True))
