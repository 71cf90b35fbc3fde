"""The pure core, with the real bundled encoder."""
from __future__ import annotations

import numpy as np
import pytest

from config import load_weights
from config.mobility import load_knowledge_base
from matching import (
    Embedding,
    Job,
    ProfileDoc,
    VacancyDoc,
    combine,
    describe_steps,
    embed_profile,
    embed_vacancy,
    profile_key,
    rank,
    score_many,
    score_pair,
)

WEIGHTS = load_weights()

NURSE = ProfileDoc(
    id=1, country="CO", city="Cúcuta", summary="TSU en enfermería con 6 años en terapia intensiva",
    jobs=(Job("Enfermera de cuidados intensivos", 6, "VE", "canalización de vías"),),
    skills=("cuidados intensivos", "canalización de vías", "atención al paciente"),
    languages={"es": "native"}, education_level="short_cycle", education_country="VE",
    target_countries=("CO",), nationalities=("VE",), legal_status="ppt")
ICU = VacancyDoc(id=10, title="ICU nurse", country="CO", city="Bogotá", description="Intensive care unit nurse",
                 essential_skills=("intensive care", "patient care"), languages=("es",), experience_years=3)
UTI = VacancyDoc(id=11, title="Enfermeira de UTI", country="CO", city="Cúcuta",
                 description="Cuidados intensivos em unidade de terapia intensiva", essential_skills=("cuidados intensivos",))
COOK = VacancyDoc(id=12, title="Line cook", country="CO", city="Cúcuta", description="Cook in a busy restaurant kitchen",
                  essential_skills=("cooking", "food safety"), languages=("es",))
ABROAD = VacancyDoc(id=13, title="Enfermera", country="CL", city="Santiago", accepts_relocation=True)


KB = load_knowledge_base()


def _score(encoder, p, v, kb=KB):
    return score_pair(p, embed_profile(encoder, p), v, embed_vacancy(encoder, v), encoder.calibration, WEIGHTS, kb)


def test_encoder_returns_unit_float32_rows(encoder):
    out = encoder.encode(["enfermera", "nurse", "enfermeira"], role="query")
    assert out.dtype == np.float32 and out.shape == (3, encoder.dim)
    assert np.allclose(np.linalg.norm(out, axis=1), 1.0, atol=1e-4)
    assert encoder.encode([], role="document").shape == (0, encoder.dim)


def test_the_cached_encoder_gives_the_encoders_vectors_and_encodes_a_short_text_once(encoder):
    from matching.encoders import CachedEncoder

    calls: list[list[str]] = []

    class Recording:
        def __getattr__(self, name):
            return getattr(encoder, name)

        def encode(self, texts, role="document"):
            calls.append(list(texts))
            return encoder.encode(texts, role=role)

    cached = CachedEncoder(Recording(), size=3)
    long = "enfermera de cuidados intensivos " * 10   # past CachedEncoder.SHORT: never kept
    texts = ["soldadura", "cocina", "soldadura", long]
    first = cached.encode(texts, role="query")
    assert np.allclose(first, encoder.encode(texts, role="query"), atol=1e-5)
    assert calls == [["soldadura", "cocina", long]]   # once per distinct text
    again = cached.encode(["cocina", "soldadura", long], role="query")
    assert np.allclose(again, first[[1, 0, 3]], atol=1e-5)
    assert calls[-1] == [long]
    cached.encode(["cocina"], role="document")   # the role is part of what is kept
    assert calls[-1] == ["cocina"]
    cached.encode(["a", "b"], role="query")       # four kept now, at most three: the oldest leaves
    cached.encode(["soldadura"], role="query")
    assert calls[-1] == ["soldadura"] and cached.dim == encoder.dim and cached.version == encoder.version


def test_spanish_profile_ranks_english_and_portuguese_nursing_jobs_above_cooking(encoder):
    results = score_many([(NURSE, embed_profile(encoder, NURSE), v, embed_vacancy(encoder, v))
                          for v in (COOK, ICU, UTI)], encoder.calibration, WEIGHTS)
    order = [r.vacancy_id for r in rank(results, 10)]
    assert order.index(COOK.id) == 2, order
    icu = next(r for r in results if r.vacancy_id == ICU.id)
    assert {"skill": "intensive care"}.items() <= icu.explanation["matched_skills"][0].items()
    assert icu.scores["semantic"] > next(r for r in results if r.vacancy_id == COOK.id).scores["semantic"]


def test_every_dimension_is_in_unit_interval(encoder):
    result = _score(encoder, NURSE, ICU)
    assert set(result.scores) == set(WEIGHTS) - {"occupation"}  # no ESCO links given here
    assert all(0.0 <= v <= 1.0 for v in result.scores.values())
    assert 0.0 <= result.score <= 1.0


def test_job_out_of_reach_is_not_a_match(encoder):
    assert _score(encoder, NURSE, ABROAD) is None  # Chile: not a target, not willing to move
    mover = ProfileDoc(**{**NURSE.__dict__, "relocate": True, "target_countries": ()})   # to any country
    assert _score(encoder, mover, ABROAD) is not None
    closed = VacancyDoc(**{**ABROAD.__dict__, "accepts_relocation": False})
    assert _score(encoder, mover, closed) is None


def test_willing_to_move_means_to_the_countries_chosen(encoder):
    """Issue 15: a nurse in Colombia who chose Colombia and Peru and ticked "willing to move"
    was shown jobs in Brazil and Chile. Now only where she lives and what she chose; with no
    country chosen, anywhere."""
    chose = ProfileDoc(**{**NURSE.__dict__, "relocate": True, "target_countries": ("CO", "PE")})
    peru = VacancyDoc(**{**ABROAD.__dict__, "id": 41, "country": "PE", "city": "Lima", "title": "Cuidador/a de adultos mayores"})
    brazil = VacancyDoc(**{**peru.__dict__, "id": 42, "country": "BR", "city": "Boa Vista"})
    assert _score(encoder, chose, ABROAD) is None and _score(encoder, chose, brazil) is None
    assert _score(encoder, chose, peru).explanation["location"] == "relocation"
    anywhere = ProfileDoc(**{**chose.__dict__, "target_countries": ()})
    assert all(_score(encoder, anywhere, v) is not None for v in (ABROAD, peru, brazil))
    assert (chose.anywhere, anywhere.anywhere) == (False, True)


def test_missing_essential_skill_costs_more_than_missing_optional(encoder):
    ess = VacancyDoc(id=20, title="Enfermera", country="CO", essential_skills=("cuidados intensivos", "soldadura"))
    opt = VacancyDoc(id=21, title="Enfermera", country="CO", essential_skills=("cuidados intensivos",),
                     optional_skills=("soldadura",))
    a, b = _score(encoder, NURSE, ess), _score(encoder, NURSE, opt)
    assert a.explanation["missing_skills"] == ["soldadura"]
    assert b.explanation["missing_optional_skills"] == ["soldadura"]
    assert a.scores["skills"] == pytest.approx(0.5) and b.scores["skills"] == pytest.approx(2 / 3, abs=1e-4)


def test_steps_name_permit_recognition_and_language(encoder):
    mover = ProfileDoc(**{**NURSE.__dict__, "relocate": True, "target_countries": ()})
    brazil = VacancyDoc(id=30, title="Enfermeira", country="BR", languages=("pt",), education_level="bachelor")
    result = _score(encoder, mover, brazil)
    steps = result.explanation["steps"]
    assert result.explanation["verdict"] == "after_steps"
    # "Enfermeira" is a nurse's title: a regulated profession in Brazil, so a licence too.
    assert [s["kind"] for s in steps] == ["permit", "recognition", "licence", "language"]
    text = [s["text"] for s in describe_steps(KB, steps, "es")]
    assert text[0].startswith("Obtener un permiso para trabajar en Brasil")
    assert "Brasil" in text[1] and "portugués" in text[3]
    assert describe_steps(KB, steps, "pt")[0]["text"].startswith("Obter uma autorização para trabalhar no Brasil")
    assert describe_steps(KB, steps, "en")[3]["text"] == "Learn Portuguese (intermediate level or better)."
    # Without the knowledge base the generic rules still name the permit.
    generic = _score(encoder, mover, brazil, kb=None).explanation["steps"]
    assert generic[0] == {"kind": "permit", "country": "BR", "rule": "work_permit"}


def test_person_without_papers_gets_protection_first_and_a_blank_status_a_check(encoder):
    # Colombia's PPT windows for adults are closed and a visa needs a regular stay: no route
    # a person without papers can take, so the step is what protects them (issue 15).
    irregular = ProfileDoc(**{**NURSE.__dict__, "legal_status": "irregular"})
    result = _score(encoder, irregular, UTI)
    permit = [s for s in result.explanation["steps"] if s["kind"] == "permit"]
    assert [s["rule"] for s in permit] == ["protection"]
    assert result.scores["eligibility"] < 1.0
    national = ProfileDoc(**{**NURSE.__dict__, "nationalities": ("CO",), "legal_status": None,
                             "education_country": "CO"})
    assert _score(encoder, national, UTI).explanation["verdict"] == "eligible_now"
    blank = ProfileDoc(**{**NURSE.__dict__, "nationalities": (), "legal_status": None, "education_country": "CO"})
    result = _score(encoder, blank, UTI)
    steps = result.explanation["steps"]  # not guessed: asked to check, and never sent to a closed PPT
    assert [s["kind"] for s in steps] == ["permit"] and steps[0]["rule"] == "check_protection"
    assert result.scores["eligibility"] == pytest.approx(0.85)


def test_a_vacancy_skill_inside_a_persons_phrase_matches(encoder):
    cook = ProfileDoc(id=5, country="CO", jobs=(Job("Cocinera", 3),), skills=("cocina venezolana",))
    job = VacancyDoc(id=6, title="Cocinero de línea", country="CO", essential_skills=("cocina",))
    assert _score(encoder, cook, job).explanation["matched_skills"][0]["by"] == "cocina venezolana"


def test_a_vacancy_whose_title_has_no_words_does_not_break_scoring(encoder):
    odd = VacancyDoc(id=7, title="\u0301", country="CO", remote=True)
    assert odd.phrases() == []
    result = _score(encoder, NURSE, odd)
    assert result is not None and 0.0 <= result.score <= 1.0


def test_experience_counts_related_jobs_fully():
    from matching.encoders import Calibration
    cal = Calibration(0.0, 1.0, 0.9)
    p = ProfileDoc(id=1, country="CO", jobs=(Job("Enfermera", 2), Job("Cajera", 4)))
    v = VacancyDoc(id=2, title="Enfermera", country="CO", experience_years=4)
    # Orthogonal unit vectors: only the identical title matches (by its words).
    eye = np.eye(4, dtype=np.float32)
    pe, ve = Embedding(eye[0], eye[1:3]), Embedding(eye[0], eye[3:4])
    result = score_pair(p, pe, v, ve, cal, WEIGHTS)
    assert result.explanation["relevant_years"] == pytest.approx(2 + 4 * 0.25)
    assert result.scores["experience"] == pytest.approx(3 / 4)


def test_combine_and_rank():
    w = {"semantic": 1, "skills": 1, "location": 2}
    assert combine({"semantic": 1.0, "skills": 1.0, "location": 1.0}, w) == pytest.approx(1.0)
    assert combine({"semantic": 0.0, "skills": 0.0, "location": 1.0}, w) == 0.0  # not their trade
    assert combine({"semantic": 0.8, "skills": 0.4, "location": 0.0}, w) == pytest.approx(0.6 * 2 / 4)
    assert combine({"semantic": 0.8, "skills": 0.4, "location": 0.5}, w) == pytest.approx(0.6 * (2 + 2 * 0.5) / 4)
    assert combine({"location": 0.5}, {"location": 1}) == pytest.approx(0.5)
    from matching import PairScore
    rs = [PairScore(1, v, s, {}, {}) for v, s in ((5, 0.5), (3, 0.9), (4, 0.5), (9, 0.1))]
    assert [r.vacancy_id for r in rank(rs, 3)] == [3, 4, 5]


def test_top_k_is_exact_with_ties_to_the_lower_id():
    from matching import top_k
    rng = np.random.default_rng(7)
    scores = np.round(rng.random(5000), 2)  # many ties
    ids = rng.permutation(5000)
    for k in (1, 10, 50, 5000, 6000):
        expected = sorted(range(5000), key=lambda i: (-scores[i], ids[i]))[:k]
        assert top_k(scores, ids, k).tolist() == expected
    assert top_k(np.zeros(0), np.zeros(0, dtype=np.int64), 5).tolist() == []


def test_embedding_roundtrip_and_cache_key(encoder):
    emb = embed_profile(encoder, NURSE)
    back = Embedding.from_bytes(emb.to_bytes(), encoder.dim)
    assert np.array_equal(back.vector, emb.vector) and np.array_equal(back.phrase_vectors, emb.phrase_vectors)
    assert back.phrase_vectors.shape == (len(NURSE.phrases()), encoder.dim)
    changed = ProfileDoc(**{**NURSE.__dict__, "skills": ("soldadura",)})
    assert profile_key(encoder, NURSE) == profile_key(encoder, NURSE) != profile_key(encoder, changed)


def test_empty_and_huge_texts_do_not_break(encoder):
    empty = ProfileDoc(id=2, country="CO")
    huge = ProfileDoc(id=3, country="CO", summary="enfermería " * 20000, skills=tuple(f"skill {i}" for i in range(500)))
    for p in (empty, huge):
        result = _score(encoder, p, ICU)
        assert result is not None and 0.0 <= result.score <= 1.0
    from matching.documents import MAX_SKILL_PHRASES, MAX_TITLE_CHARS, MAX_TITLE_PHRASES

    assert len(huge.phrases()) == MAX_SKILL_PHRASES   # 500 short skills: the first 40 are read
    # Twenty long job titles do not crowd the skills out: each kind has its own budget.
    titled = ProfileDoc(id=4, country="CO", skills=("soldadura TIG", "lectura de planos"),
                        jobs=tuple(Job(title=f"Soldador de estructuras metálicas pesadas número {i}") for i in range(20)))
    phrases = titled.phrases()
    titles = phrases[:-2]
    assert phrases[-2:] == ["soldadura TIG", "lectura de planos"]
    assert 0 < len(titles) <= MAX_TITLE_PHRASES and sum(map(len, titles)) <= MAX_TITLE_CHARS


@pytest.mark.slow
def test_sentence_transformers_backend_offline():
    from matching import load_encoder

    enc = load_encoder("sentence-transformers", "")
    out = enc.encode(["intensive care nurse", "ICU nurse", "truck driver"], role="query")
    assert out.dtype == np.float32 and out.shape == (3, 384)
    assert np.allclose(np.linalg.norm(out, axis=1), 1.0, atol=1e-4)
    assert out[0] @ out[1] > out[0] @ out[2]
    assert enc.version == "st-all-MiniLM-L6-v2"
    # What a profile's budget counts: the model's tokens, its start and end ones included,
    # at most its sequence length.
    assert enc.count_tokens(["ICU nurse", "", "word " * 1000], "query") == [5, 2, enc._model.max_seq_length]


def test_load_encoder_rejects_unknown_name():
    from matching import load_encoder

    with pytest.raises(ValueError, match="unknown encoder"):
        load_encoder("word2vec", "")


def _with_esco(doc, occupations=(), skills=None):
    return type(doc)(**{**doc.__dict__, "esco": {"occupations": list(occupations), "skills": skills or {}}})


def test_occupation_dimension_follows_isco_groups(encoder):
    nurse_occ = {"phrase": "Enfermera", "uri": "esco:nurse", "isco": "2221", "score": 0.9, "labels": {}}
    p = _with_esco(NURSE, [nurse_occ])
    for isco, expected in (("2221", 1.0), ("2222", 0.75), ("2269", 0.5), ("2512", 0.25), ("5120", 0.0)):
        v = _with_esco(ICU, [{**nurse_occ, "uri": f"esco:{isco}", "isco": isco}])
        result = _score(encoder, p, v)
        assert result.scores["occupation"] == expected, isco
        assert result.explanation["occupations"]["vacancy"]["isco"] == isco


def test_near_synonyms_count_through_the_taxonomy(encoder):
    p = _with_esco(ProfileDoc(id=8, country="CO", skills=("manejo de hoja de cálculo",)),
                   skills={"manejo de hoja de calculo": {"uri": "esco:spreadsheets", "score": 0.9}})
    v = _with_esco(VacancyDoc(id=9, title="Auxiliar contable", country="CO", essential_skills=("Excel",)),
                   skills={"excel": {"uri": "esco:spreadsheets", "score": 0.8}})
    plain = _score(encoder, ProfileDoc(**{**p.__dict__, "esco": {}}), VacancyDoc(**{**v.__dict__, "esco": {}}))
    linked = _score(encoder, p, v)
    assert plain.explanation["missing_skills"] == ["Excel"]
    assert linked.explanation["matched_skills"][0] == {"skill": "Excel", "by": "manejo de hoja de cálculo",
                                                       "similarity": 0.95}


def test_close_runner_up_occupations_count(encoder):
    nurse = {"phrase": "Enfermera", "uri": "esco:nurse", "isco": "2221", "score": 0.7, "labels": {}, "near": []}
    vac = {"phrase": "Enfermero/a de UCI", "uri": "esco:aide", "isco": "5329", "score": 0.63, "labels": {},
           "near": [{"uri": "esco:specialist", "isco": "2221", "score": 0.6}]}
    result = _score(encoder, _with_esco(NURSE, [nurse]), _with_esco(ICU, [vac]))
    assert result.scores["occupation"] == pytest.approx(0.6 / 0.63, abs=1e-3)


@pytest.mark.parametrize("m,k", [(10, 3), (64 * 400, 50), (64 * 400 + 7, 50), (64 * 400, 1)])
def test_top_k_rows_finds_the_exact_best_of_each_row(m, k):
    from matching.scoring import top_k_rows

    rng = np.random.default_rng(m + k)
    scores = rng.standard_normal((20, m)).astype(np.float32)
    got = top_k_rows(scores, k)
    want = np.argsort(-scores, axis=1)[:, :k]
    assert got.shape == want.shape
    assert np.array_equal(np.take_along_axis(scores, got, axis=1), np.take_along_axis(scores, want, axis=1))


def _unit_embedding(rng, phrases: int) -> Embedding:
    rows = rng.standard_normal((phrases + 1, 16)).astype(np.float32)
    rows /= np.linalg.norm(rows, axis=1, keepdims=True)
    return Embedding(rows[0], rows[1:])


def test_pairs_differing_in_one_circumstance_are_scored_as_each_alone():
    """A batch makes each distinct context (location, the rules' verdict, education,
    language) once for the people and vacancies alike in everything it reads: a vacancy or a
    person that differs in any one of those facts gets its own, as scored alone."""
    from dataclasses import replace

    from matching.encoders import Calibration

    rng, calibration = np.random.default_rng(7), Calibration(floor=0.0, ceiling=0.9, phrase_match=0.6)
    base_v = replace(COOK, country="CO", city="Cúcuta", experience_years=0, languages=("en",),
                     education_level="upper_secondary")
    vacancies = [replace(base_v, id=100 + i, **change) for i, change in enumerate([
        {}, {"city": "cucuta "}, {"city": "Bogotá"}, {"city": ""}, {"remote": True}, {"country": "PE"},
        {"country": "PE", "accepts_relocation": False}, {"education_level": "bachelor"},
        {"languages": ("es",)}, {"languages": ("es", "pt")}, {"title": "Enfermera"}])]
    base_p = replace(NURSE, skills=("cooking",), jobs=(), target_countries=("PE",), relocate=True)
    people = [replace(base_p, id=200 + i, **change) for i, change in enumerate([
        {}, {"city": "Cucuta"}, {"city": ""}, {"city": "", "relocate": False}, {"target_countries": ()},
        {"country": "PE", "target_countries": ("CO",)}, {"country": "PE", "target_countries": ("CL",)},
        {"country": "PE", "target_countries": ("CO",), "relocate": False},
        {"languages": {"es": "native", "en": "b2"}}, {"education_level": "primary"},
        {"legal_status": None}, {"nationalities": ("CO",)}, {"education_country": "CO"}])]
    for side in ("person", "vacancy"):
        if side == "person":
            pe = _unit_embedding(rng, len(base_p.phrases()))
            pairs = [(base_p, pe, v, _unit_embedding(rng, len(v.phrases()))) for v in vacancies]
        else:
            ve = _unit_embedding(rng, len(base_v.phrases()))
            pairs = [(p, _unit_embedding(rng, len(p.phrases())), base_v, ve) for p in people]
        blocked: list = []
        together = score_many(pairs, calibration, WEIGHTS, KB, left_out=blocked)
        alone = [r for r in (score_pair(*pair, calibration, WEIGHTS, KB, keep_blocked=True) for pair in pairs)
                 if r is not None]
        assert together + blocked == sorted(alone, key=lambda r: r.explanation["verdict"] == "not_eligible")
        # Each of these circumstances changes something: none is folded into another's context.
        assert len({(r.scores["location"], r.scores["education"], r.scores["language"], r.scores["eligibility"],
                     r.explanation["location"], repr(r.explanation.get("steps"))) for r in alone}) >= 4, side


def test_each_vacancy_skill_is_one_column_and_essential_wins():
    from matching.scoring import _skill_columns

    v = VacancyDoc(id=1, title="Cajero", country="CO", essential_skills=("Excel", "excel", "caja"),
                   optional_skills=("caja", "inglés", "Inglés ", "no listed phrase"))
    v_index = {"cajero": 0, "excel": 1, "caja": 2, "ingles": 3}
    assert _skill_columns(v, v_index) == ([1, 2], [3])


def _skill_matches_of(sims, person: list[str], own: list[bool], vacancy: list[str], essential: list[int],
                      optional: list[int], declined: tuple[str, ...] = ()):
    """The vacancy's skills weighed and put into words (`matching.scoring._skill_weights`,
    `_skill_lists`) on these phrases, one pair alone (no taxonomy links, threshold 0.8): (weight got, matched,
    missing essential, missing optional)."""
    from matching.documents import normalise_phrase, phrase_key
    from matching.scoring import _Batch, _PersonPhrases, _skill_lists, _skill_weights, _VacancyPhrases

    own_rows = np.array(own, dtype=bool)
    pp = _PersonPhrases(person, [normalise_phrase(x) for x in person], {}, {}, {}, own_rows,
                        frozenset(phrase_key(x) for x in declined), [])
    vp = _VacancyPhrases(vacancy, [normalise_phrase(x) for x in vacancy], [phrase_key(x) for x in vacancy],
                         [None] * len(vacancy), [None] * len(vacancy), essential, optional, None,
                         np.arange(len(vacancy)), np.array([*essential, *optional], dtype=np.int64),
                         np.full(len(essential) + len(optional), -1))
    zero = np.array([0])
    b = _Batch([ProfileDoc(id=1, country="CO")], [pp], [None], [vp], zero, zero, zero, zero, sims, [0], [0])
    got, entries = _skill_weights(b, 0.8, {})
    return (float(got[0]), *_skill_lists(vp, entries.found(b, 0)))


def test_skill_matches_weigh_essential_twice_and_sort_the_missing():
    from matching.scoring import ESSENTIAL_WEIGHT

    # Rows: the person's phrases (both skills they wrote); columns: the vacancy's (0 is its title).
    sims = np.array([[0.1, 0.95, 0.2, 0.1, 0.9],
                     [0.1, 0.30, 0.5, 0.1, 0.2]], dtype=np.float32)
    got, matched, missing, missing_optional = _skill_matches_of(
        sims, ["excel", "ventas"], [True, True], ["Cajero", "Excel", "caja", "inglés", "word"], [1, 2], [3, 4])
    assert got == ESSENTIAL_WEIGHT + 1.0
    assert matched == [{"skill": "Excel", "by": "excel", "similarity": 0.95},
                       {"skill": "word", "by": "excel", "similarity": 0.9}]
    assert missing == ["caja"] and missing_optional == ["inglés"]
    assert _skill_matches_of(np.zeros((0, 1), np.float32), [], [], ["Cajero"], [0], []) == (0.0, [], ["Cajero"], [])


def test_a_skill_matched_only_by_a_job_title_is_an_inference_and_a_declined_one_is_missing():
    from matching.scoring import ESSENTIAL_WEIGHT, INFERRED_WEIGHT

    # Row 0 is a job title ("Motorista de caminhão"), row 1 a skill the person wrote.
    sims = np.array([[0.9, 0.85], [0.2, 0.95]], dtype=np.float32)
    person, vacancy = ["Motorista de caminhão", "CNH E"], ["condução de motocicleta", "CNH categoria E"]
    got, matched, missing, _ = _skill_matches_of(sims, person, [False, True], vacancy, [0, 1], [])
    assert matched[0] == {"skill": "condução de motocicleta", "by": "Motorista de caminhão", "similarity": 0.9,
                          "inferred": True}
    assert matched[1] == {"skill": "CNH categoria E", "by": "CNH E", "similarity": 0.95}
    assert got == ESSENTIAL_WEIGHT * INFERRED_WEIGHT + ESSENTIAL_WEIGHT and missing == []
    got, matched, missing, _ = _skill_matches_of(sims, person, [False, True], vacancy, [0, 1], [],
                                                 declined=("condução de motocicleta",))
    assert missing == ["condução de motocicleta"] and got == ESSENTIAL_WEIGHT
    # A skill the person wrote is their own evidence first, even when a title is closer.
    assert _skill_matches_of(np.array([[0.99], [0.85]], np.float32), ["Soldador", "soldadura"], [False, True],
                             ["soldadura MIG"], [0], [])[1] == [
        {"skill": "soldadura MIG", "by": "soldadura", "similarity": 0.85}]




# A person who lists more than a profile's job encodes (`documents.PROFILE_PHRASE_TOKENS`):
# twenty skills of a welder first, then three a vacancy asks for in other words.
_MANY = tuple(f"soldadura de {m}" for m in (
    "acero", "aluminio", "cobre", "tuberías", "estructuras", "tanques", "calderas", "rieles", "puentes", "barcos",
    "hierro", "latón", "bronce", "titanio", "níquel", "plomo", "zinc", "estaño", "plata", "oro"))
_RICH = ProfileDoc(id=20, country="CO", jobs=(Job("Soldador", 5),),
                   skills=(*_MANY, "atención al cliente", "manejo de hoja de cálculo", "preparación de alimentos"))
_ASKS = VacancyDoc(id=21, title="Auxiliar de tienda", country="CO",
                   essential_skills=("Atención al cliente", "Excel", "food preparation"))
_LINKS = {"manejo de hoja de calculo": {"uri": "esco:spreadsheets", "score": 0.9}}


def test_phrases_past_the_encoding_budget_match_by_words_and_by_esco_not_by_meaning(encoder, monkeypatch):
    from matching import documents
    from matching.documents import encoded_phrases

    rich = _with_esco(_RICH, skills=_LINKS)
    asks = _with_esco(_ASKS, skills={"excel": {"uri": "esco:spreadsheets", "score": 0.8}})
    encoded = encoded_phrases(encoder, rich)
    phrases = rich.phrases()
    past = [i for i in range(len(phrases)) if i not in encoded]
    assert encoded[:2] == [0, 1] and [phrases[i] for i in past[-3:]] == list(rich.skills[-3:])
    emb = embed_profile(encoder, rich)
    assert not emb.phrase_vectors[past].any() and all(emb.phrase_vectors[encoded].any(axis=1))

    def matched(profile):
        result = score_pair(profile, embed_profile(encoder, profile), asks, embed_vacancy(encoder, asks),
                            encoder.calibration, WEIGHTS, KB)
        return {m["skill"]: (m["by"], m["similarity"]) for m in result.explanation["matched_skills"]}

    within = matched(rich)
    assert within["Atención al cliente"] == ("atención al cliente", 1.0)          # its words
    assert within["Excel"] == ("manejo de hoja de cálculo", 0.95)                 # its ESCO skill
    assert "food preparation" not in within                                       # not its meaning
    monkeypatch.setattr(documents, "PROFILE_PHRASE_TOKENS", 10**6)
    assert matched(rich)["food preparation"][0] == "preparación de alimentos"    # encoded: by meaning


def test_a_profile_encodes_its_titles_within_their_share_then_its_skills_then_its_other_titles(encoder,
                                                                                               monkeypatch):
    from matching import documents
    from matching.documents import encoded_phrases
    from matching.encoders import token_counts

    titles = ("Soldador", "Cocinero", "Mesero", "Albañil", "Pintor")
    doc = ProfileDoc(id=22, country="CO", jobs=tuple(Job(t, 1) for t in titles), skills=_MANY[:6])
    phrases = doc.phrases()
    assert phrases[:5] == list(titles)
    costs = token_counts(encoder, phrases, "query")
    # The titles' share holds three of them; the budget three titles and four skills: the
    # fifth skill and the two other titles wait.
    monkeypatch.setattr(documents, "PROFILE_TITLE_TOKENS", sum(costs[:3]))
    monkeypatch.setattr(documents, "PROFILE_PHRASE_TOKENS", sum(costs[:3]) + sum(costs[5:9]))
    assert encoded_phrases(encoder, doc) == [0, 1, 2, 5, 6, 7, 8]
    # Room left after every skill goes to the other titles.
    monkeypatch.setattr(documents, "PROFILE_PHRASE_TOKENS", sum(costs[:3]) + sum(costs[5:]) + costs[3])
    assert encoded_phrases(encoder, doc) == [0, 1, 2, 3, 5, 6, 7, 8, 9, 10]
    # Every title within its share: all five, then the skills that fit.
    monkeypatch.setattr(documents, "PROFILE_TITLE_TOKENS", 10**6)
    monkeypatch.setattr(documents, "PROFILE_PHRASE_TOKENS", sum(costs[:7]))
    assert encoded_phrases(encoder, doc) == [0, 1, 2, 3, 4, 5, 6]
    monkeypatch.setattr(documents, "PROFILE_PHRASE_TOKENS", 10**6)
    assert encoded_phrases(encoder, doc) == list(range(len(phrases)))


def test_a_text_is_cut_to_its_tokens_at_a_word(encoder):
    from matching.encoders import cut_to_tokens, token_counts

    text = "Cocinera con diez años de experiencia en restaurantes de Caracas y Bogotá, " * 8
    cut = cut_to_tokens(encoder, text, 40, "query")
    assert text.startswith(cut) and text[len(cut)] == " "
    with_next_word = text[:text.index(" ", len(cut) + 1)]
    assert token_counts(encoder, [cut], "query")[0] <= 40 < token_counts(encoder, [with_next_word], "query")[0]
    assert cut_to_tokens(encoder, "Cocinera", 40, "query") == "Cocinera"
    assert cut_to_tokens(encoder, text, 2, "query") == ""    # the prefix and special tokens alone take more
    # A cost that does not grow with the text (as linking's: a title read without its noise
    # words, or in another wording): what is returned fits, cut back a word at a time.
    def cost(part: str) -> int:
        return 100 if part.endswith(("diez", "Caracas", "Bogotá,")) else len(part.split())
    assert cut_to_tokens(encoder, text, 12, cost=cost) == "Cocinera con diez años de experiencia en restaurantes de Caracas y"
    assert cut_to_tokens(encoder, text, 4, cost=cost) == "Cocinera con diez años"
    assert cut_to_tokens(encoder, text, 3, cost=cost) == "Cocinera con"    # "... diez a" fits, "... diez" not
