"""Accounts (employers and case workers) and employers' interest in candidates."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from .base import Base, JSONType, UTCDateTime, utcnow
from .vacancy import Employer

EMPLOYER, ADMIN = "employer", "admin"
SEEKER = "seeker"   # a conversation the person started (an application)
# The states of a conversation (web.conversations says which may follow which):
PENDING = "pending"              # the employer asked; nothing shared
DECLINED = "declined"            # the person said no to the employer's ask
SHARED = "shared"                # the person shared (applied, or accepted the ask); the employer has not seen it
SEEN = "seen"                    # the employer saw what was shared
INTERESTED = "interested"        # the employer would like to go on
NOT_SELECTED = "not_selected"    # the employer will not go on
INTERVIEWING = "interview"       # an interview was arranged or held
HIRED_STATE = "hired"            # the person was hired
WITHDRAWN = "withdrawn"          # the person withdrew; what was shared is gone
CONVERSATION_STATES = (PENDING, DECLINED, SHARED, SEEN, INTERESTED, INTERVIEWING, HIRED_STATE, NOT_SELECTED, WITHDRAWN)
SHAREABLE = ("summary", "jobs", "education")   # parts of a profile the candidate card does not show

__all__ = ["ADMIN", "CONVERSATION_STATES", "DECLINED", "EMPLOYER", "HIRED_STATE", "INTERESTED", "INTERVIEWING", "NOT_SELECTED", "PENDING", "SEEKER",
           "SEEN", "SHAREABLE", "SHARED", "WITHDRAWN", "Interest", "User"]


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
    """The conversation about one vacancy between its employer and one person: started by
    the employer (an interest in a candidate of its ranking) or by the person (an
    application). One row per pair, whoever began, so an employer's interest and a
    person's application are one conversation (see `web.conversations` for its states).

    What the person shares (a contact typed for this employer, a message, parts of the
    profile the candidate card does not show) is shared only by the person's confirmation,
    shown to that employer only, cleared when the person withdraws, and goes with the
    profile when the profile is deleted (ON DELETE CASCADE).
    """

    __tablename__ = "interests"
    __table_args__ = (UniqueConstraint("vacancy_id", "profile_id", name="uq_interests_pair"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    vacancy_id: Mapped[int] = mapped_column(ForeignKey("vacancies.id", ondelete="CASCADE"), index=True)
    profile_id: Mapped[int] = mapped_column(ForeignKey("profiles.id", ondelete="CASCADE"), index=True)
    started_by: Mapped[str] = mapped_column(String(10), default=EMPLOYER, server_default=EMPLOYER)
    status: Mapped[str] = mapped_column(String(12), default=PENDING)
    contact: Mapped[str | None] = mapped_column(Text)
    message: Mapped[str | None] = mapped_column(Text)
    shared: Mapped[list | None] = mapped_column(JSONType)      # the profile parts shared: see SHAREABLE
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)   # when the person shared or declined
    seen_at: Mapped[datetime | None] = mapped_column(UTCDateTime)      # when the employer first saw what was shared
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)   # the last change of state
