"""Small factories for test data, valid by default."""
from __future__ import annotations

import copy

NURSE = {
    "summary": "TSU en enfermería, 6 años en terapia intensiva.",
    "nationalities": ["VE"],
    "jobs": [{"title": "Enfermera de cuidados intensivos", "years": 6, "country": "VE",
              "description": "Canalización de vías, monitoreo de pacientes críticos."}],
    "skills": ["cuidados intensivos", "canalización de vías"],
    "languages": [{"code": "es", "level": "native"}],
    "education": {"level": "short_cycle", "field": "enfermería", "country": "VE"},
    "country": "CO", "city": "Cúcuta", "target_countries": ["CO", "PE"], "relocate": False,
    "status": "ppt", "consent": True,
}

ICU_VACANCY = {
    "title": "ICU nurse", "description": "Nurse for the intensive care unit.",
    "essential_skills": ["intensive care", "patient monitoring"], "optional_skills": ["English"],
    "country": "CO", "city": "Bogotá", "remote": False, "languages": ["es"],
    "education_level": "short_cycle", "experience_years": 2, "openings": 2, "accepts_relocation": True,
    "employer": "Hospital San José",
}

COOK_VACANCY = {
    "title": "Cocinero de línea", "description": "Preparación de platos a la carta.",
    "essential_skills": ["cocina", "manipulación de alimentos"], "country": "CO", "city": "Cúcuta",
    "languages": ["es"],
}


def profile(**changes) -> dict:
    data = copy.deepcopy(NURSE)
    data.update(changes)
    return data


def vacancy(base: dict = ICU_VACANCY, **changes) -> dict:
    data = copy.deepcopy(base)
    data.update(changes)
    return data


API_CASE_WORKER = "api@puente.test"   # owns the tests' API tokens unless a test says otherwise
WRITE_SCOPE = {"profiles": "profiles:write", "vacancies": "vacancies:write"}


def api_headers(target, scopes: str, email: str = API_CASE_WORKER) -> dict[str, str]:
    """`Authorization: Bearer <token>` for an API token with `scopes` (space-separated).

    `target` is an app or its test client. The token is issued once per app and scope set
    and belongs to the account `email`, made if missing: by default a case worker, who has
    no organisation, so a vacancy posted with it is filed under the employer name it gives.
    """
    app = getattr(target, "application", target)
    cache = app.extensions.setdefault("tests_api_tokens", {})
    if (email, scopes) not in cache:
        import secrets

        from sqlalchemy import select

        from models import ADMIN, User
        from web.tokens import issue_token

        with app.extensions["puente_db"].session() as s:
            user = s.scalars(select(User).where(User.email == email)).first()
            if user is None:
                user = User(email=email, role=ADMIN)
                user.set_password(secrets.token_urlsafe())
                s.add(user)
                s.flush()
            cache[(email, scopes)] = issue_token(s, user, scopes, "tests")[1]
    return {"Authorization": f"Bearer {cache[(email, scopes)]}"}


def api_post(client, kind: str, **kwargs):
    """POST to /api/v1/<kind> ("profiles" or "vacancies") with a token that may; return the response."""
    return client.post(f"/api/v1/{kind}", headers=api_headers(client, WRITE_SCOPE[kind]), **kwargs)


def post(client, kind: str, body: dict):
    """POST a profile or a vacancy through the API with a token; return its id (asserting the 202)."""
    resp = api_post(client, kind, json=body)
    assert resp.status_code == 202, resp.get_json()
    return resp.get_json()["id"]


def profile_id(db, public_id: str) -> int:
    """The database id of the profile with this public id."""
    from sqlalchemy import select

    from models import Profile

    with db.session() as s:
        return s.scalars(select(Profile.id).where(Profile.public_id == public_id)).one()
