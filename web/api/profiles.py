"""A job seeker's profile: post, read, replace, delete. A profile's own endpoints need only
its public id, which is the person's private capability; posting needs an API token with
`profiles:write` (case workers)."""
from __future__ import annotations

from flask import Blueprint, url_for

from models import PROFILE
from models.queries import latest_run, profile_by_public_id

from ..extensions import db_session
from ..responses import ProfileAccepted, ProfileOut, dump, profile_out
from ..schemas import ProfileIn
from ..security import submission_limit
from ..services import create_profile, delete_profile, update_profile
from .auth import require_scope
from .common import accepted, validated_body
from .errors import error_response
from .spec import answers, spec

bp = Blueprint("profiles", __name__)


def profile_or_404(public_id: str):
    """The profile with this public id: (profile, None), or (None, the 404 answer)."""
    profile = profile_by_public_id(db_session(), public_id)
    if profile is None:
        return None, error_response(404, "not_found", "No profile has this id.", {"id": "unknown"})
    return profile, None


SAVED = (ProfileAccepted, "Saved and queued.")


@bp.post("/profiles")
@spec.validate(json=ProfileIn, resp=answers(401, 403, 413, 422, 429, HTTP_202=SAVED), operation_id="postProfile",
               security={"bearerAuth": ["profiles:write"]}, skip_validation=True)
@submission_limit
@require_scope("profiles:write")
def post_profile():
    """Post a job seeker's profile; its matching is queued."""
    parsed, err = validated_body(ProfileIn)
    if err:
        return err
    profile, queued = create_profile(parsed)
    return accepted(ProfileAccepted, profile.public_id,
                    url_for("api.profiles.get_profile", public_id=profile.public_id), queued)


@bp.get("/profiles/<public_id>")
@spec.validate(resp=answers(404, HTTP_200=(ProfileOut, "The profile.")), operation_id="getProfile", security=[],
               skip_validation=True)
def get_profile(public_id: str):
    """The whole profile and the state of its matching."""
    profile, err = profile_or_404(public_id)
    if err:
        return err
    return dump(profile_out(profile, latest_run(db_session(), PROFILE, profile.id)))


@bp.put("/profiles/<public_id>")
@spec.validate(json=ProfileIn, resp=answers(404, 413, 422, 429, HTTP_202=SAVED), operation_id="putProfile",
               security=[], skip_validation=True)
@submission_limit
def put_profile(public_id: str):
    """Replace the profile (the whole body, as for POST); its matching is queued again."""
    profile, err = profile_or_404(public_id)
    if err:
        return err
    parsed, err = validated_body(ProfileIn)
    if err:
        return err
    queued = update_profile(profile, parsed)
    return accepted(ProfileAccepted, profile.public_id,
                    url_for("api.profiles.get_profile", public_id=profile.public_id), queued)


@bp.delete("/profiles/<public_id>")
@spec.validate(resp=answers(404, HTTP_204=None), operation_id="deleteProfile", security=[], skip_validation=True)
def remove_profile(public_id: str):
    """Delete the profile and its matches."""
    profile, err = profile_or_404(public_id)
    if err:
        return err
    delete_profile(profile)
    return "", 204
