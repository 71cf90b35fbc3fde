"""Load the demo profiles and vacancies: `python -m scripts.demo`.

They go through the same validation and saving as the API, so each is queued for
matching. Loading twice does nothing the second time.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from sqlalchemy import func, select

DEMO = Path(__file__).resolve().parent / "demo"


def load_demo(app) -> tuple[int, int]:
    """Save the demo data through `app`; return (profiles, vacancies) added."""
    from models import Vacancy
    from web.extensions import db_session
    from web.schemas import ProfileIn, VacancyIn
    from web.services import create_profile, create_vacancy

    with app.app_context():
        if db_session().scalar(select(func.count()).select_from(Vacancy)):
            return 0, 0
        context = {"kb": app.extensions["puente_knowledge"]}   # the app's knowledge base, as the web validates
        vacancies = [VacancyIn.model_validate(v, context=context)
                     for v in json.loads((DEMO / "vacancies.json").read_text())]
        profiles = [ProfileIn.model_validate(p, context=context) for p in json.loads((DEMO / "profiles.json").read_text())]
        for v in vacancies:
            create_vacancy(v)
        for p in profiles:
            create_profile(p)
        return len(profiles), len(vacancies)


def main(argv: list[str] | None = None) -> int:
    argparse.ArgumentParser(prog="python -m scripts.demo", description=__doc__.split("\n")[0]).parse_args(argv)
    from web import create_app

    profiles, vacancies = load_demo(create_app())
    print(f"demo data: {profiles} profiles, {vacancies} vacancies added", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
