"""SQLAlchemy models, the database handle and the queries the other parts need."""
from .account import (
    ADMIN,
    CONVERSATION_STATES,
    DECLINED,
    EMPLOYER,
    INTERESTED,
    NOT_SELECTED,
    PENDING,
    SEEKER,
    SEEN,
    SHAREABLE,
    SHARED,
    WITHDRAWN,
    Interest,
    User,
)
from .base import Base, Database, utcnow
from .match import DONE, FAILED, PROFILE, QUEUED, RUN_STATUSES, RUNNING, VACANCY, Match, MatchRun
from .migrate import upgrade
from .profile import Profile
from .token import ApiToken
from .vacancy import Employer, Vacancy

__all__ = [
    "ADMIN",
    "CONVERSATION_STATES",
    "DECLINED",
    "DONE",
    "EMPLOYER",
    "FAILED",
    "INTERESTED",
    "NOT_SELECTED",
    "PENDING",
    "PROFILE",
    "QUEUED",
    "RUNNING",
    "RUN_STATUSES",
    "SEEKER",
    "SEEN",
    "SHAREABLE",
    "SHARED",
    "VACANCY",
    "WITHDRAWN",
    "ApiToken",
    "Base",
    "Database",
    "Employer",
    "Interest",
    "Match",
    "MatchRun",
    "Profile",
    "User",
    "Vacancy",
    "upgrade",
    "utcnow",
]
