"""Controlled vocabularies shared by matching and the validators."""
from __future__ import annotations

# ISCED 2011 levels, by the codes Puente uses in forms and the API.
EDUCATION_LEVELS: dict[str, int] = {
    "none": 0,
    "primary": 1,
    "lower_secondary": 2,
    "upper_secondary": 3,
    "post_secondary": 4,
    "short_cycle": 5,   # e.g. Venezuelan TSU, Colombian técnico profesional / tecnólogo
    "bachelor": 6,      # licenciatura, ingeniería, bacharelado
    "master": 7,        # maestría, especialización, mestrado
    "doctorate": 8,
}

# How well a person speaks a language, and what that is worth for a job asking for it.
LANGUAGE_LEVELS: dict[str, float] = {
    "native": 1.0,
    "fluent": 1.0,
    "intermediate": 0.7,
    "basic": 0.3,
}

# How much each kind of step lowers the eligibility dimension ("check_status": the person
# did not say their status, so a permit may or may not be needed).
STEP_COST: dict[str, float] = {"permit": 0.4, "check_status": 0.15, "recognition": 0.2, "licence": 0.1,
                               "language": 0.15}

DIMENSIONS: tuple[str, ...] = ("semantic", "skills", "occupation", "experience", "education", "language",
                               "location", "eligibility")
