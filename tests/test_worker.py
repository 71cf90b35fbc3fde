"""Jobs, run in this process against the real databases and Redis (`matcher`)."""
from __future__ import annotations

from datetime import timedelta

import pytest
from rq import Queue
from rq.job import Job
from sqlalchemy import func, select, update

from models import PROFILE, VACANCY, Match, MatchRun, Profile, Vacancy, utcnow
from models.queries import ranking
from tests import factories
from worker import jobs
from worker.matcher import Matcher
from worker.queueing import enqueue_match, job_id
from worker.runner import MatchingWorker


def _profile_row(db, public_id) -> Profile:
    with db.session() as s:
        return s.scalars(select(Profile).where(Profile.public_id == public_id)).one()


def test_match_profile_ranks_stores_and_explains(client, db, matcher):
    icu = factories.post(client, "vacancies", factories.vacancy())
    cook = factories.post(client, "vacancies", factories.vacancy(factories.COOK_VACANCY))
    far = factories.post(client, "vacancies", factories.vacancy(country="AR", city="Córdoba"))
    p = _profile_row(db, factories.post(client, "profiles", factories.profile()))

    result = jobs.match_profile(p.id, matcher)
    assert result["ranked"] == 2 and result["candidates"] == 2  # Argentina is out of reach

    with db.session() as s:
        rows = ranking(s, PROFILE, p.id)
        assert [m.vacancy_id for m in rows] == [icu, cook]
        assert [m.rank for m in rows] == [1, 2]
        assert rows[0].encoder == matcher.encoder.version
        assert set(rows[0].scores) == set(matcher.settings.weights)  # occupation included
        assert rows[0].scores["occupation"] == 1.0  # both linked to ISCO 2221, nursing professionals
        occs = rows[0].explanation["occupations"]
        assert occs["vacancy"]["isco"] == "2221"
        assert occs["profile"][0]["phrase"] == "Enfermera de cuidados intensivos"
        assert rows[0].explanation["matched_skills"][0]["skill"] == "intensive care"
        assert far not in [m.vacancy_id for m in rows]
        prof = s.get(Profile, p.id)
        assert prof.ranked_at is not None and prof.ranked_at >= prof.updated_at
        run = s.scalars(select(MatchRun).where(MatchRun.kind == PROFILE)).one()
        assert run.status == "done" and run.candidates == 2 and run.duration_ms is not None


def test_pairs_below_the_minimum_score_are_not_stored(client, db, settings, encoder, matcher):
    from dataclasses import replace

    strict = Matcher(replace(settings, min_score=0.35), encoder, matcher.taxonomy)
    try:
        icu = factories.post(client, "vacancies", factories.vacancy())
        factories.post(client, "vacancies", factories.vacancy(factories.COOK_VACANCY))
        p = _profile_row(db, factories.post(client, "profiles", factories.profile()))
        jobs.match_profile(p.id, strict)
        with db.session() as s:
            rows = ranking(s, PROFILE, p.id)
            assert [m.vacancy_id for m in rows] == [icu] and rows[0].score >= 0.35
    finally:
        strict.close()


def test_running_a_job_twice_gives_the_same_single_ranking(client, db, matcher):
    factories.post(client, "vacancies", factories.vacancy())
    factories.post(client, "vacancies", factories.vacancy(factories.COOK_VACANCY))
    p = _profile_row(db, factories.post(client, "profiles", factories.profile()))
    jobs.match_profile(p.id, matcher)
    with db.session() as s:
        first = [(m.vacancy_id, m.rank, m.score) for m in ranking(s, PROFILE, p.id)]
    jobs.match_profile(p.id, matcher)
    with db.session() as s:
        assert [(m.vacancy_id, m.rank, m.score) for m in ranking(s, PROFILE, p.id)] == first
        assert s.scalar(select(func.count()).select_from(Match)) == len(first)


def test_embeddings_are_cached_by_content(client, db, matcher):
    v = factories.post(client, "vacancies", factories.vacancy())
    p = _profile_row(db, factories.post(client, "profiles", factories.profile()))
    jobs.match_profile(p.id, matcher)
    with db.session() as s:
        row = s.get(Vacancy, v)
        key, blob = row.embedding_key, row.embedding
        assert key and blob
    calls = []
    real = matcher.encoder.encode
    matcher.encoder.encode = lambda texts, role="document": calls.append(len(texts)) or real(texts, role)
    try:
        jobs.match_profile(p.id, matcher)
    finally:
        matcher.encoder.encode = real
    assert calls == []  # nothing changed, nothing encoded again
    with db.session() as s:
        s.get(Vacancy, v).title = "Enfermera jefe de UCI"
    jobs.match_profile(p.id, matcher)
    with db.session() as s:
        assert s.get(Vacancy, v).embedding_key != key


def test_new_vacancy_enters_existing_profile_rankings(client, db, matcher):
    factories.post(client, "vacancies", factories.vacancy(factories.COOK_VACANCY))
    p = _profile_row(db, factories.post(client, "profiles", factories.profile()))
    jobs.match_profile(p.id, matcher)
    icu = factories.post(client, "vacancies", factories.vacancy())
    result = jobs.match_vacancy(icu, matcher)
    assert result["updated_rankings"] == 1
    with db.session() as s:
        assert ranking(s, PROFILE, p.id)[0].vacancy_id == icu
        vac_rank = ranking(s, VACANCY, icu)
        assert [m.profile_id for m in vac_rank] == [p.id]


def test_new_profile_enters_existing_candidate_lists(client, db, matcher):
    icu = factories.post(client, "vacancies", factories.vacancy())
    jobs.match_vacancy(icu, matcher)
    p = _profile_row(db, factories.post(client, "profiles", factories.profile()))
    assert jobs.match_profile(p.id, matcher)["updated_rankings"] == 1
    with db.session() as s:
        assert [m.profile_id for m in ranking(s, VACANCY, icu)] == [p.id]


def test_closing_a_vacancy_removes_it_from_rankings(client, db, matcher):
    icu = factories.post(client, "vacancies", factories.vacancy())
    p = _profile_row(db, factories.post(client, "profiles", factories.profile()))
    jobs.match_profile(p.id, matcher)
    with db.session() as s:
        v = s.get(Vacancy, icu)
        v.status = "closed"
        v.updated_at = v.updated_at + timedelta(seconds=1)
    jobs.match_vacancy(icu, matcher)
    with db.session() as s:
        assert ranking(s, PROFILE, p.id) == [] and ranking(s, VACANCY, icu) == []


def test_deleted_target_is_a_quiet_no_op(matcher):
    assert jobs.match_profile(987654, matcher)["missing"] is True
    assert jobs.match_vacancy(987654, matcher)["missing"] is True


def test_failing_job_is_recorded_failed_without_personal_data(client, db, matcher):
    p = _profile_row(db, factories.post(client, "profiles", factories.profile(summary="Soy María, mi pasaporte es 123")))

    def broken(texts, role="document"):
        raise RuntimeError(f"cannot encode {texts}")  # an error whose text carries user data

    real = matcher.encoder.encode
    matcher.encoder.encode = broken  # a failing encoder stands in for any fault inside the job
    try:
        with pytest.raises(jobs.MatchingFailed) as caught:
            jobs.match_profile(p.id, matcher)
        assert "María" not in str(caught.value) and caught.value.__cause__ is None
    finally:
        matcher.encoder.encode = real
    with db.session() as s:
        run = s.scalars(select(MatchRun).order_by(MatchRun.id.desc())).first()
        assert run.status == "failed" and run.error == "RuntimeError"
        assert ranking(s, PROFILE, p.id) == []


def test_double_submit_queues_one_job(client, db, redis, settings):
    p = _profile_row(db, factories.post(client, "profiles", factories.profile()))
    with db.session() as s:
        assert enqueue_match(s, redis, settings, PROFILE, p.id, reason="edited") is True
    queue = Queue(settings.queue_name, connection=redis)
    assert queue.job_ids == [job_id(PROFILE, p.id)]


def test_reconcile_queues_every_stale_target(client, db, redis, settings, matcher):
    pids = [_profile_row(db, factories.post(client, "profiles", factories.profile())).id for _ in range(3)]
    vid = factories.post(client, "vacancies", factories.vacancy())
    redis.flushdb()  # Redis lost every job
    jobs.match_profile(pids[0], matcher)  # one of them got ranked anyway
    counts = jobs.reconcile(matcher)
    assert counts == {"profile": 2, "vacancy": 1}
    queue = Queue(settings.queue_name, connection=redis)
    assert sorted(queue.job_ids) == sorted([job_id(PROFILE, pids[1]), job_id(PROFILE, pids[2]),
                                            job_id(VACANCY, vid)])
    assert jobs.reconcile(matcher) == counts and len(queue.job_ids) == 3  # again: nothing queued twice


def test_reconcile_redoes_runs_whose_job_is_gone_over_fresh_rankings(client, db, redis, settings, matcher):
    """A run "queued" (or "running") whose job Redis no longer holds is redone, although its
    ranking is fresh; a run asked for moments ago, or whose job still waits, is left alone."""
    pids = [_profile_row(db, factories.post(client, "profiles", factories.profile())).id for _ in range(3)]
    for pid in pids:
        jobs.match_profile(pid, matcher)
    redis.flushdb()           # the jobs of the submissions, done above
    with db.session() as s:   # re-matches asked for: one lost long ago, one lost just now, one waiting
        for pid in pids:
            enqueue_match(s, redis, settings, PROFILE, pid, reason="rematch")
        s.execute(update(MatchRun).where(MatchRun.target_id.in_(pids[:2]), MatchRun.status == "queued")
                  .values(enqueued_at=utcnow() - jobs.ORPHAN_GRACE * 2))
        s.execute(update(MatchRun).where(MatchRun.target_id == pids[1], MatchRun.status == "queued")
                  .values(status="running"))
    queue = Queue(settings.queue_name, connection=redis)
    for jid in (job_id(PROFILE, pids[0]), job_id(PROFILE, pids[1])):
        queue.remove(jid)
        Job.fetch(jid, connection=redis).delete()
    assert jobs.reconcile(matcher) == {"profile": 2, "profile_runs_without_job": 2, "vacancy": 0}
    assert sorted(queue.job_ids) == sorted(job_id(PROFILE, pid) for pid in pids)
    for pid in pids:
        jobs.match_profile(pid, matcher)
    with db.session() as s:
        assert set(s.scalars(select(MatchRun.status).where(MatchRun.target_id.in_(pids)))) == {"done"}


def test_vacancy_without_skills_takes_those_of_its_occupation(client, db, matcher):
    vid = factories.post(client, "vacancies", factories.vacancy(factories.COOK_VACANCY, essential_skills=[],
                                                       title="Cocinero"))
    p = _profile_row(db, factories.post(client, "profiles", factories.profile(
        jobs=[{"title": "Cocinera", "years": 4}], skills=["cocinar pescado y marisco", "filetear pescado"])))
    jobs.match_vacancy(vid, matcher)
    jobs.match_profile(p.id, matcher)
    with db.session() as s:
        v = s.get(Vacancy, vid)
        assert v.essential_skills == [] and len(v.esco["inherited_skills"]) >= 3  # the row is left as posted
        (m,) = ranking(s, PROFILE, p.id)
        assert m.explanation["skills_from_occupation"] is True
        assert m.scores["occupation"] == 1.0
        inherited = set(v.esco["inherited_skills"])
        named = {x["skill"] for x in m.explanation["matched_skills"]} | set(m.explanation["missing_skills"])
        assert named <= inherited | {"Cocinero"} and named


def test_candidates_come_from_the_warm_index_kept_in_step_with_the_database(client, db, settings, encoder,
                                                                            taxonomy_index):
    from dataclasses import replace

    built = Matcher(replace(settings, candidates=1), encoder, taxonomy_index)
    try:
        icu = factories.post(client, "vacancies", factories.vacancy())
        cook = factories.post(client, "vacancies", factories.vacancy(factories.COOK_VACANCY))
        jobs.match_vacancy(icu, built)
        jobs.match_vacancy(cook, built)        # both embedded now
        side = built.side_index(Vacancy)
        p = _profile_row(db, factories.post(client, "profiles", factories.profile()))
        result = jobs.match_profile(p.id, built)
        assert result["candidates"] == 1   # only the nearest is scored in full
        with db.session() as s:
            assert [m.vacancy_id for m in ranking(s, PROFILE, p.id)] == [icu]
        assert len(side.index) == 2
        # Closing a vacancy takes it out of the index at the next job (no rebuild).
        with db.session() as s:
            s.get(Vacancy, icu).status = "closed"
        jobs.match_profile(p.id, built)
        assert len(side.index) == 1
        with db.session() as s:
            assert [m.vacancy_id for m in ranking(s, PROFILE, p.id)] == [cook]
    finally:
        built.close()


def test_closing_a_vacancy_takes_it_out_of_every_ranking(client, db, matcher):
    posted = factories.api_post(client, "vacancies", json=factories.vacancy()).get_json()
    p = _profile_row(db, factories.post(client, "profiles", factories.profile()))
    jobs.match_profile(p.id, matcher)
    with db.session() as s:
        assert [m.vacancy_id for m in ranking(s, PROFILE, p.id)] == [posted["id"]]
    page = client.get(f"/vacancies/{posted['id']}?key={posted['key']}").get_data(as_text=True)
    import re

    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    resp = client.post(f"/vacancies/{posted['id']}/status", data={"csrf_token": token, "key": posted["key"],
                                                                   "status": "closed"})
    assert resp.status_code == 302
    assert client.post(f"/vacancies/{posted['id']}/status", data={"csrf_token": token, "status": "closed"}
                       ).status_code == 403   # without the key or an account
    jobs.match_vacancy(posted["id"], matcher)
    with db.session() as s:
        assert ranking(s, PROFILE, p.id) == [] and s.get(Vacancy, posted["id"]).status == "closed"


def test_bulk_rematch_runs_in_chunks_with_progress(client, db, redis, settings, matcher):
    from worker.queueing import latest_rematch, rematch_progress, start_rematch

    for body in (factories.vacancy(), factories.vacancy(factories.COOK_VACANCY)):
        factories.post(client, "vacancies", body)
    for _ in range(3):
        factories.post(client, "profiles", factories.profile())
    Queue(settings.queue_name, connection=redis).empty()
    run = start_rematch(redis, settings, matcher.db, chunk=2)
    assert latest_rematch(redis) == run
    assert rematch_progress(redis, run) | {"seconds": 0} == {"run": run, "total": 5, "done": 0, "failed": 0,
                                                     "finished": False, "seconds": 0}
    assert len(Queue(settings.queue_name, connection=redis)) == 3   # 2 vacancies in one chunk, 3 profiles in two
    MatchingWorker([settings.queue_name], connection=redis, matcher=matcher).work(burst=True)
    state = rematch_progress(redis, run)
    assert (state["done"], state["failed"], state["finished"]) == (5, 0, True)
    with db.session() as s:
        assert all(p.ranked_at is not None for p in s.scalars(select(Profile)))


def test_an_unreadable_row_is_left_out_and_only_all_unreadable_fails(client, db, matcher):
    """One corrupt profile (a hand edit) does not fail a vacancy's job, nor lose the rankings
    that hold it; if no profile can be read, the job fails instead of storing nothing."""
    pids = [_profile_row(db, factories.post(client, "profiles", factories.profile())).id for _ in range(2)]
    vid = factories.post(client, "vacancies", factories.vacancy())
    jobs.match_vacancy(vid, matcher)
    for pid in pids:
        jobs.match_profile(pid, matcher)
    with db.session() as s:
        assert {m.profile_id for m in ranking(s, VACANCY, vid)} == set(pids)
        s.execute(Profile.__table__.update().where(Profile.id == pids[0]).values(jobs={"title": "x"}))
    assert jobs.match_vacancy(vid, matcher)["candidates"] == 1
    with db.session() as s:
        assert [m.profile_id for m in ranking(s, VACANCY, vid)] == [pids[1]]
        assert [m.vacancy_id for m in ranking(s, PROFILE, pids[0])] == [vid]   # its own ranking left as it was
        s.execute(Profile.__table__.update().where(Profile.id == pids[1]).values(jobs={"title": "x"}))
    with pytest.raises(jobs.MatchingFailed):
        jobs.match_vacancy(vid, matcher)
    with db.session() as s:
        run = s.scalars(select(MatchRun).where(MatchRun.kind == VACANCY).order_by(MatchRun.id.desc())).first()
        assert (run.status, run.error) == ("failed", "UnreadableRows")
        assert [m.profile_id for m in ranking(s, VACANCY, vid)] == [pids[1]]   # the last good ranking stays


def test_reconcile_holds_back_a_target_whose_job_failed_for_good(client, db, redis, settings, matcher):
    pid = _profile_row(db, factories.post(client, "profiles", factories.profile())).id
    redis.flushdb()
    with db.session() as s:
        s.execute(Profile.__table__.update().where(Profile.id == pid).values(jobs={"title": "x"}))
    factories.post(client, "vacancies", factories.vacancy())
    with pytest.raises(jobs.MatchingFailed):
        jobs.match_profile(pid, matcher)
    redis.flushdb()
    assert jobs.reconcile(matcher) == {"profile": 0, "profile_failed_held": 1, "vacancy": 1}
    assert job_id(PROFILE, pid) not in Queue(settings.queue_name, connection=redis).job_ids


def test_a_closed_vacancy_whose_job_was_lost_still_leaves_every_ranking(client, db, redis, settings, matcher):
    pid = _profile_row(db, factories.post(client, "profiles", factories.profile())).id
    vid = factories.post(client, "vacancies", factories.vacancy())
    jobs.match_vacancy(vid, matcher)
    jobs.match_profile(pid, matcher)
    with db.session() as s:
        assert [m.vacancy_id for m in ranking(s, PROFILE, pid)] == [vid]
        vacancy = s.get(Vacancy, vid)
        vacancy.status, vacancy.updated_at = "closed", vacancy.updated_at + timedelta(seconds=1)
    redis.flushdb()   # the close's job was lost
    assert jobs.reconcile(matcher)["vacancy"] == 1
    jobs.match_vacancy(vid, matcher)
    with db.session() as s:
        assert ranking(s, PROFILE, pid) == []
