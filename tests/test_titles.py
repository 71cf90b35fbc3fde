"""Real job titles: their noise, plurals, the ranking model and the real-title data.

The linking tests use the whole shipped taxonomy and the real encoder, as a fresh
install's worker links titles.
"""
from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest

from matching.linking import normalise_title
from matching.title_ranker import FEATURES, MODEL_FILE, RankerModel
from matching.titles import clean_title, load_noise, singular
from scripts.real_titles import DATA, SETS, load_set, pairs_task, ranks_any, split_of

NOISE = load_noise()


@pytest.fixture(scope="module")
def shipped():
    from matching.shipped import read_shipped

    return read_shipped()


@pytest.fixture(scope="module")
def full_index(shipped, encoder, tmp_path_factory):
    from matching.index import build_index
    from matching.regional import apply_regional_terms

    return build_index(apply_regional_terms(shipped), encoder, tmp_path_factory.mktemp("esco"))


@pytest.mark.parametrize(("title", "left"), NOISE.examples)
def test_noise_examples(title, left):
    assert normalise_title(clean_title(title, {"remote sensing", "senior lecturer"})) == left


def test_a_noise_word_in_a_name_stays_and_nothing_is_emptied():
    # 'remote sensing' is a phrase of ESCO's labels: 'remote' names the work there.
    assert clean_title("Remote Sensing Technician", {"remote sensing"}) == "Remote Sensing Technician"
    assert clean_title("Remote Sensing Technician") == "Sensing Technician"
    # A title that is all noise is kept as written, not emptied.
    assert clean_title("URGENTE - Tiempo completo") == "URGENTE - Tiempo completo"
    # Words kept keep their case and accents (the encoder reads them).
    assert clean_title("Técnico en Enfermería (PCD)") == "Técnico en Enfermería"


def test_singular_in_three_languages_on_both_sides_alike():
    assert singular("medicos especialistas en nefrologia") == "medico especialista en nefrologia"
    assert singular("trabajadores agricolas") == "trabajador agricola"
    assert singular("profissionais de operacoes") == "profissional de operacao"
    assert singular("registered nurses") == "registered nurse"
    # Short words and words that are not plurals stay.
    assert singular("gas bus analysis mas") == "gas bus analysis mas"


def test_every_real_title_file_is_documented_and_well_formed(shipped):
    files = sorted(DATA.glob("*.tsv"))
    assert {f.stem for f in files} <= set(SETS), "a file the evaluation does not know"
    known = {c.uri for c in shipped.occupations}
    for path in files:
        source = path.with_suffix(".source.md")
        assert source.exists(), f"{path.name} needs {source.name} (source and licence)"
        assert "icence" in source.read_text(encoding="utf-8"), f"{source.name} says nothing of the licence"
        with open(path, encoding="utf-8", newline="") as fh:
            rows = list(csv.DictReader(fh, delimiter="\t", quoting=csv.QUOTE_NONE))
        assert rows and set(rows[0]) == {"id", "title", "matches"}, path.name
        assert len({r["id"] for r in rows}) == len(rows), f"{path.name}: an id twice"
        uris = {tok.partition(":")[2] for r in rows for tok in r["matches"].split()}
        occupations = {u for u in uris if "/occupation/" in u}
        # A few URIs of older ESCO versions may be missing from the shipped one: not many.
        assert len(occupations - known) <= 0.01 * len(occupations), path.name


def test_the_split_is_stable_and_about_even():
    ids = [str(i) for i in range(2000)]
    halves = [split_of("es_sepe", i) for i in ids]
    assert halves == [split_of("es_sepe", i) for i in ids]
    assert 900 < halves.count("dev") < 1100
    assert {split_of("pt_cpp", i) for i in ids} == {"dev", "held-out"}


def test_sets_resolve_and_leave_out_residual_categories(shipped):
    es = load_set("es_sepe", shipped, "held-out")
    assert len(es) > 900 and all(es.gold)
    assert not any("no clasificad" in t.casefold() for t in es.titles)
    assert not any(len(i) == 4 for i in es.ids)   # ESCO's rows for whole ISCO groups
    co = load_set("co_cuoc", shipped, "dev")
    assert co.isco_only and all(len(g) >= 1 for g in co.gold)


def test_ranks_count_the_best_right_item_and_ties_against_it():
    scores = np.array([[0.9, 0.5, 0.5, 0.1], [0.2, 0.2, 0.8, 0.1]])
    assert ranks_any(scores, [{1, 3}, {0}]).tolist() == [3, 3]
    assert ranks_any(scores, [{0}, {2, 3}]).tolist() == [1, 1]


def test_pairs_task_relevance_is_an_exact_or_close_occupation(shipped):
    seekers = [load_set("es_sepe", shipped, "held-out"), load_set("pt_cpp", shipped, "held-out")]
    vacancies = load_set("en_jobboard", shipped, "held-out")
    s_titles, v_titles, relevant, origin = pairs_task(seekers, vacancies)
    assert len(s_titles) >= 80 and len(v_titles) > 1000 and set(origin) == {0, 1}
    occupation = [next(iter(o)) for o in vacancies.close if len(o) == 1]
    for title, right, k in zip(s_titles, relevant, origin, strict=True):
        close = seekers[k].close[seekers[k].titles.index(title)]
        assert right and all(occupation[j] in close for j in right)


def test_the_shipped_ranking_model_is_fitted_on_these_features():
    model = RankerModel.load()
    assert model is not None, f"{MODEL_FILE} missing or fitted on other features"
    assert len(model.coef) == len(FEATURES) and model.candidates >= 10
    assert "development half" in model.about
    # More of the title's words in an occupation's labels never makes it less likely.
    base = np.zeros(len(FEATURES), dtype=np.float32)
    more = base.copy()
    more[FEATURES.index("label_spelled_out")] = 1.0
    assert model.probability(more[None])[0] > model.probability(base[None])[0]


@pytest.mark.parametrize(("title", "english"), [
    ("Se busca mesero con experiencia - urgente", "waiter/waitress"),
    ("Enfermero/a de UCI", "nurse responsible for general care"),
    ("Vaga: Auxiliar de limpeza (PCD)", "domestic cleaner"),
    ("Motorista de caminhão - contrata-se urgente", "cargo vehicle driver"),
    ("Hiring Part Time Art & Craft Teacher", "visual arts teacher"),
])
def test_real_titles_link_to_their_occupation(full_index, title, english):
    (links,) = full_index.link_occupations([title], top_k=3)
    got = [full_index.occupation(link.index).label("en") for link in links]
    assert english in got, got
    assert all(0.0 <= link.score <= 1.0 for link in links)


def test_confidence_is_low_for_a_title_that_names_no_occupation(full_index):
    (sure,) = full_index.link_occupations(["Cocinero"], top_k=1)
    (vague,) = full_index.link_occupations(["Minlee Crane Services Sdn. Bhd."], top_k=1)
    assert sure[0].score > 0.5 > vague[0].score


def test_source_notes_exist_for_the_data_folder():
    assert (Path(DATA) / "README.md").exists()


def test_a_wrong_first_link_costs_part_of_the_score_and_a_doubtful_one_counts_less():
    from matching.scoring import _closeness

    nurse = {"uri": "nurse", "isco": "2221", "score": 0.8, "probability": True,
             "skill_profile": {"care": 0.8, "medication": 0.6}}
    same = {**nurse, "score": 0.8}
    # Another first link (a sibling), but the work overlaps: part of the score, not none.
    sibling = {"uri": "specialist", "isco": "2221", "score": 0.8, "probability": True,
               "skill_profile": {"care": 0.6, "ventilation": 0.8}}
    cook = {"uri": "cook", "isco": "5120", "score": 0.8, "probability": True, "skill_profile": {"cooking": 1.0}}
    assert _closeness(nurse, same) == pytest.approx(0.8)
    assert 0.0 < _closeness(nurse, sibling) < _closeness(nurse, same)
    assert _closeness(nurse, cook) == 0.0
    doubtful = {**same, "score": 0.2}
    assert _closeness(nurse, doubtful) < _closeness(nurse, same)


def test_implied_skills_come_from_likely_links_and_explanations_stay_readable(full_index, encoder):
    from matching import Job, ProfileDoc, VacancyDoc, embed_profile, embed_vacancy, score_pair
    from matching.annotate import IMPLIED_PROBABILITY, annotate

    p_esco = annotate(full_index, ["Enfermera de UCI"], [])
    implied = p_esco["implied_skills"]
    assert implied and all(p >= IMPLIED_PROBABILITY and title == "Enfermera de UCI" for p, title in implied.values())
    v_esco = annotate(full_index, ["Hiring Part Time Registered Nurse"], [], inherit_for="en")
    profile = ProfileDoc(id=1, country="CO", jobs=(Job("Enfermera de UCI", 3.0),), esco=p_esco,
                         languages={"es": "native"})
    vacancy = VacancyDoc(id=2, title="Hiring Part Time Registered Nurse", country="CO", esco=v_esco,
                         essential_skills=tuple(v_esco["inherited_skills"]), essential_skills_given=False)
    pair = score_pair(profile, embed_profile(encoder, profile), vacancy, embed_vacancy(encoder, vacancy),
                      encoder.calibration, {"semantic": 1, "skills": 2, "occupation": 2})
    assert pair.scores["occupation"] > 0.2
    about = pair.explanation["occupations"]
    assert "skill_profile" not in about["vacancy"] and all("skill_profile" not in o for o in about["profile"])
    assert "skill_profile" in v_esco["occupations"][0]   # kept in the annotation, for scoring
