"""SQLAlchemy models, the database handle and the queries the other parts need."""
from .account import ACCEPTED, ADMIN, DECLINED, EMPLOYER, PENDING, Interest, User
from .base import Base, Database, utcnow
from .match import DONE, FAILED, PROFILE, QUEUED, RUN_STATUSES, RUNNING, VACANCY, Match, MatchRun
from .migrate import upgrade
from .profile import Profile
from .token import ApiToken
from .vacancy import Employer, Vacancy

__all__ = [
    "ACCEPTED",
    "ADMIN",
    "DECLINED",
    "DONE",
    "EMPLOYER",
    "FAILED",
    "PENDING",
    "PROFILE",
    "QUEUED",
    "RUNNING",
    "RUN_STATUSES",
    "VACANCY",
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
