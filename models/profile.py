"""The job-seeker profile aggregate."""
from __future__ import annotations

import re
import secrets
from datetime import datetime

from sqlalchemy import Boolean, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, JSONType, Rankable, UTCDateTime


def new_public_id() -> str:
    """Return an unguessable id: the profile's URL must not be enumerable."""
    return secrets.token_urlsafe(16)


# What `new_public_id` makes, within its column. Anything else is no id and is not looked up
# (PostgreSQL answers a NUL byte with an error, not with no row).
PUBLIC_ID = re.compile(r"[A-Za-z0-9_-]{1,32}")


class Profile(Rankable, Base):
    """A job seeker's profile.

    Nationalities and legal status are sensitive: they are kept only because matching
    needs them (who may work where) and are never shown to employers or written to logs.
    There is deliberately no name, e-mail or phone here.
    """

    __tablename__ = "profiles"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    public_id: Mapped[str] = mapped_column(String(32), unique=True, index=True, default=new_public_id)
    locale: Mapped[str] = mapped_column(String(5), default="es")
    summary: Mapped[str] = mapped_column(Text, default="")
    # [{"title", "years", "country", "description"}]
    jobs: Mapped[list] = mapped_column(JSONType, default=list)
    skills: Mapped[list] = mapped_column(JSONType, default=list)
    # [{"code": "es", "level": "native"}]
    languages: Mapped[list] = mapped_column(JSONType, default=list)
    education_level: Mapped[str | None] = mapped_column(String(32))
    education_field: Mapped[str | None] = mapped_column(String(200))
    education_country: Mapped[str | None] = mapped_column(String(2))
    # The national degree name the person gave ("TSU", "licenciatura"), and the countries
    # where it is already recognised (config/education.toml maps names to ISCED levels).
    education_degree: Mapped[str | None] = mapped_column(String(80))
    education_recognised_in: Mapped[list | None] = mapped_column(JSONType, default=list)
    country: Mapped[str] = mapped_column(String(2), index=True)
    city: Mapped[str] = mapped_column(String(100), default="")
    target_countries: Mapped[list] = mapped_column(JSONType, default=list)
    relocate: Mapped[bool] = mapped_column(Boolean, default=False)
    nationalities: Mapped[list] = mapped_column(JSONType, default=list)
    # A status code of the country the person lives in (config/countries/<cc>.toml).
    legal_status: Mapped[str | None] = mapped_column(String(40))
    # Self-declared, optional ("woman", "man", "other"): for the fairness audit only, never
    # for ranking, never shown to employers (`matching.fairness`).
    gender: Mapped[str | None] = mapped_column(String(8))
    # Skills Puente inferred from a job title that the person said they do not have.
    declined_skills: Mapped[list | None] = mapped_column(JSONType, default=list)
    # Why its last ranking left jobs out, grouped, codes only (matching.eligibility.group_left_out).
    left_out: Mapped[list | None] = mapped_column(JSONType)
    consent_scope: Mapped[str] = mapped_column(String(40))
    consent_version: Mapped[str] = mapped_column(String(40))
    consent_at: Mapped[datetime] = mapped_column(UTCDateTime)

    def experience_years(self) -> float:
        """Return the total years of the listed past jobs."""
        return float(sum(float(j.get("years") or 0) for j in self.jobs or []))
