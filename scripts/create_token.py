"""Create an API token for an account and print it (once: only its hash is kept).

    python -m scripts.create_token --email rrhh@clinica.co --scopes "vacancies:write candidates:read" --name "ATS"
    python -m scripts.create_token --email orienta@ong.org --scopes profiles:write --name "CRM" --days 90

Scopes: profiles:write (case workers' accounts only), vacancies:write, candidates:read.
Uses DATABASE_URL like the app. Logged-in accounts can also make tokens at /cuenta/tokens.
"""
from __future__ import annotations

import argparse
import sys


def create_token(database_url: str, email: str, scopes: str, name: str, days: int | None = None) -> str:
    """Issue a token for the account with this e-mail; return its text.

    Raises:
        SystemExit: no such account.
        ValueError, PermissionError: as `web.tokens.issue_token`.
    """
    from sqlalchemy import select

    from models import Database, User
    from web.tokens import issue_token

    db = Database(database_url)
    try:
        with db.session() as s:
            user = s.scalars(select(User).where(User.email == email.strip().lower())).first()
            if user is None or not user.active:
                raise SystemExit(f"no active account for {email}")
            _row, text = issue_token(s, user, scopes, name, days)
    finally:
        db.dispose()
    return text


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--email", required=True, help="the account that owns the token")
    parser.add_argument("--scopes", required=True, help='space-separated, e.g. "vacancies:write candidates:read"')
    parser.add_argument("--name", required=True, help="a label, to tell tokens apart")
    parser.add_argument("--days", type=int, default=None, help="expires after this many days (default 90, at most 365)")
    args = parser.parse_args(argv)
    from config import load_settings
    from models import upgrade

    settings = load_settings()
    upgrade(settings.database_url)
    try:
        text = create_token(settings.database_url, args.email, args.scopes, args.name, args.days)
    except (ValueError, PermissionError) as exc:
        print(exc, file=sys.stderr)
        return 2
    print(text)   # stdout, alone, so that it can be piped into a secret store
    print("token created; it is not shown again", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
