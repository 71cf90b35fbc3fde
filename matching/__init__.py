"""The pure core of Puente: encode, score, rank and explain.

Text and arrays in, scores and explanations out. Nothing here imports Flask, RQ, Redis
or SQLAlchemy, so it can be tested, benchmarked and reused alone.
"""
from .documents import (
                        Embedding,
                        Job,
                        ProfileDoc,
                        VacancyDoc,
                        embed_profile,
                        embed_vacancy,
                        normalise_phrase,
                        profile_key,
                        vacancy_key,
)
from .eligibility import Verdict, assess, describe_reason, describe_step, describe_steps
from .encoders import Calibration, Encoder, content_key, load_encoder
from .scoring import (
                        PairScore,
                        combine,
                        for_employer,
                        rank,
                        score_many,
                        score_pair,
                        top_k,
)
from .vocab import DIMENSIONS, EDUCATION_LEVELS, LANGUAGE_LEVELS

__all__ = [
    "Calibration", "Encoder", "load_encoder", "content_key",
    "Embedding", "Job", "ProfileDoc", "VacancyDoc", "embed_profile", "embed_vacancy",
    "profile_key", "vacancy_key", "normalise_phrase",
    "PairScore", "score_pair", "score_many", "rank", "top_k", "combine", "for_employer",
    "Verdict", "assess", "describe_step", "describe_steps", "describe_reason",
    "DIMENSIONS", "EDUCATION_LEVELS", "LANGUAGE_LEVELS",
]
