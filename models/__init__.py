"""SQLAlchemy models, the database handle and the queries the other parts need."""
from .account import ACCEPTED, ADMIN, DECLINED, EMPLOYER, PENDING, Interest, User
from .base import Base, Database, utcnow
from .match import DONE, FAILED, PROFILE, QUEUED, RUN_STATUSES, RUNNING, VACANCY, Match, MatchRun
from .migrate import upgrade
from .profile import Profile
from .token import ApiToken
from .vacancy import Employer, Vacancy

__all__ = [
    "Base", "Database", "utcnow", "upgrade",
    "Profile", "Employer", "Vacancy", "Match", "MatchRun", "User", "Interest", "ApiToken",
    "EMPLOYER", "ADMIN", "PENDING", "ACCEPTED", "DECLINED",
    "PROFILE", "VACANCY", "QUEUED", "RUNNING", "DONE", "FAILED", "RUN_STATUSES",
]
