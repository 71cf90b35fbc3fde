"""Constants that the API and the pages share: they live below both rooms."""
from __future__ import annotations

__all__ = ["ADMIN_SCOPES", "DEFAULT_DAYS", "MAX_DAYS", "MAX_ID", "SCOPES", "TOKEN_PREFIX"]

MAX_ID = 2**31 - 1  # ids beyond a 32-bit integer do not exist; asking for one is a 404

TOKEN_PREFIX = "pt_"

SCOPES = {
    "profiles:write": "Submit job seekers' profiles on their behalf (case workers only).",
    "vacancies:write": "Post vacancies for the token owner's organisation.",
    "candidates:read": "See the candidates of the organisation's own vacancies.",
    "placements:read": "Propose placements of job seekers across places (case workers only).",
}
# Submitting people's data on their behalf, and placing them, is for case workers, never for employers.
ADMIN_SCOPES = frozenset({"profiles:write", "placements:read"})

# A token outlives the session that made it, so it expires too: 90 days unless asked
# otherwise, a year at most. A leaked one stops working by itself.
DEFAULT_DAYS = 90
MAX_DAYS = 365
