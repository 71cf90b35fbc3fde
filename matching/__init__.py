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
                        "DIMENSIONS",
                        "EDUCATION_LEVELS",
                        "LANGUAGE_LEVELS",
                        "Calibration",
                        "Embedding",
                        "Encoder",
                        "Job",
                        "PairScore",
                        "ProfileDoc",
                        "VacancyDoc",
                        "Verdict",
                        "assess",
                        "combine",
                        "content_key",
                        "describe_reason",
                        "describe_step",
                        "describe_steps",
                        "embed_profile",
                        "embed_vacancy",
                        "for_employer",
                        "load_encoder",
                        "normalise_phrase",
                        "profile_key",
                        "rank",
                        "score_many",
                        "score_pair",
                        "top_k",
                        "vacancy_key",
]
