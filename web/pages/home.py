"""The home page."""
from __future__ import annotations

from flask import Blueprint, render_template, request
from sqlalchemy import select

from models import Vacancy

from ..extensions import db_session

bp = Blueprint("home", __name__)


@bp.get("/")
def index():
    latest = list(db_session().scalars(
        select(Vacancy).where(Vacancy.status == "open").order_by(Vacancy.id.desc()).limit(10)))
    return render_template("index.html", vacancies=latest, deleted=request.args.get("deleted") == "1")
