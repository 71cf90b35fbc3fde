"""The verdicts and texts the eligibility rules gave before they were split into named rules
(issue 13), as changed on purpose since (issue 15: steps a person can take, protection first,
"in/of <country>" phrases), written down over a grid of people and jobs across the real knowledge base, so
that any change to what `assess` decides or what `describe_*` says is seen.

The grid is built here, in a fixed order; the file holds, per case, the index of its outcome
in a table of distinct outcomes (each step and reason stored once). When a rule or a text is
changed on purpose, rewrite the file and review its diff:

    python -m tests.test_eligibility_golden --write
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import sys
from collections.abc import Iterator
from itertools import product
from pathlib import Path

import pytest

from config.mobility import load_knowledge_base
from matching.eligibility import Job, Person, assess, describe_reason, describe_step
from matching.i18n import LOCALES
from matching.knowledge import KnowledgeBase

GOLDEN = Path(__file__).parent / "data" / "eligibility_golden.json"
KB = load_knowledge_base()
# The same with nothing left to apply for in Colombia: no route is open there.
_CO = KB.countries["CO"]
CLOSED = KnowledgeBase({**KB.countries, "CO": _CO.model_copy(update={"statuses": [
    s.model_copy(update={"obtain": "closed"}) for s in _CO.statuses]})}, KB.degrees)
KBS = {"real": KB, "closed": CLOSED, "none": None}
# The day whose open application windows count: fixed, so that a window closing later does
# not change what is written down.
DAY = dt.date(2026, 12, 6)
COUNTRIES = (*sorted(KB.countries), "US")   # every country of the knowledge base, and one it lacks
NATIONALITIES = ((), ("VE",), ("HT",), ("VE", "PE"))
# Occupations that are not regulated, regulated somewhere, or reserved somewhere (MX, PA).
OCCUPATIONS = (None, "5120", "2512", "2221", "3221", "2611", "2411", "0110")
EDUCATION = ((None, None, ()), ("upper_secondary", "VE", ()), ("post_secondary", "VE", ()),
             ("short_cycle", "VE", ()), ("bachelor", "VE", ()), ("bachelor", "VE", ("JOB",)),
             ("bachelor", "JOB", ()), ("bachelor", None, ()), ("master", "AR", ()), ("bachelor", "BR", ()),
             ("doctorate", "CO", ()), ("unknown_level", "VE", ()))
SPOKEN = ({}, {"es": "native"}, {"es": "native", "pt": "basic"}, {"pt": "fluent"}, {"en": "intermediate"},
          {"qu": "native", "es": "basic"})
WANTED = ((), ("es",), ("pt",), ("en",), ("es", "pt"))


def _working_status(country: str) -> str | None:
    """A status of the country that lets a Venezuelan work, to hold the permit steady."""
    c = KB.country(country)
    found = [s.code for s in c.statuses if s.authorises_work and s.kind != "national"
             and ("*" in s.holders or "VE" in s.holders)] if c else []
    return found[0] if found else None


def _jobs_for_permits(current: str | None) -> Iterator[Job]:
    for country in COUNTRIES:
        reserved = KB.country(country) is not None and bool(KB.country(country).reserved)
        for remote, isco in product((False, True) if country != current else (False,),
                                    (None, "0110") if reserved else (None,)):
            yield Job(country, isco, remote=remote)


def _permit_cases() -> Iterator[tuple[str, Person, Job]]:
    """Where the person lives, with what status and nationality, against every job country."""
    for current in (*COUNTRIES, None):
        statuses = KB.statuses(current) if current else []
        for status, nats in product((None, "unknown_status", *statuses),
                                    (*NATIONALITIES, (current,) if current else ("BR",))):
            for job in _jobs_for_permits(current):
                yield "real", Person(nats, current, status), job


def _degree_cases() -> Iterator[tuple[str, Person, Job]]:
    """A Venezuelan who may work there, with every kind of degree, against every kind of job."""
    for country in COUNTRIES:
        status = _working_status(country)
        for isco, need, regulated, (level, issued, recognised) in product(
                OCCUPATIONS, (None, "upper_secondary", "short_cycle", "bachelor", "master"), (False, True),
                EDUCATION):
            issued = country if issued == "JOB" else issued
            recognised = tuple(country if r == "JOB" else r for r in recognised)
            person = Person(("VE",), country, status, level, issued, recognised)
            yield "real", person, Job(country, isco, need, regulated=regulated)


def _language_cases() -> Iterator[tuple[str, Person, Job]]:
    for country, spoken, wanted, current in product(COUNTRIES, SPOKEN, WANTED, (None, "CO")):
        current = current or country
        person = Person(("VE",), current, _working_status(current), languages=spoken)
        yield "real", person, Job(country, "5120", languages=wanted)


def _generic_cases() -> Iterator[tuple[str, Person, Job]]:
    """No knowledge base: the generic rules."""
    for current, status, nats, country, (level, issued), regulated in product(
            ("CO", "US", None), (None, "irregular", "ppt"), ((), ("VE",), ("CO",)), ("CO", "PE", "US"),
            ((None, None), ("bachelor", "VE"), ("bachelor", "CO")), (False, True)):
        person = Person(nats, current, status, level, issued, languages={"es": "native"})
        yield "none", person, Job(country, "2221", "bachelor", ("pt",), regulated)


def _closed_cases() -> Iterator[tuple[str, Person, Job]]:
    for status, nats, current in product((None, *KB.statuses("CO")), (("VE",), ("HT",), ()), ("CO", "PE")):
        yield "closed", Person(nats, current, status), Job("CO", "5120")


def cases() -> list[tuple[str, Person, Job]]:
    """(kb name, person, job) over grids of the right to work, the degree and the language,
    with no knowledge base, and with no route open."""
    return [*_permit_cases(), *_degree_cases(), *_language_cases(), *_generic_cases(), *_closed_cases()]


def _key(kb_name: str, person: Person, job: Job) -> str:
    return repr((kb_name, person, job))


def _ids(items: list[dict], table: dict[str, int], kb_name: str) -> list[int]:
    """The rows of `table` holding these steps or reasons (added when new)."""
    return [table.setdefault(json.dumps([kb_name, item], sort_keys=True, ensure_ascii=False), len(table))
            for item in items]


def compute() -> dict:
    """Assess every case and describe every distinct step and reason in every locale."""
    steps: dict[str, int] = {}
    reasons: dict[str, int] = {}
    outcomes: dict[str, int] = {}
    order = []
    grid = hashlib.sha256()
    for kb_name, person, job in cases():
        grid.update(_key(kb_name, person, job).encode())
        verdict = assess(KBS[kb_name], person, job, DAY).to_dict()
        outcome = json.dumps([verdict["verdict"], _ids(verdict["steps"], steps, kb_name),
                              _ids(verdict["reasons"], reasons, kb_name), verdict.get("overqualified", False),
                              _ids(verdict.get("routes", []), steps, kb_name)])
        order.append(outcomes.setdefault(outcome, len(outcomes)))

    def described(table, describe):
        out = []
        for text in table:
            kb_name, item = json.loads(text)
            out.append([kb_name, item, {loc: describe(KBS[kb_name], item, loc) for loc in LOCALES}])
        return out

    return {"grid": grid.hexdigest(), "cases": len(order),
            "steps": described(steps, describe_step), "reasons": described(reasons, describe_reason),
            "outcomes": [json.loads(o) for o in outcomes], "order": order}


@pytest.fixture(scope="module")
def golden() -> dict:
    return json.loads(GOLDEN.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def now() -> dict:
    return compute()


def test_the_grid_is_the_one_written_down(golden, now):
    assert (now["grid"], now["cases"]) == (golden["grid"], golden["cases"]), \
        "the grid of cases changed: rewrite the file (see the module docstring)"


def _expand(data: dict, index: int) -> dict:
    verdict, steps, reasons, overqualified, routes = data["outcomes"][data["order"][index]]
    return {"verdict": verdict, "steps": [data["steps"][i][:2] for i in steps],
            "reasons": [data["reasons"][i][:2] for i in reasons], "overqualified": overqualified,
            "routes": [data["steps"][i][:2] for i in routes]}


def test_every_verdict_is_the_one_written_down(golden, now):
    grid = cases()
    wrong = [(_key(*grid[i]), _expand(golden, i), _expand(now, i)) for i in range(len(grid))
             if _expand(golden, i) != _expand(now, i)]
    assert not wrong, f"{len(wrong)} verdicts changed, the first: {wrong[0]}"


def test_every_text_is_the_one_written_down(golden, now):
    for table in ("steps", "reasons"):
        before = {json.dumps(row[:2], sort_keys=True): row[2] for row in golden[table]}
        after = {json.dumps(row[:2], sort_keys=True): row[2] for row in now[table]}
        assert before.keys() == after.keys()
        wrong = [(k, before[k], after[k]) for k in before if before[k] != after[k]]
        assert not wrong, f"{len(wrong)} {table} read differently, the first: {wrong[0]}"


def test_the_grid_reaches_every_verdict_step_and_reason(golden):
    verdicts = {o[0] for o in golden["outcomes"]}
    kinds = {row[1]["kind"] for row in golden["steps"]}
    codes = {row[1]["code"] for row in golden["reasons"]}
    assert verdicts == {"eligible_now", "after_steps", "not_eligible"}
    assert kinds == {"permit", "recognition", "licence", "language"}
    assert codes == {"national", "status_authorises_work", "status_does_not_authorise_work", "status_not_given",
                     "moving", "no_route", "reserved_for_nationals", "regulated", "below_required_level",
                     "foreign_degree", "education_country_not_given", "overqualified", "country_not_covered"}
    assert any(o[3] and o[4] for o in golden["outcomes"])   # over-qualified, with the route shown


def _dumps(data: dict) -> str:
    """JSON with one row per line, so that a review of the file's diff reads case by case."""
    def rows(items):
        return "[\n" + ",\n".join(json.dumps(i, ensure_ascii=False, sort_keys=True) for i in items) + "\n]"

    order = [data["order"][i:i + 40] for i in range(0, len(data["order"]), 40)]
    parts = [f'"grid": {json.dumps(data["grid"])}', f'"cases": {data["cases"]}',
             f'"steps": {rows(data["steps"])}', f'"reasons": {rows(data["reasons"])}',
             f'"outcomes": {rows(data["outcomes"])}',
             '"order": [\n' + ",\n".join(",".join(map(str, chunk)) for chunk in order) + "\n]"]
    return "{\n" + ",\n".join(parts) + "\n}\n"


if __name__ == "__main__":
    if sys.argv[1:] != ["--write"]:
        raise SystemExit(__doc__)
    GOLDEN.parent.mkdir(exist_ok=True)
    GOLDEN.write_text(_dumps(compute()), encoding="utf-8")
    print(f"wrote {GOLDEN}")
