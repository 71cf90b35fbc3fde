"""The simulator (issue 17, part 4): a synthetic market with a planted bias, played through
the real API and a real RQ worker on PostgreSQL; the learner must move from the hand-set
weights towards the true ones, the audit must find the planted bias against migrants and
nothing between women and men (where nothing was planted), and the placement must not do
worse than greedy top-1."""
from __future__ import annotations

import pytest

from config import load_learning

SIMULATED_ON = "postgresql"


def test_the_simulated_market_recovers_the_truth_and_the_audit_finds_the_planted_bias(app, db, matcher,
                                                                                      database_url):
    from dataclasses import replace

    from scripts import simulate as sim

    if not database_url.startswith(SIMULATED_ON):
        from tests.conftest import _pg_reachable

        if _pg_reachable():
            pytest.skip(f"simulated on {SIMULATED_ON}")
    # A smaller market than the script's default (CI time): fewer newer lists to judge by.
    rules = replace(load_learning(), min_lists=8, min_good=20)
    result = sim.simulate(app, matcher, bias=3.0, rounds=4, people=40, vacancies=10, seed=11, audit_rounds=100,
                          rules=rules)
    print("\n" + sim.report(result))
    assert result.reported["interview"] >= 40 and result.reported["hired"] >= 10
    assert result.learned_distance is not None and result.learned_distance < 0.7 * result.hand_set_distance
    flagged = {(f.country, f.metric) for f in result.flagged("migrant")}
    assert ("all", "interest_rate") in flagged
    assert result.flagged("gender") == []
    p = result.placement
    assert p["expected_hires"] > 0 and len(p["moves"]) <= p["openings"]
    assert p["expected_hires"] >= p["greedy_expected_hires"]
