"""Employers and their vacancies."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, Float, ForeignKey, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, JSONType, UTCDateTime, utcnow


class Employer(Base):
    """An organisation that posts vacancies."""

    __tablename__ = "employers"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    name_key: Mapped[str] = mapped_column(String(200), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    vacancies: Mapped[list[Vacancy]] = relationship(back_populates="employer")


class Vacancy(Base):
    """An open position."""

    __tablename__ = "vacancies"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    employer_id: Mapped[int | None] = mapped_column(ForeignKey("employers.id", ondelete="SET NULL"))
    locale: Mapped[str] = mapped_column(String(5), default="es")
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    essential_skills: Mapped[list] = mapped_column(JSONType, default=list)
    optional_skills: Mapped[list] = mapped_column(JSONType, default=list)
    country: Mapped[str] = mapped_column(String(2), index=True)
    city: Mapped[str] = mapped_column(String(100), default="")
    remote: Mapped[bool] = mapped_column(Boolean, default=False)
    languages: Mapped[list] = mapped_column(JSONType, default=list)
    education_level: Mapped[str | None] = mapped_column(String(32))
    experience_years: Mapped[float] = mapped_column(Float, default=0.0)
    openings: Mapped[int] = mapped_column(Integer, default=1)
    accepts_relocation: Mapped[bool] = mapped_column(Boolean, default=True)
    status: Mapped[str] = mapped_column(String(10), default="open", index=True)
    embedding: Mapped[bytes | None] = mapped_column(LargeBinary, deferred=True)
    embedding_key: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    ranked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    employer: Mapped[Employer | None] = relationship(back_populates="vacancies")
