"""Create an account: a case worker (admin) or an employer.

    python -m scripts.create_user EMAIL --admin            # asks for the password
    python -m scripts.create_user EMAIL --employer "Org"   # an employer of that organisation
    PUENTE_NEW_PASSWORD=... python -m scripts.create_user ...   # without a prompt

Uses DATABASE_URL like the app. Employers can also register themselves at /cuenta/registro.
"""
from __future__ import annotations

import argparse
import getpass
import os
import sys


def create_user(database_url: str, email: str, password: str, admin: bool, organisation: str = "") -> int:
    from sqlalchemy import select

    from models import ADMIN, EMPLOYER, Database, Employer, User

    db = Database(database_url)
    with db.session() as s:
        if s.scalars(select(User).where(User.email == email.lower())).first() is not None:
            raise SystemExit(f"an account for {email} already exists")
        employer = None
        if organisation:   # a new organisation of its own: accounts never join one by its name
            employer = Employer.for_account(organisation)
        user = User(email=email.lower(), role=ADMIN if admin else EMPLOYER, employer=employer)
        user.set_password(password)
        s.add(user)
        s.flush()
        user_id = user.id
    db.dispose()
    return user_id


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("email")
    group = parser.add_mutually_exclusive_group(required=True)
    group.add_argument("--admin", action="store_true", help="a case worker")
    group.add_argument("--employer", metavar="ORGANISATION", help="an employer of this organisation")
    args = parser.parse_args(argv)
    password = os.environ.get("PUENTE_NEW_PASSWORD") or getpass.getpass("Password (10 characters or more): ")
    if len(password) < 10:
        print("the password needs 10 characters or more", file=sys.stderr)
        return 2
    from config import load_settings
    from models import upgrade

    settings = load_settings()
    upgrade(settings.database_url)
    create_user(settings.database_url, args.email, password, args.admin, args.employer or "")
    print(f"account created: {args.email} ({'admin' if args.admin else 'employer'})", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
