"""Known vulnerabilities in the dependencies: `./scripts/audit [requirements.txt]`, run by .ci/run.

pip-audit checks the pins of requirements.txt, and the packages installed in .venv beside
them (the dependencies of dependencies, at the versions the tests ran with), against
PyPI's advisory data (`--vulnerability-service pypi`: PyPI is a package registry, which CI
reaches; osv.dev it does not). requirements.txt pins every direct dependency, so pip-audit
is given the pins as they are (`--no-deps --disable-pip`) instead of installing the whole
tree, torch included, into a scratch environment on every run.

A canary comes first: pip-audit must find the known vulnerabilities of requests 2.19.0
(CVE-2018-18074). If it finds none, its service does not answer from this machine, and
that is said loudly: on the CI machine the registry serves PyPI's JSON per project but
answers 404 per release (`/pypi/NAME/VERSION/json`, what pip-audit asks). Then the
per-project JSON is read instead: its `vulnerabilities` are those of the latest release,
so a pin that is the latest release is audited exactly, and an older pin is listed as not
audited.

Exit status: 0 no known vulnerability; 1 a known vulnerability (listed with the versions
that fix it: raise the pin, or if no release fixes it, add its id to IGNORED with the
reason); 2 some package could not be audited, unless PUENTE_AUDIT_PARTIAL=ok, which turns
that into a warning (.ci/run sets it while the CI machine cannot reach a full service).
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from importlib import metadata
from pathlib import Path

from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

ROOT = Path(__file__).resolve().parent.parent
CANARY = "requests==2.19.0"   # CVE-2018-18074 (PYSEC-2018-28), fixed in 2.20.0
# The fallback's canary: the latest release of pycrypto (2.6.1, abandoned) has advisories
# that no release fixes, so the per-project JSON must call it vulnerable.
FALLBACK_CANARY = ("pycrypto", "2.6.1")
PYPI_JSON = "https://pypi.org/pypi/{}/json"

# Vulnerability id -> why it is accepted (no fixed release, or not reachable in Puente).
IGNORED: dict[str, str] = {}


def read_pins(path: Path) -> dict[str, tuple[str, str]]:
    """`name==version` lines of a requirements file: {canonical name: (name, version)}."""
    pins = {}
    for line in path.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if "==" not in line or line.startswith("-"):
            continue
        name, version = (part.strip() for part in line.split("==", 1))
        name = name.split("[", 1)[0]
        pins[canonicalize_name(name)] = (name, version.split(";", 1)[0].strip())
    return pins


def installed() -> dict[str, tuple[str, str]]:
    """The distributions of this interpreter's environment (.venv), local versions cut (2.13.0+cpu -> 2.13.0)."""
    out = {}
    for dist in metadata.distributions():
        name = dist.metadata["Name"]
        if name and canonicalize_name(name) != "puente":   # this checkout (scripts/_venv.sh), not PyPI's
            out[canonicalize_name(name)] = (name, dist.version.split("+", 1)[0])
    return out


def _pip_audit(requirement_files: list[Path]) -> dict | None:
    """pip-audit's JSON report on these files, or None when it could not run at all."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "report.json"
        cmd = [str(Path(sys.executable).parent / "pip-audit"), "--vulnerability-service", "pypi", "--no-deps",
               "--disable-pip", "--progress-spinner", "off", "-f", "json", "-o", str(out)]
        for path in requirement_files:
            cmd += ["-r", str(path)]
        for vuln_id in IGNORED:
            cmd += ["--ignore-vuln", vuln_id]
        done = subprocess.run(cmd, capture_output=True, text=True)
        if not out.exists():
            print(done.stderr.strip()[-2000:], file=sys.stderr)
            return None
        return json.loads(out.read_text())


def service_answers() -> bool:
    """Whether pip-audit's service finds the canary's known vulnerabilities from here."""
    with tempfile.TemporaryDirectory() as tmp:
        canary = Path(tmp) / "canary.txt"
        canary.write_text(CANARY + "\n")
        report = _pip_audit([canary])
    return bool(report and any(dep.get("vulns") for dep in report.get("dependencies", [])))


def judge_project(version: str, project: dict) -> tuple[str, list[dict] | str]:
    """Audit one pin from PyPI's per-project JSON: ("ok", []), ("vulnerable", [advisories])
    or ("unaudited", why). Its `vulnerabilities` are those of the latest release only."""
    latest = (project.get("info") or {}).get("version", "")
    try:
        same = Version(version) == Version(latest)
    except InvalidVersion:
        same = version == latest
    if not same:
        return "unaudited", f"pinned {version}, latest {latest}: advisories here are the latest release's only"
    found = [v for v in project.get("vulnerabilities") or []
             if not v.get("withdrawn") and not ({v.get("id"), *(v.get("aliases") or [])} & set(IGNORED))]
    return ("vulnerable", found) if found else ("ok", [])


def _project(name: str) -> dict | None:
    try:
        with urllib.request.urlopen(PYPI_JSON.format(name), timeout=30) as resp:
            return json.load(resp)
    except (urllib.error.URLError, TimeoutError, ValueError):
        return None


def fallback(pins: dict[str, tuple[str, str]]) -> tuple[list[tuple], list[tuple]]:
    """(vulnerable [(name, version, advisory)], unaudited [(name, version, why)]) from the per-project JSON."""
    items = sorted(pins.values(), key=lambda p: p[0].lower())
    with ThreadPoolExecutor(8) as pool:
        projects = list(pool.map(lambda p: _project(p[0]), items))
    vulnerable, unaudited = [], []
    for (name, version), project in zip(items, projects):
        if project is None:
            unaudited.append((name, version, "no answer from PyPI"))
            continue
        verdict, detail = judge_project(version, project)
        if verdict == "vulnerable":
            vulnerable += [(name, version, adv) for adv in detail]
        elif verdict == "unaudited":
            unaudited.append((name, version, detail))
    return vulnerable, unaudited


def _report(vulnerable: list[tuple], unaudited: list[tuple], audited: int) -> int:
    for name, version, adv in vulnerable:
        fixed = ", ".join(adv.get("fixed_in") or []) or "no fixed release"
        print(f"VULNERABLE {name} {version}: {adv.get('id')} (fixed in: {fixed}) {adv.get('link') or ''}".rstrip())
    for name, version, why in unaudited:
        print(f"NOT AUDITED {name} {version}: {why}")
    print(f"audit: {audited} packages audited, {len(vulnerable)} known vulnerabilities, "
          f"{len(unaudited)} not audited")
    if vulnerable:
        return 1
    if audited <= 0:
        print("audit FAILED: nothing could be audited", file=sys.stderr)
        return 2
    if unaudited:
        if os.environ.get("PUENTE_AUDIT_PARTIAL") == "ok":
            print(f"WARNING: {len(unaudited)} packages were NOT audited (PUENTE_AUDIT_PARTIAL=ok)", file=sys.stderr)
            return 0
        return 2
    return 0


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="./scripts/audit", description=__doc__.split("\n")[0])
    parser.add_argument("requirements", type=Path, nargs="?", default=ROOT / "requirements.txt",
                        help="the pinned requirements to audit (default: requirements.txt)")
    requirements = parser.parse_args(argv).requirements
    pins = read_pins(requirements)
    others = {k: v for k, v in installed().items() if k not in pins}
    if service_answers():
        with tempfile.TemporaryDirectory() as tmp:
            env_file = Path(tmp) / "installed.txt"
            env_file.write_text("".join(f"{n}=={v}\n" for n, v in others.values()))
            report = _pip_audit([requirements, env_file])
        if report is None:
            print("audit FAILED: pip-audit did not run", file=sys.stderr)
            return 2
        deps = report.get("dependencies", [])
        vulnerable = [(d["name"], d.get("version", ""), {"id": v["id"], "fixed_in": v.get("fix_versions")})
                      for d in deps for v in d.get("vulns") or []]
        unaudited = [(d["name"], d.get("version", ""), d["skip_reason"]) for d in deps if d.get("skip_reason")]
        return _report(vulnerable, unaudited, len(deps) - len(unaudited))
    print("=" * 78, file=sys.stderr)
    print("pip-audit's vulnerability service does not answer from this machine: it found nothing\n"
          f"wrong with the canary {CANARY}. Falling back to PyPI's per-project advisories, which\n"
          "cover only pins that are the latest release.", file=sys.stderr)
    print("=" * 78, file=sys.stderr)
    canary = _project(FALLBACK_CANARY[0])
    if canary is None or judge_project(FALLBACK_CANARY[1], canary)[0] != "vulnerable":
        print("audit FAILED: PyPI's per-project advisories do not answer either; nothing was audited",
              file=sys.stderr)
        return 2
    vulnerable, unaudited = fallback({**others, **pins})
    return _report(vulnerable, unaudited, len(pins) + len(others) - len(unaudited))


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
