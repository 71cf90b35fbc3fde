"""Learning the weights from outcomes and auditing fairness (issue 17): the pure parts on
synthetic worlds with a known truth, and the case workers' pages with a real worker."""
from __future__ import annotations

import math
import re
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from sqlalchemy import select

from config import load_learning, load_weights
from matching.fairness import Record, audit, score_gap
from matching.learning import DIMENSIONS, Example, combine_many, decide, fit_weights, weights_name
from matching.scoring import combine

HAND_SET = load_weights()
# A truth far from the hand-set weights (skills and experience count most).
TRUTH = {"semantic": 0.05, "skills": 0.4, "occupation": 0.1, "experience": 0.3, "language": 0.05, "location": 0.05,
         "education": 0.05, "eligibility": 0.1}
T0 = datetime(2026, 1, 1, tzinfo=UTC)


def _scores(rng) -> dict[str, float]:
    scores = {d: float(rng.beta(2, 2)) for d in DIMENSIONS}
    if rng.random() < 0.3:
        del scores["occupation"]   # left out of a pair without a confident link
    return scores


def _world(truth: dict, lists: int = 300, size: int = 15, seed: int = 1) -> list[Example]:
    """Lists of shown pairs, in time order; a pair comes to a good outcome by the truth."""
    rng = np.random.default_rng(seed)
    out = []
    for v in range(lists):
        for c in range(size):
            scores = _scores(rng)
            p = 1 / (1 + math.exp(-(10 * combine(scores, truth) - 6.5)))
            out.append(Example(f"vacancy:{v}", scores, bool(rng.random() < p), T0 + timedelta(minutes=v * 20 + c)))
    return out


def _l1(a: dict, b: dict) -> float:
    ta, tb = sum(a.values()), sum(b.values())
    return sum(abs(a[d] / ta - b[d] / tb) for d in DIMENSIONS)


def test_the_vectorised_combination_is_the_products():
    rng = np.random.default_rng(3)
    rows = [_scores(rng) for _ in range(300)] + [{"location": 0.7}, {"skills": 0.0, "semantic": 0.0}]
    x = np.full((len(rows), len(DIMENSIONS)), np.nan)
    for i, r in enumerate(rows):
        for j, d in enumerate(DIMENSIONS):
            x[i, j] = r.get(d, np.nan)
    for weights in (HAND_SET, TRUTH, {**HAND_SET, "semantic": 0.0, "skills": 0.0, "occupation": 0.0}):
        assert np.allclose(combine_many(x, weights), [combine(r, weights) for r in rows], atol=1e-12)


def test_the_learner_moves_from_the_hand_set_weights_to_the_truth():
    found = fit_weights(_world(TRUTH), HAND_SET)
    assert _l1(found.weights, TRUTH) < 0.5 * _l1(HAND_SET, TRUTH)
    assert found.weights["skills"] > HAND_SET["skills"] and found.weights["experience"] > HAND_SET["experience"]
    assert math.isclose(sum(found.weights.values()), sum(HAND_SET.values()), rel_tol=1e-3)


def test_a_model_replaces_the_weights_only_when_it_wins_on_newer_events():
    rules = dict(min_gain=0.02, min_good=30, min_lists=20)
    won = decide(_world(TRUTH), HAND_SET, **rules)
    assert won.accepted and won.gain >= 0.02 and won.gain_low > 0 and won.learned_ndcg > won.current_ndcg
    assert won.train > won.test and won.test_lists >= 20
    # When the weights in use are the truth, nothing learnt beats them by the margin.
    same = decide(_world(HAND_SET, seed=2), HAND_SET, **rules)
    assert not same.accepted and same.weights is not None and "not better enough" in same.why
    few = decide(_world(TRUTH, lists=8), HAND_SET, **rules)
    assert few.weights is None and "too few outcomes" in few.why


def _audit_world(bias: float, seed: int = 0, people: int = 300, lists: int = 80) -> list[Record]:
    rng = np.random.default_rng(seed)
    groups = {p: {"migrant": "migrant" if rng.random() < 0.5 else "host",
                  "gender": "woman" if rng.random() < 0.5 else "man"} for p in range(people)}
    out = []
    for v in range(lists):
        pairs = sorted(((int(p), _scores(rng)) for p in rng.choice(people, 15, replace=False)),
                       key=lambda ps: -combine(ps[1], HAND_SET))
        for rank, (p, scores) in enumerate(pairs, start=1):
            score = combine(scores, HAND_SET)
            logit = 8 * score - 5 - (bias if groups[p]["migrant"] == "migrant" else 0.0)
            interest = bool(rng.random() < 1 / (1 + math.exp(-logit)))
            out.append(Record(p, f"vacancy:{v}", "CO" if v % 2 else "PE", rank, score, scores, groups[p], interest,
                              interest and bool(rng.random() < 0.4)))
    return out


def test_the_audit_finds_a_planted_bias_and_flags_nothing_in_a_fair_world():
    rules = load_learning()
    biased = audit(_audit_world(2.0), rules.thresholds, rules.min_count, rounds=150)
    flagged = {(f.country, f.attribute, f.metric) for f in biased if f.flagged}
    assert ("all", "migrant", "interest_rate") in flagged and ("all", "migrant", "hire_rate") in flagged
    assert not {f for f in flagged if f[1] == "gender"}   # nothing planted there
    assert next(f for f in biased if f.country == "all" and f.metric == "interest_rate"
                and f.attribute == "migrant").value < -0.05
    fair = audit(_audit_world(0.0, seed=4), rules.thresholds, rules.min_count, rounds=150)
    assert not [f for f in fair if f.flagged]
    assert all(not f.withheld for f in fair)


def test_small_groups_are_withheld():
    records = _audit_world(0.0, people=30, lists=6)
    rules = load_learning()
    found = audit(records, rules.thresholds, 1000, rounds=20)
    assert found and all(f.withheld and f.value is None and not f.flagged for f in found)


def test_the_score_gap_says_when_new_weights_would_widen_it():
    """Migrants here have less experience at equal skills: weights that count experience
    more widen the score gap, which is what keeps such a model from going live."""
    rng = np.random.default_rng(5)
    records = []
    for p in range(400):
        migrant = p % 2 == 0
        scores = {"skills": float(rng.beta(2, 2)), "semantic": 0.6, "experience": 0.3 if migrant else 0.7,
                  "location": 1.0}
        records.append(Record(p, f"vacancy:{p // 10}", "CO", 1, combine(scores, HAND_SET), scores,
                              {"migrant": "migrant" if migrant else "host"}, False, False))
    before = score_gap(records, "migrant", HAND_SET)
    after = score_gap(records, "migrant", {**HAND_SET, "experience": 0.6})
    assert before < 0 and after < before - load_learning().max_widening
    assert score_gap(records, "gender", HAND_SET) is None   # nobody declared one


def test_hand_set_weights_have_a_stable_name():
    assert weights_name(HAND_SET) == weights_name(dict(reversed(list(HAND_SET.items()))))
    assert weights_name(HAND_SET) != weights_name({**HAND_SET, "skills": HAND_SET["skills"] + 0.01})


def _token(client, address: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', client.get(address).get_data(as_text=True)).group(1)


@pytest.fixture
def case_worker(app, settings):
    from scripts.create_user import create_user

    create_user(settings.database_url, "orienta@ong.org", "clave-de-prueba-1", admin=True)
    client = app.test_client()
    client.post("/cuenta/entrar", data={"csrf_token": _token(client, "/cuenta/entrar"), "email": "orienta@ong.org",
                                        "password": "clave-de-prueba-1"})
    return client


def test_case_workers_see_what_weighs_and_learn_with_a_real_worker(app, db, matcher, case_worker, client):
    from models import RankingModel
    from worker.runner import MatchingWorker

    assert client.get("/admin/learning").status_code in (302, 401)
    page = case_worker.get("/admin/learning").get_data(as_text=True)
    assert "Los pesos fijados a mano" in page and weights_name(HAND_SET) in page and "Habilidades" in page
    queued = case_worker.post("/admin/learning", data={"csrf_token": _token(case_worker, "/admin/learning")})
    assert queued.status_code == 302 and "queued=1" in queued.headers["Location"]
    MatchingWorker([matcher.settings.queue_name], connection=matcher.queue_conn, matcher=matcher).work(burst=True)
    with db.session() as s:
        assert s.scalars(select(RankingModel)).all() == []   # no events: nothing to learn from, nothing stored
    fairness = case_worker.get("/admin/fairness")
    assert fairness.status_code == 200 and "Auditoría de equidad" in fairness.get_data(as_text=True)
    csv_text = case_worker.get("/admin/fairness?format=csv").get_data(as_text=True)
    assert csv_text.splitlines()[0].startswith("country,attribute,metric,watched,reference")


def test_gender_is_asked_for_the_audit_only_it_never_ranks_and_employers_never_see_it(app, db, matcher, client):
    from tests import factories
    from worker import jobs

    posted = factories.api_post(client, "vacancies", json=factories.vacancy()).get_json()
    woman = factories.post(client, "profiles", factories.profile(gender="woman"))
    man = factories.post(client, "profiles", factories.profile(gender="man"))
    untold = factories.post(client, "profiles", factories.profile())
    jobs.match_vacancy(posted["id"], matcher)
    ranking = client.get(f"/api/v1/vacancies/{posted['id']}/matches", headers={"X-Vacancy-Key": posted["key"]})
    matches = ranking.get_json()["matches"]
    assert len(matches) == 3 and len({m["score"] for m in matches}) == 1   # the same person, three times
    assert "gender" not in ranking.get_data(as_text=True) and "woman" not in ranking.get_data(as_text=True)
    assert client.get(f"/api/v1/profiles/{woman}").get_json()["gender"] == "woman"
    assert client.get(f"/api/v1/profiles/{untold}").get_json()["gender"] is None
    bad = factories.api_post(client, "profiles", json=factories.profile(gender="female"))
    assert bad.status_code == 422 and "gender" in bad.get_json()["fields"]
    form = client.get("/profiles/new").get_data(as_text=True)
    assert 'name="gender"' in form and "las empresas nunca lo ven" in form
    assert client.get(f"/api/v1/profiles/{man}").get_json()["gender"] == "man"


def _stored_world(db, experience_gap: float, seed: int = 3) -> None:
    """People, vacancies and the events of a world in the database (no API: the events are
    what the learner reads). Employers here weigh experience heavily; migrants have less of
    it at equal skills when `experience_gap` > 0."""
    from models import Outcome, Profile, Vacancy
    from models.outcome import HIRED, INTERVIEW, SHOWN

    rng = np.random.default_rng(seed)
    truth = {**HAND_SET, "experience": 0.6, "skills": 0.4, "semantic": 0.02, "occupation": 0.02, "location": 0.02}
    with db.session() as s:
        people = [Profile(country="CO", nationalities=["VE"] if i % 2 else ["CO"], gender=None, consent_scope="matching",
                          consent_version="t", consent_at=T0) for i in range(120)]
        vacancies = [Vacancy(title=f"v{i}", country="CO") for i in range(150)]
        s.add_all(people + vacancies)
        s.flush()
        for n, v in enumerate(vacancies):
            for rank, i in enumerate(rng.choice(len(people), 20, replace=False), start=1):
                p = people[int(i)]
                migrant = p.nationalities == ["VE"]
                scores = {"skills": float(rng.beta(2, 2)), "semantic": float(rng.beta(2, 2)), "location": 1.0,
                          "experience": float(np.clip(rng.beta(2, 2) - (experience_gap if migrant else 0), 0, 1))}
                at = T0 + timedelta(hours=n, minutes=rank)
                s.add(Outcome(profile_id=p.id, vacancy_id=v.id, kind=SHOWN, side="vacancy", by="employer", rank=rank,
                              score=combine(scores, HAND_SET), scores=scores, at=at))
                if rng.random() < 1 / (1 + math.exp(-(12 * combine(scores, truth) - 7.5))):
                    s.add(Outcome(profile_id=p.id, vacancy_id=v.id, kind=INTERVIEW, side="vacancy", by="employer",
                                  at=at + timedelta(minutes=30)))
                    s.add(Outcome(profile_id=p.id, vacancy_id=v.id, kind=HIRED, side="vacancy", by="employer",
                                  at=at + timedelta(minutes=40)))


@pytest.mark.parametrize("experience_gap,goes_live", [(0.0, True), (0.35, False)])
def test_a_better_model_goes_live_unless_it_widens_a_gap(db, settings, experience_gap, goes_live):
    """The same employers, who weigh experience more than the hand-set weights: learning wins
    on the newer events in both worlds; where migrants have less experience at equal skills,
    the learnt weights would widen their score gap, and the model stays out."""
    from dataclasses import replace

    from models import Match, RankingModel
    from models.history import live_model
    from worker.learning import learn

    _stored_world(db, experience_gap)
    result = learn(db, dict(settings.weights), replace(load_learning(), min_lists=10))
    assert result["figures"]["gain"] >= load_learning().min_gain, result
    with db.session() as s:
        (model,) = s.scalars(select(RankingModel)).all()
        assert model.name == f"learned-{model.id}" and model.weights["experience"] > HAND_SET["experience"]
        assert (live_model(s) is not None) is goes_live and (model.status == "live") is goes_live
        if not goes_live:
            assert "widens the score gap" in model.why and "migrant" in model.why
            gaps = model.figures["fairness"]["migrant"]
            assert abs(gaps["learned"]) > abs(gaps["current"])
        assert s.scalars(select(Match)).all() == []   # re-ranking is the job's (learn_weights), not learn's


def test_a_group_never_hired_is_the_worst_case_and_is_flagged():
    """No migrant interviewed at all among comparable matches: the odds ratio is not left
    undefined (which would hide the worst case), the gap is flagged."""
    records = [r if r.groups["migrant"] == "host" else Record(r.person, r.list_id, r.country, r.rank, r.score, r.scores,
                                                              r.groups, False, False)
               for r in _audit_world(0.0, seed=6)]
    rules = load_learning()
    found = audit(records, rules.thresholds, rules.min_count, rounds=100)
    worst = next(f for f in found if f.country == "all" and f.attribute == "migrant" and f.metric == "interest_rate")
    assert worst.flagged and worst.watched_value == 0.0 and worst.ratio == 0.0
