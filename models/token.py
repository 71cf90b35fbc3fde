"""API tokens: what an API client holds, and the scopes it was given."""
from __future__ import annotations

import hashlib
from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .account import User
from .base import Base, UTCDateTime, utcnow

__all__ = ["ApiToken", "token_digest"]


def token_digest(token: str) -> str:
    """The stored form of a token: its SHA-256, in hex.

    A plain fast hash is right here, unlike for passwords: tokens are 256 random bits, so
    there is no dictionary to try and a slow hash (scrypt) would only slow every API call.
    Being unsalted and deterministic is what lets a request find its row by an index.
    """
    return hashlib.sha256(token.encode()).hexdigest()


class ApiToken(Base):
    """A bearer token for the API, owned by an account. Only its hash is kept; the text is
    shown once when it is made."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    prefix: Mapped[str] = mapped_column(String(10))   # the first characters, to tell tokens apart
    token_hash: Mapped[str] = mapped_column(String(64), unique=True, index=True)
    scopes: Mapped[str] = mapped_column(String(200))   # space-separated, as in OAuth
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship()

    @property
    def scope_list(self) -> list[str]:
        return self.scopes.split()

    def is_live(self, now: datetime) -> bool:
        """Not revoked and not expired at `now`."""
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > now)
