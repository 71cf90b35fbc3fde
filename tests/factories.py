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


def post(client, kind: str, body: dict):
    """POST a profile or a vacancy through the API; return its id (asserting the 202)."""
    resp = client.post(f"/api/v1/{kind}", json=body)
    assert resp.status_code == 202, resp.get_json()
    return resp.get_json()["id"]


def profile_id(db, public_id: str) -> int:
    """The database id of the profile with this public id."""
    from sqlalchemy import select

    from models import Profile

    with db.session() as s:
        return s.scalars(select(Profile.id).where(Profile.public_id == public_id)).one()
