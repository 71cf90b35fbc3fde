"""A benchmark's section of a document (docs/benchmarks.md): replaced in place between its
markers, or added at the end; every other section is left as it is."""
from __future__ import annotations

import subprocess
from pathlib import Path

__all__ = ["BENCHMARKS", "current_commit", "markers", "write_section"]

ROOT = Path(__file__).resolve().parent.parent
BENCHMARKS = ROOT / "docs" / "benchmarks.md"


def current_commit() -> str:
    """The checkout's commit (short), or "unknown" outside git."""
    try:
        return subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True,
                              check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def markers(name: str) -> tuple[str, str]:
    """The begin and end markers of the section `name` (HTML comments: not rendered)."""
    return f"<!-- {name}: begin -->", f"<!-- {name}: end -->"


def write_section(path: Path, name: str, body: str) -> None:
    """Put `body` between the markers of `name` in `path`, in place of what was there."""
    begin, end = markers(name)
    section = f"{begin}\n{body.strip()}\n{end}"
    doc = path.read_text(encoding="utf-8") if path.exists() else ""
    if begin in doc and end in doc:
        doc = doc[:doc.index(begin)] + section + doc[doc.index(end) + len(end):]
    else:
        doc = doc.rstrip("\n") + "\n\n" + section + "\n"
    path.write_text(doc, encoding="utf-8")
