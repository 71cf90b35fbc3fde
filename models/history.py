"""What the learner and the fairness audit read from the outcome events (`models.Outcome`),
and which ranking model is live."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from matching.fairness import Record
from matching.learning import Example

from .match import VACANCY
from .outcome import (
    HIRED,
    INTERESTED_EVENT,
    INTERVIEW,
    LIVE,
    SHOWN,
    Outcome,
    RankingModel,
)
from .profile import Profile
from .vacancy import Vacancy

__all__ = ["GOOD", "audit_records", "examples", "group_of", "hire_curve", "live_model"]

# A good outcome: the pair came to an interview or a hire.
GOOD = (INTERVIEW, HIRED)
# The employer went on with the person (for the audit's interest rate).
INTEREST = (INTERESTED_EVENT, INTERVIEW, HIRED)
_LIMIT = 200_000   # the newest shown events read (a bound on a request's memory)


def live_model(session: Session) -> RankingModel | None:
    """The learnt model that ranks now, if any (else the hand-set weights do)."""
    return session.scalars(select(RankingModel).where(RankingModel.status == LIVE)
                           .order_by(RankingModel.id.desc()).limit(1)).first()


def _pairs_with(session: Session, kinds: tuple[str, ...]) -> dict[tuple[int, int], set[str]]:
    out: dict[tuple[int, int], set[str]] = {}
    for p, v, kind in session.execute(select(Outcome.profile_id, Outcome.vacancy_id, Outcome.kind)
                                      .where(Outcome.kind.in_(kinds))):
        out.setdefault((p, v), set()).add(kind)
    return out


def _shown(session: Session, side: str | None = None):
    stmt = select(Outcome.profile_id, Outcome.vacancy_id, Outcome.side, Outcome.rank, Outcome.score, Outcome.scores,
                  Outcome.at).where(Outcome.kind == SHOWN, Outcome.scores.is_not(None))
    if side:
        stmt = stmt.where(Outcome.side == side)
    return session.execute(stmt.order_by(Outcome.id.desc()).limit(_LIMIT)).all()


def examples(session: Session) -> list[Example]:
    """Every match shown in an employer's candidate list, with its scores then and whether
    the pair came to an interview or a hire: the employer's decision, judged on the list
    the employer read (a person's own list has other dimensions, eligibility, and what
    they do with it is their choice, not an outcome of the ranking)."""
    good = _pairs_with(session, GOOD)
    return [Example(f"{VACANCY}:{v}", dict(scores), (p, v) in good, at)
            for p, v, _, _, _, scores, at in _shown(session, VACANCY)]


def group_of(profile: Profile, vacancy_country: str | None = None) -> dict[str, str]:
    """The audit's groups of a person: migrant or host community (no nationality of the
    country they live in, or one), and the gender they declared, where known."""
    groups = {}
    if profile.nationalities:
        groups["migrant"] = "host" if profile.country in profile.nationalities else "migrant"
    if profile.gender in ("woman", "man"):
        groups["gender"] = profile.gender
    return groups


def audit_records(session: Session) -> list[Record]:
    """The pairs shown in employers' candidate lists, with the people's groups and what
    came of each pair."""
    rows = _shown(session, VACANCY)
    after = _pairs_with(session, INTEREST)
    people = {p.id: p for p in session.scalars(select(Profile).where(Profile.id.in_({r[0] for r in rows})))}
    countries = dict(session.execute(select(Vacancy.id, Vacancy.country).where(Vacancy.id.in_({r[1] for r in rows}))).all())
    out = []
    for p, v, _, rank, score, scores, _ in rows:
        if p not in people or v not in countries or rank is None:
            continue
        kinds = after.get((p, v), set())
        out.append(Record(p, f"{VACANCY}:{v}", countries[v], rank, float(score), dict(scores),
                          group_of(people[p]), bool(kinds & set(INTEREST)), HIRED in kinds))
    return out




def hire_curve(session: Session, min_hires: int = 20) -> tuple[float, float] | None:
    """The chance of a hire as a function of a match's combined score, fitted on what
    employers were shown and whom they hired (a logistic curve: scale, bias); None with fewer
    than `min_hires` hires to fit it on."""
    from sklearn.linear_model import LogisticRegression

    rows = _shown(session, VACANCY)
    hired = _pairs_with(session, (HIRED,))
    y = [int((p, v) in hired) for p, v, *_ in rows]
    if sum(y) < min_hires or sum(y) == len(y):
        return None
    x = [[float(score)] for _, _, _, _, score, _, _ in rows]
    model = LogisticRegression(C=10.0).fit(x, y)
    return float(model.coef_[0][0]), float(model.intercept_[0])
