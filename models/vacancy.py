"""Employers and their vacancies."""
from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime

from sqlalchemy import Boolean, Float, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, JSONType, Rankable, UTCDateTime, utcnow


class Employer(Base):
    """An organisation that posts vacancies."""

    __tablename__ = "employers"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    name_key: Mapped[str] = mapped_column(String(200), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    vacancies: Mapped[list[Vacancy]] = relationship(back_populates="employer")

    @classmethod
    def for_account(cls, name: str) -> Employer:
        """A new organisation for an account. Its key is not its name: typing the same name
        never joins it (nor attaches anonymous vacancies to it)."""
        return cls(name=" ".join(name.split())[:200], name_key=f"#account-{secrets.token_hex(8)}")


class Vacancy(Rankable, Base):
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
    # SHA-256 of the private key that shows the candidates; the key itself is given once.
    owner_key_hash: Mapped[str | None] = mapped_column(String(64))

    employer: Mapped[Employer | None] = relationship(back_populates="vacancies")

    def new_owner_key(self) -> str:
        """Make a new private key for the candidate list; return it (only its hash is kept)."""
        key = secrets.token_urlsafe(18)
        self.owner_key_hash = hashlib.sha256(key.encode()).hexdigest()
        return key

    def owner_key_matches(self, key: str | None) -> bool:
        """Tell, in constant time, whether `key` is this vacancy's private key."""
        if not key or not self.owner_key_hash:
            return False
        return hmac.compare_digest(hashlib.sha256(key.encode()).hexdigest(), self.owner_key_hash)
