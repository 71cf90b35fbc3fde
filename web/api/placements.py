"""Placement across places (case workers): POST /api/v1/placements with a `placements:read`
token proposes who could go where to maximise expected hires (`web.placement`)."""
from __future__ import annotations

from flask import Blueprint

from ..placement import propose
from ..responses import PlacementOut
from ..schemas import PlacementPost
from .auth import authenticate
from .common import validated_body
from .errors import error_response
from .spec import answers, spec

bp = Blueprint("placements", __name__)

__all__ = ["bp"]


@bp.post("/placements")
@spec.validate(json=PlacementPost, resp=answers(401, 403, 413, 422, HTTP_200=(PlacementOut, "The proposal.")),
               operation_id="proposePlacement", skip_validation=True,
               security=[{"bearerAuth": ["placements:read"]}])
def placement():
    """Who of a group could go where, under the vacancies' openings, for the most expected
    hires; beside it, what everyone taking their own best match would give (greedy top-1).
    Each move says the steps it needs (a permit, the recognition of a degree)."""
    _, err = authenticate("placements:read")
    if err:
        return err
    given, err = validated_body(PlacementPost)
    if err:
        return err
    try:
        result = propose(candidates=given.candidate_ids or None, from_country=given.from_country,
                         from_city=given.from_city or None, to_countries=given.to_countries or None, locale="en")
    except ValueError as exc:
        return error_response(422, "validation_error", str(exc), {"candidate_ids": "too many people"})
    return PlacementOut.model_validate(result).model_dump(mode="json")
