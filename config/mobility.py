"""Loading the mobility knowledge base: countries, residence statuses, recognition of
degrees, regulated professions and national degree names.

The facts live in reviewed data files beside this module, so that a maintainer can change
them when the law changes, without touching code:

    config/countries/<cc>.toml   one file per country (ISO 3166 alpha-2, lower case)
    config/education.toml        national degree names and their ISCED 2011 levels
    config/occupations.toml      title words that give a vacancy its ISCO-08 group when ESCO does not

Every rule carries its source (institution, address) and the date it was checked against
that source; a fact that is not certain says what is uncertain in `uncertain`. The files
are validated when the web app or a worker starts (`load_knowledge_base()`), and by

    python -m config.mobility [DIR]               # validate and print a summary
    python -m config.mobility --uncertain [DIR]   # list what the data says is uncertain
    python -m config.mobility --docs              # rewrite that list in docs/mobility.md

A file that breaks the schema stops start-up with the file, the field and the reason.
The schema itself (the types, their validation and `KnowledgeBase`) is the core's:
`matching.knowledge`; this module only finds, reads and reports on the files.
"""
from __future__ import annotations

import functools
import sys
import tomllib
from pathlib import Path

from pydantic import ValidationError

from matching.knowledge import Country, Degree, EducationFile, KnowledgeBase, OccupationHint, OccupationsFile, Status

__all__ = [
    "CONFIG_DIR",
    "COUNTRIES_DIR",
    "EDUCATION_FILE",
    "REQUIRED_COUNTRIES",
    "KnowledgeBaseError",
    "load_knowledge_base",
]

CONFIG_DIR = Path(__file__).resolve().parent
COUNTRIES_DIR = CONFIG_DIR / "countries"
EDUCATION_FILE = CONFIG_DIR / "education.toml"

# The members of the Quito Process this knowledge base must cover, and Venezuela as the
# main country of origin.
REQUIRED_COUNTRIES = ("AR", "BR", "CL", "CO", "CR", "DO", "EC", "GY", "MX", "PA", "PY", "PE", "UY", "VE")


class KnowledgeBaseError(RuntimeError):
    """A data file of the knowledge base is missing or breaks the schema."""


def _describe(exc: ValidationError) -> str:
    lines = []
    for err in exc.errors(include_url=False):
        where = ".".join(str(p) for p in err["loc"]) or "(file)"
        lines.append(f"  {where}: {err['msg']}")
    return "\n".join(lines)


def _read(path: Path) -> dict:
    try:
        with open(path, "rb") as fh:
            return tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        raise KnowledgeBaseError(f"{path}: not valid TOML: {exc}") from exc


def _load_countries(countries_dir: Path, required: tuple[str, ...], errors: list[str]) -> dict[str, Country]:
    """Read one file per country, adding what is wrong to `errors`."""
    countries: dict[str, Country] = {}
    for path in sorted(countries_dir.glob("*.toml")):
        try:
            country = Country.model_validate(_read(path))
        except ValidationError as exc:
            errors.append(f"{path}:\n{_describe(exc)}")
            continue
        if path.stem.upper() != country.code:
            errors.append(f"{path}: the file name must be the country code in lower case ({country.code.lower()}.toml)")
        countries[country.code] = country
    missing = [c for c in required if c not in countries]
    if missing:
        errors.append(f"{countries_dir}: no file for {', '.join(missing)}")
    return countries


def _load_degrees(education_file: Path, errors: list[str]) -> list[Degree]:
    """Read the national degree names, adding what is wrong to `errors`."""
    try:
        degrees = EducationFile.model_validate(_read(education_file)).degrees
    except ValidationError as exc:
        errors.append(f"{education_file}:\n{_describe(exc)}")
        return []
    except FileNotFoundError:
        errors.append(f"{education_file}: missing")
        return []
    seen = set()
    for d in degrees:
        if (d.country, d.code) in seen:
            errors.append(f"{education_file}: degree {d.country} {d.code} is listed twice")
        seen.add((d.country, d.code))
    return degrees


def _load_hints(occupations_file: Path | None, errors: list[str]) -> list[OccupationHint]:
    """Read the title hints (the file is optional), adding what is wrong to `errors`."""
    if occupations_file is None or not occupations_file.exists():
        return []
    try:
        return OccupationsFile.model_validate(_read(occupations_file)).hints
    except ValidationError as exc:
        errors.append(f"{occupations_file}:\n{_describe(exc)}")
        return []


def _load(countries_dir: Path, education_file: Path, required: tuple[str, ...],
          occupations_file: Path | None = None) -> KnowledgeBase:
    errors: list[str] = []
    countries = _load_countries(countries_dir, required, errors)
    degrees = _load_degrees(education_file, errors)
    hints = _load_hints(occupations_file, errors)
    if errors:
        raise KnowledgeBaseError("The mobility knowledge base is invalid:\n" + "\n".join(errors))
    return KnowledgeBase(countries, degrees, hints)


@functools.lru_cache(maxsize=4)
def load_knowledge_base(root: str | Path | None = None,
                        required: tuple[str, ...] = REQUIRED_COUNTRIES) -> KnowledgeBase:
    """Read and validate the knowledge base (cached: the files are read once per process).

    Args:
        root: the folder holding `countries/` and `education.toml` (default: `config/`;
            PUENTE_MOBILITY_DIR points a deployment at its own reviewed copy).
        required: the countries that must have a file.

    Raises:
        KnowledgeBaseError: with every file, field and reason that is wrong.
    """
    root = Path(root) if root else CONFIG_DIR
    return _load(root / "countries", root / "education.toml", required, root / "occupations.toml")


def uncertain_markdown(kb: KnowledgeBase) -> str:
    """The rules marked uncertain, as a Markdown list (for docs/mobility.md)."""
    lines = [f"- **{where}**: {what}" for where, what in kb.uncertain()]
    return "\n".join(lines) + "\n"


def _window(status) -> str:
    if status.opens and status.closes:
        return f" ({status.opens} to {status.closes})"
    if status.closes:
        return f" (until {status.closes})"
    return f" (from {status.opens})" if status.opens else ""


def protection_markdown(kb: KnowledgeBase) -> str:
    """What an adult Venezuelan without papers living in each host is shown, as a Markdown
    table (for docs/mobility.md): the asylum procedure, the routes they could take from
    inside (whatever their window says today), the free help, and the oldest check of those
    rules."""
    from matching.eligibility.protection import asylum_procedure, regularisation_routes

    def row(c: Country, held: Status) -> str:
        asylum = asylum_procedure(c, ("VE",))
        found = regularisation_routes(c, held, ("VE",), None)
        rules = [held, *([asylum] if asylum else []), *found, *c.help]
        routes_text = "; ".join(f"`{s.code}`{_window(s)}" for s in found) or "none"
        authority = asylum.authority if asylum is not None and asylum.authority else "—"
        return (f"| {c.code} | {authority} | {routes_text} | {'; '.join(h.name for h in c.help)} | "
                f"{min(r.source.checked for r in rules)} |")

    lines = ["| country | asylum procedure | routes from inside (window) | free help | oldest check |",
             "| --- | --- | --- | --- | --- |"]
    lines += [row(c, c.status("irregular")) for _, c in sorted(kb.countries.items())
              if "host" in c.roles and c.status("irregular") is not None]
    return "\n".join(lines) + "\n"


DOCS_FILE = CONFIG_DIR.parent / "docs" / "mobility.md"
DOCS_MARKER = "Generated by `python -m config.mobility --docs` from the data.\n\n"
UNCERTAIN_HEADING = "\n## What the data says is uncertain\n\n"


def write_docs(kb: KnowledgeBase, path: Path = DOCS_FILE) -> None:
    """Replace the generated sections at the end of docs/mobility.md."""
    text = path.read_text(encoding="utf-8")
    head = text.split(DOCS_MARKER, 1)[0]
    path.write_text(head + DOCS_MARKER + protection_markdown(kb) + UNCERTAIN_HEADING + uncertain_markdown(kb),
                    encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    argv = list(argv or [])
    markdown, docs = "--uncertain" in argv, "--docs" in argv
    argv = [a for a in argv if a not in ("--uncertain", "--docs")]
    try:
        kb = load_knowledge_base(argv[0] if argv else None)
    except KnowledgeBaseError as exc:
        print(exc, file=sys.stderr)
        return 1
    if markdown:
        print(uncertain_markdown(kb), end="")
        return 0
    if docs:
        write_docs(kb)
        print(f"wrote {DOCS_FILE}")
        return 0
    for code, c in sorted(kb.countries.items()):
        print(f"{code} {c.names.en:<20} statuses={len(c.statuses):2d} regulated={len(c.regulated):2d} "
              f"reserved={len(c.reserved)} recognition={'yes' if c.recognition else 'no'}")
    print(f"{len(kb.degrees)} degree names; oldest check {kb.oldest_check()}; "
          f"{len(kb.uncertain())} rules marked uncertain")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
