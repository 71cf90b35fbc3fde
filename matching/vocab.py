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

# Generic legal-status codes; the mobility knowledge base refines them per country.
LEGAL_STATUSES: tuple[str, ...] = (
    "national",
    "permanent_resident",
    "temporary_resident",
    "protection_permit",     # e.g. PPT in Colombia, CPP in Peru
    "refugee",
    "asylum_seeker",
    "irregular",
    "unknown",
)

# Statuses the person gave that mean they cannot yet work formally where they live.
# A status left blank is not guessed.
NEEDS_PAPERS: frozenset[str] = frozenset({"irregular"})

# How much each kind of step lowers the eligibility score (until the mobility knowledge
# base gives real times and costs).
STEP_COST: dict[str, float] = {"work_permit": 0.4, "regularise": 0.4, "recognise_degree": 0.2,
                               "learn_language": 0.2}

DIMENSIONS: tuple[str, ...] = ("semantic", "skills", "occupation", "experience", "education", "language",
                               "location", "eligibility")
