"""Learn the weights from outcomes, audit them, and let them rank only when they are better
and no less fair (issue 17). An RQ job (`learn_weights`), queued from the case workers' page
or by `python -m scripts.learn`.

1. The events say which matches were shown and which came to an interview or a hire
   (`models.history.examples`).
2. `matching.learning.decide` fits on the older events and compares with the weights in
   use on the newer ones (time-split validation, the margin in `config/learning.toml`).
3. A model that wins is audited before it may rank anyone: under its weights, the score gap
   at equal skills between migrants and host-community members, and between women and men,
   may not widen by more than `max_widening` (`matching.fairness.score_gap`).
4. Every model tried is stored with its figures (`models.RankingModel`); one that passes
   goes live (the one before is replaced) and every ranking is computed again with it.
"""
from __future__ import annotations

import logging

from sqlalchemy import update

from config import Learning, load_learning
from matching.fairness import ATTRIBUTES, score_gap
from matching.learning import decide, weights_name
from models import Database, RankingModel, utcnow
from models.history import audit_records, examples, live_model
from models.outcome import LIVE, REJECTED, REPLACED

log = logging.getLogger(__name__)

__all__ = ["learn", "learn_weights"]


def _fairness_check(session, current: dict, learned: dict, rules: Learning) -> tuple[dict, list[str]]:
    """The score gap at equal skills per attribute under both weightings, and the attributes
    whose gap the learnt weights widen beyond `max_widening`."""
    records = audit_records(session)
    gaps, widened = {}, []
    for attribute in ATTRIBUTES:
        before, after = score_gap(records, attribute, current), score_gap(records, attribute, learned)
        gaps[attribute] = {"current": before, "learned": after}
        if before is not None and after is not None and abs(after) - abs(before) > rules.max_widening:
            widened.append(attribute)
    return gaps, widened


def learn(db: Database, hand_set: dict[str, float], rules: Learning | None = None) -> dict:
    """Fit, judge and audit a model; store it; make it live if it passes.

    Args:
        db: the database.
        hand_set: the weights of `config/scoring.toml` (in use when no model is live).
        rules: `config/learning.toml` (read when not given).

    Returns:
        What was decided: {"model": id or None, "name", "status", "why", "figures"}.
    """
    rules = rules or load_learning()
    with db.session() as s:
        live = live_model(s)
        current = {k: float(v) for k, v in (live.weights if live else hand_set).items()}
        found = examples(s)
        d = decide(found, current, min_gain=rules.min_gain, min_good=rules.min_good, min_lists=rules.min_lists,
                   share=1.0 - rules.newer_share)
        figures = {"examples": len(found), "train": d.train, "test": d.test, "test_lists": d.test_lists,
                   "good": d.good, "current_ndcg": d.current_ndcg, "learned_ndcg": d.learned_ndcg, "gain": d.gain,
                   "gain_low": d.gain_low, "min_gain": rules.min_gain, "current": current,
                   "current_name": live.name if live else weights_name(hand_set), "reason": d.reason}
        if d.weights is None:
            log.info("learning: no model (%s)", d.why)
            return {"model": None, "name": None, "status": None, "why": d.why, "figures": figures, "weights": None}
        status, why = REJECTED, d.why
        if d.accepted:
            figures["fairness"], widened = _fairness_check(s, current, d.weights, rules)
            if widened:
                why = (f"better on the newer events, but it widens the score gap at equal skills "
                       f"({', '.join(widened)}) by more than {rules.max_widening}")
                figures["reason"], figures["widened"] = "widens", widened
            else:
                status = LIVE
        now = utcnow()
        model = RankingModel(name="learned", weights=d.weights, status=status, why=why, figures=figures,
                             created_at=now, live_from=now if status == LIVE else None)
        s.add(model)
        s.flush()
        model.name = f"learned-{model.id}"
        if status == LIVE:   # every other live model is replaced (two runs at once: the last one wins)
            s.execute(update(RankingModel).where(RankingModel.status == LIVE, RankingModel.id != model.id)
                      .values(status=REPLACED, live_until=now))
        result = {"model": model.id, "name": model.name, "status": status, "why": why, "figures": figures,
                  "weights": dict(d.weights)}
    log.info("learning: %s %s (%s)", result["name"], status, why)
    return result


def learn_weights() -> dict:
    """The RQ job: learn with the running worker's database and weights; when a model went
    live, re-rank everything with it."""
    from .matcher import running_matcher
    from .queueing import start_rematch

    m = running_matcher()
    result = learn(m.db, m.settings.weights)
    if result["status"] == LIVE:
        result["rematch"] = start_rematch(m.queue_conn, m.settings, m.db)
    return result
