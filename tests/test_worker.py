"""Jobs, run in this process against the real databases and Redis (`matcher`)."""
from __future__ import annotations

from datetime import timedelta

import pytest
from rq import Queue
from rq.job import Job
from sqlalchemy import func, select, update

from models import PROFILE, VACANCY, Base, Match, MatchRun, Profile, Vacancy, utcnow
from models.queries import erase, latest_run, ranking
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
    cook = factories.post(client, "vacancies", factories.vacancy(factories.COOK_VACANCY, accepts_relocation=False))
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
        # Both linked to nursing (ISCO 2221): the work both occupations involve, times how sure
        # both links are; a cook's occupation shares none of it.
        assert rows[0].scores["occupation"] > 0.2 > rows[1].scores.get("occupation", 0.0)
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
        # Both linked to cooks: the work both involve, times how sure both links are.
        assert m.scores["occupation"] > 0.6
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
        # Each vacancy's job scored every profile in its reach (none): a profile posted since
        # is scored for it whether or not it is among the profile's own nearest.
        assert jobs.match_profile(p.id, built)["candidates"] == 2
        with db.session() as s:   # as if each vacancy had had nearer candidates than this person
            s.execute(update(Vacancy).values(reach_floor=1.0))
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


def test_the_index_sync_reads_only_the_rows_changed_since_the_last_one(client, db, matcher):
    from datetime import timedelta

    from models import utcnow
    from worker.candidates import FULL_SYNC_EVERY, SYNC_OVERLAP

    ids = [factories.post(client, "vacancies", factories.vacancy(title=f"Enfermera {n}")) for n in range(6)]
    for vid in ids:
        jobs.match_vacancy(vid, matcher)   # embedded: in the index from now on
    side = matcher.side_index(Vacancy)
    start = utcnow()
    with db.session() as s:   # as if every row had last changed an hour ago
        s.execute(update(Vacancy).values(changed_at=start - timedelta(hours=1)))
    side.synced_at = None   # a worker that starts now
    with db.session() as s:
        first = side.sync(s, now=start)
    assert first["read"] == 6 and first["size"] == 6   # the first sync reads every row
    later = start + 2 * SYNC_OVERLAP
    with db.session() as s:
        assert side.sync(s, now=later)["read"] == 0   # nothing changed since
    with db.session() as s:   # closing one is a change (an ORM update)
        s.get(Vacancy, ids[2]).status = "closed"
    with db.session() as s:
        s.execute(update(Vacancy).where(Vacancy.id == ids[2]).values(changed_at=later + SYNC_OVERLAP))
        step = side.sync(s, now=later + 2 * SYNC_OVERLAP)
    assert step == {"added_or_changed": 0, "removed": 1, "size": 5, "read": 1}
    with db.session() as s:   # a full read (of the open ones) again after FULL_SYNC_EVERY
        assert side.sync(s, now=start + FULL_SYNC_EVERY)["read"] == 5
        assert ids[2] not in side.keys and len(side.index) == 5


def test_a_hand_edit_in_sql_reaches_the_next_job_past_the_workers_cache(client, db, matcher):
    """The database moves `changed_at` on any UPDATE (migration 0014's trigger), so a worker's
    document cache does not serve a row as it was before an edit that bypassed the app."""
    vid = factories.post(client, "vacancies", factories.vacancy())
    p = _profile_row(db, factories.post(client, "profiles", factories.profile()))
    jobs.match_profile(p.id, matcher)   # the vacancy's document is in the worker's cache now
    assert len(matcher.doc_cache(Vacancy)) == 1
    with db.session() as s:
        before = s.get(Vacancy, vid).changed_at
        s.execute(Vacancy.__table__.update().where(Vacancy.id == vid).values(experience_years=30))
    with db.session() as s:
        assert s.get(Vacancy, vid).changed_at > before
    jobs.match_profile(p.id, matcher)
    with db.session() as s:
        (m,) = ranking(s, PROFILE, p.id)
        assert m.explanation["required_years"] == 30
    hits = matcher.doc_cache(Vacancy).hits
    jobs.match_profile(p.id, matcher)   # nothing changed since: read from the cache
    assert matcher.doc_cache(Vacancy).hits == hits + 1


def test_an_orm_update_marks_the_row_changed(client, db):
    vid = factories.post(client, "vacancies", factories.vacancy())
    with db.session() as s:
        before = s.get(Vacancy, vid).changed_at
        assert before is not None
    with db.session() as s:
        s.get(Vacancy, vid).city = "Cali"
    with db.session() as s:
        assert s.get(Vacancy, vid).changed_at > before


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
    queue = Queue(settings.queue_name, connection=redis)
    # First the floors (one job per side); waiting for both, 3 profiles in two chunks; behind those, the
    # job that finds their pairs staged, and behind it 2 vacancies in one chunk.
    assert [j.func_name for j in queue.jobs] == ["worker.rematch.rematch_floors"] * 2
    assert len(queue.deferred_job_registry) == 4
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


def _post_in_order(app, matcher, order: list[tuple[str, int]], rematch: bool = False) -> tuple[dict, set, dict]:
    """Post rows one by one; after each, a worker runs what is queued (its job, and the jobs it
    queues) before the next arrives. With `rematch`, then a bulk re-match (`puente-rematch`).

    Returns:
        Every ranking by the rows' natural keys, {(owner, key): {(other key, score)}}; the
        pairs (profile key, vacancy key) in which either row is among the other's
        `candidates` nearest within its reach, by brute force over the final rows; and the
        rankings after the re-match (empty without `rematch`).
    """
    from tests.test_faults import SKILLS, TITLES
    from web.extensions import knowledge
    from web.schemas import ProfileIn, VacancyIn
    from web.services import create_profile, create_vacancy
    from worker.queueing import start_rematch

    def drain():
        MatchingWorker([matcher.settings.queue_name], connection=matcher.queue_conn, matcher=matcher).work(burst=True)

    keys = {}
    with app.test_request_context():
        for kind, i in order:
            title = TITLES[(i * 5) % len(TITLES)]
            skills = [SKILLS[(i * 3 + j) % len(SKILLS)] for j in range(3)]
            if kind == VACANCY:
                body = factories.vacancy(title=f"{title} {i}", description=f"Puesto de {title.lower()}",
                                         essential_skills=skills[:2], optional_skills=skills[2:],
                                         country=["CO", "PE"][i % 2], accepts_relocation=i % 3 == 0,
                                         employer=f"Empresa {i}")
                row, _, _ = create_vacancy(VacancyIn.model_validate(body))
            else:
                body = factories.profile(summary=f"{title} con experiencia ({i}).", skills=skills,
                                         jobs=[{"title": title, "years": 1 + i % 9, "country": "VE"}],
                                         target_countries=[["CO"], ["CO", "PE"], ["PE"]][i % 3],
                                         relocate=i % 4 == 0)
                row, _ = create_profile(ProfileIn.model_validate(body, context={"kb": knowledge()}))
            keys[(kind, row.id)] = (kind, i)
            drain()
    rankings = _by_key(matcher, keys)
    with matcher.db.session() as s:
        nearest = _nearest_pairs(s, matcher, keys)
    rematched = {}
    if rematch:
        run = start_rematch(matcher.queue_conn, matcher.settings, matcher.db)
        drain()
        assert matcher.queue_conn.hget(f"puente:rematch:{run}", "staged") == b"1"   # each pair scored once
        rematched = _by_key(matcher, keys)
        # The batched chunks rank as every row's own job does (vacancies, then profiles, each
        # merging itself into the other side's rankings): the same rankings, the same scores.
        with matcher.db.session() as s:
            vacancy_ids = list(s.scalars(select(Vacancy.id).where(Vacancy.status == "open").order_by(Vacancy.id)))
            profile_ids = list(s.scalars(select(Profile.id).order_by(Profile.id)))
        for vid in vacancy_ids:
            jobs.match_vacancy(vid, matcher)
        for pid in profile_ids:
            jobs.match_profile(pid, matcher)
        drain()
        assert _by_key(matcher, keys) == rematched
    return rankings, nearest, rematched


def _by_key(matcher, keys: dict) -> dict:
    rankings: dict = {}
    with matcher.db.session() as s:
        for m in s.scalars(select(Match)):
            own, other = ((PROFILE, m.profile_id), (VACANCY, m.vacancy_id))[:: 1 if m.owner == PROFILE else -1]
            rankings.setdefault(keys[own], set()).add((keys[other], round(m.score, 6)))
    return rankings


def _nearest_pairs(s, matcher, keys: dict) -> set:
    """(profile key, vacancy key) where either is among the other's nearest within its reach."""
    import numpy as np

    from matching import Embedding

    n = matcher.settings.candidates
    profiles = list(s.scalars(select(Profile)))
    vacancies = list(s.scalars(select(Vacancy).where(Vacancy.status == "open")))
    vec = {(type(r).__name__, r.id): Embedding.from_bytes(r.embedding, matcher.encoder.dim).vector
           for r in profiles + vacancies}

    def p_reach(p, v):
        return (p.relocate and not p.target_countries) or v.remote or v.country in (p.country, *(p.target_countries or ()))

    def v_reach(v, p):
        return v.remote or v.accepts_relocation or v.country == p.country

    pairs = set()
    for p in profiles:
        near = sorted((v for v in vacancies if p_reach(p, v)),
                      key=lambda v: -float(np.dot(vec[("Profile", p.id)], vec[("Vacancy", v.id)])))[:n]
        pairs |= {(keys[(PROFILE, p.id)], keys[(VACANCY, v.id)]) for v in near}
    for v in vacancies:
        near = sorted((p for p in profiles if v_reach(v, p)),
                      key=lambda p: -float(np.dot(vec[("Profile", p.id)], vec[("Vacancy", v.id)])))[:n]
        pairs |= {(keys[(PROFILE, p.id)], keys[(VACANCY, v.id)]) for p in near}
    return pairs


def _same_nearest_pairs(name: str, rankings: dict, nearest: set, found: dict) -> None:
    """Each nearest pair is in both rankings or in neither, as in the orders seen before (`found`)."""
    for pkey, vkey in nearest:
        # (a vacancy's ranking keeps the employer's score; a pair someone cannot take is in neither)
        entries = tuple([sc for key, sc in rankings.get(own, ()) if key == other]
                        for own, other in ((pkey, vkey), (vkey, pkey)))
        assert bool(entries[0]) == bool(entries[1]), f"{name}: ({pkey}, {vkey}) in one ranking only"
        assert found.setdefault((pkey, vkey), entries) == entries, f"{name}: ({pkey}, {vkey}) differs"


def _in_orders(app, db, redis, settings, encoder, taxonomy_index, candidates: int, names: tuple[str, ...],
               rematch: bool = False) -> dict:
    """The same 14 vacancies and 18 profiles posted in the orders named, from an empty database each time."""
    import random
    from dataclasses import replace

    rows = [(VACANCY, i) for i in range(14)] + [(PROFILE, i) for i in range(18)]
    shuffled = list(rows)
    random.Random(3).shuffle(shuffled)
    orders = {"vacancies first": rows, "profiles first": rows[14:] + rows[:14], "shuffled": shuffled}
    seen = {}
    for name in names:
        with db.engine.begin() as conn:
            for table in reversed(Base.metadata.sorted_tables):
                conn.execute(table.delete())
        redis.flushdb()
        built = Matcher(replace(settings, candidates=candidates), encoder, taxonomy_index)
        try:
            seen[name] = _post_in_order(app, built, orders[name], rematch)
        finally:
            built.close()
    return seen


def test_rankings_do_not_depend_on_the_order_rows_arrive_in(app, db, redis, settings, encoder, taxonomy_index):
    """The same 14 vacancies and 18 profiles posted in three orders, each ranked by its own
    job when it arrives, with only the 4 nearest scored per job (PUENTE_CANDIDATES=4).

    Whatever the order, every pair in which either row is among the other's 4 nearest (over
    the final rows) is in both rankings, each with the same score in every order (a ranking
    here is longer than every candidate list, so no tie can cut it differently). Rankings
    also hold pairs that were among the nearest of the rows there when they were scored, and
    those depend on the order; after a bulk re-match the rankings are the same in every
    order (and hold only pairs within either row's nearest)."""
    seen = _in_orders(app, db, redis, settings, encoder, taxonomy_index, 4,
                      ("vacancies first", "profiles first", "shuffled"), rematch=True)
    found: dict = {}
    first = seen["vacancies first"]
    for name, (rankings, nearest, rematched) in seen.items():
        assert nearest == first[1]   # the same rows in the end
        _same_nearest_pairs(name, rankings, nearest, found)
        assert rematched == first[2], f"{name}: rankings after the re-match differ"
        assert all((own, other) in nearest or (other, own) in nearest
                   for own, entries in rematched.items() for other, _ in entries)
    assert sum(1 for entries in found.values() if entries[0]) > 40
    extra = {name: sum(1 for own, entries in rankings.items() for other, _ in entries
                       if (own, other) not in nearest and (other, own) not in nearest)
             for name, (rankings, nearest, _) in seen.items()}
    print(f"\nORDER nearest_pairs={len(found)} scored={sum(1 for e in found.values() if e[0])} "
          f"entries_beyond_them={extra} entries_after_rematch={sum(len(e) for e in first[2].values())}")


def test_when_every_reach_is_within_the_candidates_rankings_are_equal_as_they_arrive(app, db, redis, settings,
                                                                                   encoder, taxonomy_index):
    """PUENTE_CANDIDATES above the rows within anyone's reach (with the default 300: a pilot,
    a city's service): every job scores every row within reach, and the rankings are the
    same in any order as the rows arrive, without a re-match."""
    seen = _in_orders(app, db, redis, settings, encoder, taxonomy_index, 40, ("vacancies first", "shuffled"))
    assert seen["shuffled"][0] == seen["vacancies first"][0]
    assert sum(len(entries) for entries in seen["shuffled"][0].values()) > 100


class _ErasingMatcher(Matcher):
    """Deletes rows (as a person would, through models.queries.erase) while a job scores:
    between the job's reading and its ranking transaction."""

    erase: tuple = ()

    def score(self, pairs, left_out=None, memo=None):
        results = super().score(pairs, left_out, memo)
        for kind, target_id in self.erase:
            self.db.transact(lambda s, k=kind, t=target_id: erase(s, k, t))
        return results


def test_a_job_whose_rows_were_deleted_meanwhile_ends_quietly(client, db, settings, encoder, taxonomy_index):
    vid = factories.post(client, "vacancies", factories.vacancy())
    pids = [_profile_row(db, factories.post(client, "profiles", factories.profile())).id for _ in range(3)]
    built = _ErasingMatcher(settings, encoder, taxonomy_index)
    try:
        built.erase = ((PROFILE, pids[0]),)            # one of the candidates goes
        result = jobs.match_vacancy(vid, built)
        assert (result["candidates"], result["ranked"]) == (2, 2)
        with db.session() as s:
            assert {m.profile_id for m in ranking(s, VACANCY, vid)} == set(pids[1:])
        built.erase = ((PROFILE, pids[1]),)            # the job's own row goes
        assert jobs.match_profile(pids[1], built)["missing"] is True
        with db.session() as s:
            assert s.get(Profile, pids[1]) is None and s.scalar(select(func.count()).select_from(Match).where(
                Match.profile_id == pids[1])) == 0
            assert s.scalar(select(func.count()).select_from(MatchRun).where(MatchRun.target_id == pids[1],
                                                                               MatchRun.kind == PROFILE)) == 0
    finally:
        built.close()


class _InterleavingMatcher(Matcher):
    """Runs `between()` once while a job scores: after its reading, before its ranking
    transaction, as another worker would in that gap."""

    between = None

    def score(self, pairs, left_out=None, memo=None):
        results = super().score(pairs, left_out, memo)
        step, self.between = self.between, None
        if step is not None:
            step()
        return results


def _rankings_now(db) -> dict:
    with db.session() as s:
        return {(m.owner, m.profile_id, m.vacancy_id): round(m.score, 6) for m in s.scalars(select(Match))}


def _rerun(db, matcher, profiles, vacancies) -> dict:
    for vid in vacancies:
        jobs.match_vacancy(vid, matcher)
    for pid in profiles:
        jobs.match_profile(pid, matcher)
    return _rankings_now(db)


def test_a_row_posted_while_a_job_reads_enters_its_ranking_whichever_commits_first(client, db, redis, settings,
                                                                                   encoder, taxonomy_index, matcher):
    """A profile's job has read the vacancies; a new vacancy is posted and ranked before the
    profile's job stores (its ranking transaction found the profile not ranked yet, so it left
    the pair to the profile's own job, which never saw it). The load test met this once in a
    few runs (tests/test_load.py). The pair ends in both rankings, as a clean re-run gives it:
    the vacancy's job queues the profile's job again, and that one sees it."""
    from rq.job import JobStatus

    p = _profile_row(db, factories.post(client, "profiles", factories.profile())).id
    queue = Queue(settings.queue_name, connection=redis)
    running = Job.fetch(job_id(PROFILE, p), connection=redis)   # taken by a worker, as RQ does
    queue.remove(running)
    running.set_status(JobStatus.STARTED)
    posted = []
    built = _InterleavingMatcher(settings, encoder, taxonomy_index)
    try:
        def another_worker():
            posted.append(factories.post(client, "vacancies", factories.vacancy()))
            jobs.match_vacancy(posted[0], matcher)
        built.between = another_worker
        jobs.match_profile(p, built)
    finally:
        built.close()
    with db.session() as s:
        assert (PROFILE, p, posted[0]) not in _rankings_now(db)   # the race, as it happened
        assert latest_run(s, PROFILE, p).reason == "follow-up"
    assert f"{job_id(PROFILE, p)}-next" in queue.get_job_ids()   # behind the running one
    jobs.match_profile(p, matcher)    # the follow-up, run here
    stored = _rankings_now(db)
    assert (PROFILE, p, posted[0]) in stored and (VACANCY, p, posted[0]) in stored
    assert stored == _rerun(db, matcher, [p], posted)


def test_a_ranking_stored_while_a_job_reads_is_merged_into(client, db, settings, encoder, taxonomy_index, matcher):
    """The other order: the vacancy's job read the profile before the profile was ranked, the
    profile's job (which never saw the vacancy) stored first; the vacancy's job, storing
    second, merges the pair into the profile's ranking, now that it exists."""
    import threading

    p = _profile_row(db, factories.post(client, "profiles", factories.profile())).id
    read, stored_first, posted, errors = threading.Event(), threading.Event(), [], []
    vacancy_side = _InterleavingMatcher(settings, encoder, taxonomy_index)
    profile_side = _InterleavingMatcher(settings, encoder, taxonomy_index)

    def vacancy_job():
        try:
            def wait_for_the_profile():
                read.set()
                assert stored_first.wait(60)
            vacancy_side.between = wait_for_the_profile
            jobs.match_vacancy(posted[0], vacancy_side)
        except Exception as exc:  # noqa: BLE001 - handed to the test's thread
            errors.append(exc)
            read.set()

    def post_and_wait():
        posted.append(factories.post(client, "vacancies", factories.vacancy()))
        worker.start()
        assert read.wait(60)

    worker = threading.Thread(target=vacancy_job)
    try:
        profile_side.between = post_and_wait
        jobs.match_profile(p, profile_side)     # stores without the vacancy: it read before the post
        stored_first.set()
        worker.join(60)
    finally:
        stored_first.set()
        vacancy_side.close()
        profile_side.close()
    assert not errors and not worker.is_alive()
    stored = _rankings_now(db)
    assert (PROFILE, p, posted[0]) in stored and (VACANCY, p, posted[0]) in stored
    assert stored == _rerun(db, matcher, [p], posted)


def test_a_full_ranking_that_loses_an_entry_is_refilled(client, db, redis, settings, encoder, taxonomy_index):
    """Rankings of 2 (PUENTE_TOP_K=2), 3 vacancies: a vacancy that closes leaves the
    person's full ranking with one entry, though a third vacancy was ranked next; the pair
    ranked next was never stored, so the person's own job runs again ("follow-up") and the
    ranking is what a clean run gives."""
    from dataclasses import replace

    built = Matcher(replace(settings, top_k=2), encoder, taxonomy_index)
    try:
        vids = [factories.post(client, "vacancies", factories.vacancy(title=f"Enfermero/a UCI {i}",
                                                                      employer=f"Clínica {i}")) for i in range(3)]
        p = _profile_row(db, factories.post(client, "profiles", factories.profile())).id
        jobs.match_profile(p, built)
        Queue(settings.queue_name, connection=redis).empty()   # the jobs of the posts: run here instead
        with db.session() as s:
            first = [m.vacancy_id for m in ranking(s, PROFILE, p)]
            s.execute(update(Vacancy).where(Vacancy.id == first[0]).values(status="closed", updated_at=utcnow()))
            s.commit()
        result = jobs.match_vacancy(first[0], built)
        assert result["queued_to_follow_up"] == 1
        with db.session() as s:
            assert [m.vacancy_id for m in ranking(s, PROFILE, p)] == first[1:]    # short, for now
            assert latest_run(s, PROFILE, p).reason == "follow-up"
        jobs.match_profile(p, built)
        with db.session() as s:
            refilled = [m.vacancy_id for m in ranking(s, PROFILE, p)]
        assert len(refilled) == 2 and first[0] not in refilled and set(refilled) < set(vids)
    finally:
        built.close()


def test_deleting_a_candidate_refills_the_full_candidate_lists_it_leaves(settings, make_app, db, redis, encoder,
                                                                         taxonomy_index):
    from dataclasses import replace

    shorter = replace(settings, top_k=2)
    client = make_app(shorter).test_client()
    built = Matcher(shorter, encoder, taxonomy_index)
    try:
        vid = factories.post(client, "vacancies", factories.vacancy())
        public = [factories.post(client, "profiles", factories.profile(summary=f"Enfermera con {i} años en UCI."))
                  for i in range(3)]
        jobs.match_vacancy(vid, built)
        Queue(settings.queue_name, connection=redis).empty()   # the jobs of the posts: run here instead
        with db.session() as s:
            held = [m.profile_id for m in ranking(s, VACANCY, vid)]
            gone = s.get(Profile, held[0]).public_id
        assert len(held) == 2
        assert client.delete(f"/api/v1/profiles/{gone}").status_code == 204
        with db.session() as s:
            assert latest_run(s, VACANCY, vid).reason == "refill"
        assert job_id(VACANCY, vid) in Queue(settings.queue_name, connection=redis).get_job_ids()
        jobs.match_vacancy(vid, built)
        with db.session() as s:
            refilled = [m.profile_id for m in ranking(s, VACANCY, vid)]
            left = {s.scalars(select(Profile.id).where(Profile.public_id == pub)).first() for pub in public} - {None}
        assert len(refilled) == 2 and set(refilled) == left
    finally:
        built.close()


def test_a_person_willing_to_move_sees_only_the_countries_chosen(client, db, matcher):
    """Issue 15: ticking "willing to move" must not open every country when some were chosen."""
    brazil = factories.post(client, "vacancies", factories.vacancy(country="BR", city="Boa Vista", languages=[]))
    chose = _profile_row(db, factories.post(client, "profiles", factories.profile(relocate=True,
                                                                                  target_countries=["CO", "PE"])))
    anywhere = _profile_row(db, factories.post(client, "profiles", factories.profile(relocate=True,
                                                                                     target_countries=[])))
    for p in (chose, anywhere):
        jobs.match_profile(p.id, matcher)
    jobs.match_vacancy(brazil, matcher)
    with db.session() as s:
        assert brazil not in {m.vacancy_id for m in ranking(s, PROFILE, chose.id)}
        assert brazil in {m.vacancy_id for m in ranking(s, PROFILE, anywhere.id)}
        assert chose.id not in {m.profile_id for m in ranking(s, VACANCY, brazil)}
        assert ranking(s, VACANCY, brazil)   # someone is in its reach: the check above means something


def test_a_nurse_is_told_why_the_nursing_jobs_of_a_country_are_left_out(client, db, matcher):
    """Issue 15: the rules leave out jobs the person cannot take; the page and the API say
    how many, why, and what would open them."""
    lima = [factories.post(client, "vacancies", factories.vacancy(country="PE", city="Lima")) for _ in range(2)]
    bogota = factories.post(client, "vacancies", factories.vacancy())
    public = factories.post(client, "profiles", factories.profile(relocate=True, locale="pt"))
    p = _profile_row(db, public)
    jobs.match_profile(p.id, matcher)
    with db.session() as s:
        assert {m.vacancy_id for m in ranking(s, PROFILE, p.id)} == {bogota}   # a TSU: Peru asks for a degree
        assert s.get(Profile, p.id).left_out == [{"code": "below_required_level", "country": "PE",
                                                  "required": "bachelor", "count": len(lima)}]
    api = client.get(f"/api/v1/profiles/{public}/matches?lang=pt").get_json()
    assert api["left_out"] == [{"code": "below_required_level", "country": "PE", "count": 2,
                                "text": "Esta profissão exige no Peru um diploma de nível graduação.",
                                "hint": api["left_out"][0]["hint"]}]
    assert "diploma" in api["left_out"][0]["hint"]
    page = client.get(f"/profiles/{public}?lang=es").get_data(as_text=True)
    assert "Empleos que no le mostramos (2)" in page and "2 empleos en Perú:" in page
    assert "Esta profesión exige en Perú un título de nivel grado universitario." in page
    # A degree at that level opens them.
    with db.session() as s:
        s.execute(update(Profile).where(Profile.id == p.id).values(education_level="bachelor",
                                                                  updated_at=utcnow()))
    jobs.match_profile(p.id, matcher)
    with db.session() as s:
        assert {m.vacancy_id for m in ranking(s, PROFILE, p.id)} == {bogota, *lima}
        assert s.get(Profile, p.id).left_out == []


def test_relevance_first_and_other_trades_apart(client, db, matcher, settings):
    """Issue 15, part 5: one list in order of relevance, "can apply now" a mark and a filter;
    a job of another trade below the relevance floor is offered apart, as other work nearby."""
    accountant = factories.profile(summary="Contadora, cinco años.", country="CO", city="Bogotá",
                                   jobs=[{"title": "Contadora", "years": 5, "country": "VE"}],
                                   skills=["contabilidad", "conciliación bancaria"], target_countries=[],
                                   education={"level": "bachelor", "field": "contaduría", "country": "VE"},
                                   status="ppt")
    books = factories.post(client, "vacancies", {
        "title": "Contador/a", "description": "Contabilidad general.", "essential_skills": ["contabilidad"],
        "country": "CO", "city": "Bogotá", "languages": ["es"], "education_level": "bachelor"})
    site = factories.post(client, "vacancies", {
        "title": "Operario/a de construcción", "description": "Obra civil, carga de materiales.",
        "essential_skills": ["albañilería", "carga de materiales"], "country": "CO", "city": "Bogotá",
        "languages": ["es"]})
    public = factories.post(client, "profiles", accountant)
    jobs.match_profile(factories.profile_id(db, public), matcher)
    with db.session() as s:
        rows = {m.vacancy_id: m for m in ranking(s, PROFILE, factories.profile_id(db, public))}
    # The construction job needs no step (ready now) yet ranks below the accountant's job, which needs steps.
    assert rows[site].explanation["verdict"] == "eligible_now" and rows[books].explanation["verdict"] == "after_steps"
    assert rows[books].rank == 1 and rows[site].score < settings.relevance_floor <= rows[books].score
    api = client.get(f"/api/v1/profiles/{public}/matches").get_json()
    assert [m["vacancy_id"] for m in api["matches"]] == [books]
    assert [m["vacancy_id"] for m in api["other_work"]] == [site]
    ready = client.get(f"/api/v1/profiles/{public}/matches?ready_now=true").get_json()
    assert ready["matches"] == [] and ready["other_work"] == api["other_work"]
    bad = client.get(f"/api/v1/profiles/{public}/matches?ready_now=maybe")
    assert bad.status_code == 400 and bad.get_json()["fields"] == {"ready_now": "true or false"}
    page = client.get(f"/profiles/{public}").get_data(as_text=True)
    assert "Sus coincidencias (1)" in page and "Otros trabajos cerca de usted (1)" in page
    assert page.index("Contador/a") < page.index("Otros trabajos cerca de usted") < page.index("Operario/a de construcción")
    only = client.get(f"/profiles/{public}?ready=1").get_data(as_text=True)
    assert "Por ahora ninguna de sus coincidencias se puede tomar sin un trámite." in only


def test_a_skill_inferred_from_a_job_title_is_shown_as_such_and_confirmed_or_removed_in_one_tap(client, db, matcher):
    """Issue 15, part 6: a truck driver never wrote "motorcycle riding"; the card must not say
    he has it, only that he probably does, from his work as a truck driver, and let him say."""
    driver = factories.profile(summary="", jobs=[{"title": "Motorista de caminhão", "years": 8}],
                               skills=["carteira de habilitação categoria E"], country="BR", city="Boa Vista",
                               target_countries=[], education={"level": "lower_secondary", "country": "VE"},
                               status="residencia_venezuelanos", locale="pt",
                               languages=[{"code": "pt", "level": "fluent"}, {"code": "es", "level": "native"}])
    delivery = factories.post(client, "vacancies", {
        "title": "Motorista de entregas", "description": "Entregas de moto na cidade.",
        "essential_skills": ["condução de motocicleta", "carteira de habilitação categoria E"], "country": "BR",
        "city": "Boa Vista", "languages": ["pt"]})
    public = factories.post(client, "profiles", driver)
    pid = factories.profile_id(db, public)
    jobs.match_profile(pid, matcher)

    def matched():
        with db.session() as s:
            m = next(m for m in ranking(s, PROFILE, pid) if m.vacancy_id == delivery)
            return {x["skill"]: x for x in m.explanation["matched_skills"]}, m.scores["skills"]

    found, before = matched()
    assert found["carteira de habilitação categoria E"].get("inferred") is None      # his own words
    assert found["condução de motocicleta"] == {**found["condução de motocicleta"], "inferred": True,
                                                "by": "Motorista de caminhão"}
    page = client.get(f"/profiles/{public}?lang=pt").get_data(as_text=True)
    own = page[page.index("O que você já tem:"):page.index("Provavelmente")]
    assert "condução de motocicleta" not in own and "carteira de habilitação categoria E" in own
    assert "Provavelmente sabe fazer isso, pelo seu trabalho como «Motorista de caminhão». É isso mesmo?" in page

    # "Yes": it becomes his, and counts fully.
    token = client.get(f"/profiles/{public}").get_data(as_text=True).split('name="csrf_token" value="')[1].split('"')[0]
    answer = client.post(f"/profiles/{public}/skills", data={"csrf_token": token, "skill": "condução de motocicleta",
                                                              "answer": "yes"})
    assert answer.status_code == 302 and "skill=confirmed" in answer.headers["Location"]
    jobs.match_profile(pid, matcher)
    found, after = matched()
    assert found["condução de motocicleta"].get("inferred") is None and after > before
    # "No": not inferred again, and not counted.
    with db.session() as s:
        s.execute(update(Profile).where(Profile.id == pid).values(skills=["carteira de habilitação categoria E"],
                                                                  updated_at=utcnow()))
    client.post(f"/profiles/{public}/skills", data={"csrf_token": token, "skill": "condução de motocicleta",
                                                     "answer": "no"})
    jobs.match_profile(pid, matcher)
    found, declined = matched()
    assert "condução de motocicleta" not in found and declined < before
    with db.session() as s:
        assert s.get(Profile, pid).declined_skills == ["condução de motocicleta"]
    assert client.post(f"/profiles/{public}/skills", data={"csrf_token": token, "skill": "x",
                                                            "answer": "maybe"}).status_code == 400
    assert client.post(f"/profiles/{public}/skills", data={"csrf_token": token, "skill": "co\x1bcina",
                                                            "answer": "yes"}).status_code == 400


def test_jobs_left_out_are_counted_only_when_they_would_be_matches(client, db, matcher):
    """A cook in Panama is not told about lawyer jobs kept for Panamanians: only jobs close to
    the person count as "left out" (the reviewer's case)."""
    for _ in range(3):
        factories.post(client, "vacancies", {
            "title": "Abogado/a litigante", "description": "Litigio civil y mercantil ante tribunales.",
            "essential_skills": ["derecho procesal", "redacción de demandas"], "country": "PA",
            "city": "Ciudad de Panamá", "languages": ["es"], "education_level": "bachelor"})
    cook = factories.post(client, "vacancies", factories.vacancy(factories.COOK_VACANCY, country="PA",
                                                                 city="Ciudad de Panamá"))
    public = factories.post(client, "profiles", factories.profile(
        summary="Cocinero", jobs=[{"title": "Cocinero", "years": 5}], skills=["cocina"], country="PA",
        city="Ciudad de Panamá", target_countries=[], status="visitor", education={"level": "bachelor",
                                                                                   "country": "VE"}))
    pid = factories.profile_id(db, public)
    jobs.match_profile(pid, matcher)
    with db.session() as s:
        left = s.get(Profile, pid).left_out
        kept = {m.vacancy_id for m in ranking(s, PROFILE, pid)}
    # Law is reserved for Panamanians: the three posts are left out, but they are not close to
    # a cook, so they are not counted as "jobs like yours we did not show".
    assert left == [], left
    assert kept <= {cook}


class _Counting:
    """The real encoder, counting what it is given (texts, characters, and the tokens the
    model reads: what encoding costs)."""

    def __init__(self, encoder):
        self._encoder, self.texts, self.chars, self.tokens = encoder, 0, 0, 0

    def __getattr__(self, name):
        return getattr(self._encoder, name)

    def encode(self, texts, role="document"):
        from matching.encoders import token_counts

        self.texts += len(texts)
        self.chars += sum(len(t) for t in texts)
        self.tokens += sum(token_counts(self._encoder, texts, role))
        return self._encoder.encode(texts, role=role)


def _largest_profile() -> dict:
    """A profile at every limit the API accepts (about 61 kB of text), none of it repeated."""
    import random

    rng = random.Random(3)
    syllables = ["ma", "te", "ri", "so", "ldu", "ra", "pin", "tu", "ca", "rpi", "nte", "ro", "ne", "gi", "co"]

    def text(n: int) -> str:
        words = []
        while sum(len(w) + 1 for w in words) < n:
            words.append("".join(rng.choice(syllables) for _ in range(rng.randint(2, 4))))
        return " ".join(words)[:n].strip()

    return factories.profile(summary=text(5000), skills=[text(120) for _ in range(100)],
                             jobs=[{"title": "Contador " + text(191), "years": 1, "country": "VE",   # a regional word
                                    "description": text(2000)} for _ in range(20)])


def test_a_jobs_work_is_bounded_whatever_a_person_types(client, db, matcher, monkeypatch):
    import json

    from matching.annotate import MAX_LINKED_SKILLS, MAX_LINKED_TITLE_CHARS, MAX_LINKED_TITLES, MAX_LINKED_TITLES_TOKENS
    from matching.documents import (
        MAX_PHRASE_CHARS,
        MAX_PHRASES_CHARS,
        MAX_SKILL_CHARS,
        MAX_TEXT_CHARS,
        PROFILE_PHRASE_TOKENS,
        PROFILE_TEXT_TOKENS,
    )

    jobs.match_vacancy(factories.post(client, "vacancies", factories.vacancy()), matcher)   # embedded already
    counting = _Counting(matcher.encoder)
    monkeypatch.setattr(matcher, "_encoder", counting)
    monkeypatch.setattr(matcher.taxonomy.occupations, "encoder", counting)
    linked: dict[str, list[str]] = {"titles": [], "skills": []}
    for kind, linker in (("titles", matcher.taxonomy.occupations), ("skills", matcher.taxonomy.skills)):
        def link(queries, top_k=1, _real=linker.link, _kind=kind):
            linked[_kind] += list(queries)
            return _real(queries, top_k)
        monkeypatch.setattr(linker, "link", link)

    def work(body: dict) -> tuple[int, int, dict]:
        counting.texts = counting.chars = counting.tokens = 0
        linked["titles"], linked["skills"] = [], []
        p = _profile_row(db, factories.post(client, "profiles", body))
        result = jobs.match_profile(p.id, matcher)
        assert result["ranked"] == 1
        return counting.chars, counting.texts, {k: list(v) for k, v in linked.items()}

    largest = _largest_profile()
    assert len(json.dumps(largest, ensure_ascii=False)) > 60_000
    chars, _, links = work(largest)
    # What the encoder read, in tokens (what it costs): the whole text, the phrases, the
    # titles it linked by meaning (each also in its regional wording, which is counted).
    tokens = counting.tokens
    assert tokens <= PROFILE_TEXT_TOKENS + PROFILE_PHRASE_TOKENS + MAX_LINKED_TITLES_TOKENS
    assert chars <= MAX_TEXT_CHARS + MAX_PHRASES_CHARS + MAX_LINKED_TITLES * MAX_LINKED_TITLE_CHARS
    assert len(links["titles"]) <= MAX_LINKED_TITLES and len(links["skills"]) <= MAX_LINKED_SKILLS
    assert all(len(q) <= MAX_LINKED_TITLE_CHARS for q in links["titles"])
    assert all(len(q) <= MAX_PHRASE_CHARS for q in links["skills"])
    assert sum(map(len, links["skills"])) <= MAX_SKILL_CHARS   # what the character view reads
    typical, _, _ = work(factories.profile())
    assert 0 < typical < chars and 0 < counting.tokens < tokens
    # The same profile posted twice is linked and encoded once per distinct text: the
    # job's second run reads its caches.
    p = _profile_row(db, factories.post(client, "profiles", factories.profile(
        jobs=[{"title": "Enfermera", "years": 2}, {"title": "enfermera", "years": 3}],
        skills=["Triage", "triage", "TRIAGE"])))
    counting.texts = 0
    linked["titles"], linked["skills"] = [], []
    jobs.match_profile(p.id, matcher)
    assert linked["titles"] == ["Enfermera"] and linked["skills"] == ["Triage"]
    assert counting.texts == 1 + 2 + 1   # the whole text, two phrases (title, skill), one title linked
    counting.texts = 0
    jobs.match_profile(p.id, matcher)
    assert counting.texts == 0


def test_a_rematch_chunk_writes_no_ranking_that_changed_under_it(client, db, redis, settings, encoder,
                                                                 taxonomy_index, matcher):
    """While a re-match chunk scores (after its reading, before its transaction), a vacancy
    is posted and ranked (it merges itself into a profile's ranking) and another one closes.
    The chunk writes neither ranking as it read them: a profile whose candidate closed, or
    whose ranking changed meanwhile, is handed to its own job, queued, and that one ranks it
    as a clean re-run does. A profile untouched by both is written by the chunk."""
    from worker.queueing import REMATCH_KEY
    from worker.rematch import rematch_chunk, rematch_floors

    cook = factories.post(client, "vacancies", factories.vacancy(factories.COOK_VACANCY, accepts_relocation=False))
    far = factories.post(client, "vacancies", factories.vacancy(factories.COOK_VACANCY, country="PE", city="Lima",
                                                                 accepts_relocation=False))
    near = _profile_row(db, factories.post(client, "profiles", factories.profile())).id
    away = _profile_row(db, factories.post(client, "profiles", factories.profile(
        country="PE", status="cpp", target_countries=[], relocate=False))).id
    MatchingWorker([settings.queue_name], connection=redis, matcher=matcher).work(burst=True)
    with db.session() as s:
        assert {m.vacancy_id for m in ranking(s, PROFILE, near)} == {cook}
        assert {m.vacancy_id for m in ranking(s, PROFILE, away)} == {far}
    run = "test-run"
    redis.hset(REMATCH_KEY.format(run), mapping={"total": 2, "done": 0, "failed": 0})
    for kind, ids in ((VACANCY, [cook, far]), (PROFILE, [near, away])):
        rematch_floors(run, kind, ids, matcher)
    posted = []
    built = _InterleavingMatcher(settings, encoder, taxonomy_index)
    try:
        def another_worker():
            posted.append(factories.post(client, "vacancies", factories.vacancy(title="Cocinero de línea")))
            jobs.match_vacancy(posted[0], matcher)   # enters the ranking of `near`
            with db.session() as s:
                v = s.get(Vacancy, cook)
                v.status, v.updated_at = "closed", v.updated_at + timedelta(seconds=1)   # its job: not yet run
        built.between = another_worker
        Queue(settings.queue_name, connection=redis).empty()
        result = rematch_chunk(run, PROFILE, [near, away], built)
    finally:
        built.close()
    assert (result["written"], result["queued_again"], result["done"]) == (1, 1, 2)
    assert job_id(PROFILE, near) in Queue(settings.queue_name, connection=redis).get_job_ids()
    with db.session() as s:
        assert {m.vacancy_id for m in ranking(s, PROFILE, near)} == {cook, posted[0]}   # not overwritten
        assert latest_run(s, PROFILE, near).reason == "follow-up"
        assert s.get(Profile, away).ranked_at > s.get(Profile, near).ranked_at
    assert int(redis.hget(REMATCH_KEY.format(run), "done")) == 2
    jobs.match_vacancy(cook, matcher)   # the close's own job
    MatchingWorker([settings.queue_name], connection=redis, matcher=matcher).work(burst=True)
    stored = _rankings_now(db)
    assert (PROFILE, near, posted[0]) in stored and (PROFILE, near, cook) not in stored
    assert stored == _rerun(db, matcher, [near, away], [far, posted[0]])


class _FailingOnceMatcher(Matcher):
    """Once `armed`, fails the first scoring of a profile (in a re-match: its chunk fails, as
    a worker killed in that job would)."""

    armed = failed = False

    def score(self, pairs, left_out=None, memo=None):
        if self.armed and left_out is not None and not self.failed:
            self.failed = True
            raise RuntimeError("killed")
        return super().score(pairs, left_out, memo)


def test_a_rematch_whose_profile_chunk_failed_scores_the_vacancies_in_full(client, db, redis, settings, encoder,
                                                                            taxonomy_index):
    """The vacancies' chunks rank from the pairs the profiles' chunks staged only when every
    one of those ended well; when one failed (its profiles' pairs are missing), they retrieve
    and score their candidates themselves, and their rankings are those a clean re-run gives."""
    from worker.queueing import rematch_progress, start_rematch

    vids = [factories.post(client, "vacancies", body) for body in (factories.vacancy(),
                                                                   factories.vacancy(factories.COOK_VACANCY))]
    pids = [_profile_row(db, factories.post(client, "profiles", factories.profile())).id for _ in range(3)]
    built = _FailingOnceMatcher(settings, encoder, taxonomy_index)
    try:
        MatchingWorker([settings.queue_name], connection=redis, matcher=built).work(burst=True)
        Queue(settings.queue_name, connection=redis).empty()
        run = start_rematch(redis, settings, built.db, chunk=2)
        built.armed = True
        MatchingWorker([settings.queue_name], connection=redis, matcher=built).work(burst=True)
        state = rematch_progress(redis, run)
        # 2 vacancies and 1 of 2 profile chunks (of 2 and 1 profiles) done; the other chunk's counted failed
        assert built.failed and state["finished"] and state["failed"] in (1, 2) and state["done"] + state["failed"] == 5
        assert redis.hget(f"puente:rematch:{run}", "staged") == b"0"
        vacancies_chunk = Job.fetch(f"rematch-{run}-0", connection=redis)   # vacancies are queued first
        assert vacancies_chunk.description == "rematch vacancy x2" and vacancies_chunk.return_value()["staged"] is False
        stored = _rankings_now(db)
        assert {k for k in stored if k[0] == VACANCY} and stored == _rerun(db, built, pids, vids)
    finally:
        built.close()


def test_a_staged_vacancy_chunk_queues_the_profiles_edited_during_the_rematch(client, db, redis, settings,
                                                                                matcher):
    """The vacancies' chunks rank from pairs staged earlier in the run; a profile edited since
    the run began may have been staged before its edit (or its own job may have merged it in
    before the chunk wrote), so its own job is queued again after the chunk writes."""
    import time

    from worker.queueing import REMATCH_KEY
    from worker.rematch import rematch_chunk

    vid = factories.post(client, "vacancies", factories.vacancy())
    early, edited = (_profile_row(db, factories.post(client, "profiles", factories.profile())).id for _ in range(2))
    MatchingWorker([settings.queue_name], connection=redis, matcher=matcher).work(burst=True)
    run = "staged-run"
    with db.session() as s:   # the vacancy and the first profile were last edited well before the run began
        s.get(Profile, early).updated_at = utcnow() - timedelta(minutes=5)
        v = s.get(Vacancy, vid)
        v.updated_at = v.ranked_version = utcnow() - timedelta(minutes=5)
    redis.hset(REMATCH_KEY.format(run), mapping={"total": 1, "done": 0, "failed": 0, "started": time.time(),
                                                 "stage": 1, "staged": 1})
    with db.session() as s:
        s.get(Profile, edited).updated_at = utcnow()   # an edit during the run
    Queue(settings.queue_name, connection=redis).empty()
    result = rematch_chunk(run, VACANCY, [vid], matcher)
    assert result["staged"] and result["written"] == 1 and result["pairs"] == 0   # nothing was staged for it
    queued = Queue(settings.queue_name, connection=redis).get_job_ids()
    assert job_id(PROFILE, edited) in queued and job_id(PROFILE, early) not in queued
    with db.session() as s:
        assert latest_run(s, PROFILE, edited).reason == "follow-up"
        s.get(Vacancy, vid).updated_at = utcnow()   # the vacancy itself edited during the run:
    Queue(settings.queue_name, connection=redis).empty()
    again = rematch_chunk(run, VACANCY, [vid], matcher)   # its pairs were staged from before
    assert (again["written"], again["queued_again"]) == (0, 1)
    assert job_id(VACANCY, vid) in Queue(settings.queue_name, connection=redis).get_job_ids()
