"""Accounts (employers and case workers) and employers' interest in candidates."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from .base import Base, UTCDateTime, utcnow
from .vacancy import Employer

EMPLOYER, ADMIN = "employer", "admin"
PENDING, ACCEPTED, DECLINED = "pending", "accepted", "declined"

__all__ = ["ACCEPTED", "ADMIN", "DECLINED", "EMPLOYER", "PENDING", "Interest", "User"]


class User(Base):
    """Someone who logs in: an employer (who belongs to an organisation) or a case worker
    (admin). Job seekers have no account: their private link is their key."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)   # stored lower-case
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(10), default=EMPLOYER)
    employer_id: Mapped[int | None] = mapped_column(ForeignKey("employers.id", ondelete="SET NULL"))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    employer: Mapped[Employer | None] = relationship()

    def set_password(self, password: str) -> None:
        self.password_hash = generate_password_hash(password)   # scrypt, salted

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)

    # Flask-Login
    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_active(self) -> bool:
        return bool(self.active)

    @property
    def is_anonymous(self) -> bool:
        return False

    def get_id(self) -> str:
        return str(self.id)


class Interest(Base):
    """An employer's interest in a candidate for a vacancy, and the candidate's answer.

    The contact is what the candidate chose to give this employer when accepting; it is
    shown to that employer only, and goes with the profile when the profile is deleted.
    """

    __tablename__ = "interests"
    __table_args__ = (UniqueConstraint("vacancy_id", "profile_id", name="uq_interests_pair"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    vacancy_id: Mapped[int] = mapped_column(ForeignKey("vacancies.id", ondelete="CASCADE"), index=True)
    profile_id: Mapped[int] = mapped_column(ForeignKey("profiles.id", ondelete="CASCADE"), index=True)
    status: Mapped[str] = mapped_column(String(10), default=PENDING)
    contact: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
