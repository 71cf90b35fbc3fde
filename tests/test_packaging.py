"""The package: what pyproject.toml declares is what is locked, installed, imported and shipped.

None of these needs the network: they read pyproject.toml, uv.lock and the requirement
files, and build a wheel with the setuptools already installed.
"""
from __future__ import annotations

import ast
import os
import re
import shutil
import subprocess
import sys
import tomllib
import zipfile
from importlib import metadata
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parent.parent
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())
PROJECT = PYPROJECT["project"]
LOCK = tomllib.loads((ROOT / "uv.lock").read_text())
BIN = Path(sys.executable).parent

# The packages Puente ships (pyproject's package discovery) and the folders of data beside them.
PACKAGES = ("config", "matching", "models", "web", "worker", "scripts")
DATA = ("config", "matching/data", "matching/translations", "models/migrations", "web/templates", "web/static",
        "web/translations")


def _requirements(extras: tuple[str, ...] = ()) -> list[Requirement]:
    reqs = [Requirement(r) for r in PROJECT["dependencies"]]
    for extra in extras:
        reqs += [Requirement(r) for r in PROJECT["optional-dependencies"][extra]]
    return reqs


def _pins(path: Path) -> dict[str, Version]:
    """`name==version` lines of a generated requirement file: {canonical name: version}."""
    pins = {}
    for line in path.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        req = Requirement(line)
        (spec,) = req.specifier
        assert spec.operator == "==", line
        pins[canonicalize_name(req.name)] = Version(spec.version)
    return pins


def _locked() -> dict[str, Version]:
    return {p["name"]: Version(p["version"]) for p in LOCK["package"] if p["name"] != "puente"}


def _declared() -> set[tuple[str, str, str, str]]:
    """pyproject's requirements as (name, extras, specifier, marker), the extra as a marker."""
    groups = {"": PROJECT["dependencies"], **PROJECT["optional-dependencies"]}
    return {(canonicalize_name(req.name), ",".join(sorted(req.extras)), str(req.specifier),
             f"extra == '{extra}'" if extra else "")
            for extra, lines in groups.items() for req in map(Requirement, lines)}


def test_the_lock_was_made_from_pyproject_as_it_is():
    """uv.lock records the requirements it resolved: they must be pyproject's today."""
    (root,) = [p for p in LOCK["package"] if p["name"] == "puente"]
    locked = {(dep["name"], ",".join(sorted(dep.get("extras", []))),
               str(Requirement("x" + dep.get("specifier", "")).specifier), dep.get("marker", ""))
              for dep in root["metadata"]["requires-dist"]}
    assert locked == _declared(), "pyproject.toml changed since uv.lock was made: run ./scripts/lock"
    assert set(root["metadata"]["provides-extras"]) == set(PROJECT["optional-dependencies"])


@pytest.mark.parametrize("name,extras", [("requirements.txt", ()), ("requirements-test.txt", ("test", "bench"))])
def test_requirement_files_pin_every_declared_dependency_as_locked(name, extras):
    path = ROOT / name
    header = path.read_text().splitlines()[:2]
    assert "scripts/lock" in header[0] and "uv.lock" in header[0], header
    pins = _pins(path)
    locked = _locked()
    for req in _requirements(extras):
        key = canonicalize_name(req.name)
        assert key in pins, f"{req.name} is declared in pyproject.toml but not pinned in {name}: run ./scripts/lock"
        assert req.specifier.contains(pins[key]), f"{name} pins {req.name}=={pins[key]}, outside {req}"
    for key, version in pins.items():
        assert locked.get(key) == version, f"{name} pins {key}=={version}, uv.lock {locked.get(key)}"


def test_production_pins_are_the_tests_pins():
    prod, test = _pins(ROOT / "requirements.txt"), _pins(ROOT / "requirements-test.txt")
    assert {k: test.get(k) for k in prod} == prod
    for tool in ("pytest", "ruff", "radon", "uv"):
        assert tool in test and tool not in prod


def test_torch_is_the_cpu_build():
    """An unpinned or CUDA torch would pull several GB of NVIDIA libraries."""
    pins = _pins(ROOT / "requirements.txt")
    assert pins["torch"] == Version("2.13.0+cpu")
    assert not [k for k in pins if k.startswith(("nvidia", "cuda"))]


def test_requirement_files_are_exactly_what_the_lock_gives():
    """scripts/lock --check writes them again from uv.lock (uv export --frozen: no network)."""
    if not (BIN / "uv").exists():
        pytest.fail("uv is pinned in requirements-test.txt and should be in the venv")
    env = {**os.environ, "UV_OFFLINE": "1", "UV_NO_PROGRESS": "1"}
    done = subprocess.run([str(ROOT / "scripts" / "lock"), "--check"], cwd=ROOT, capture_output=True,
                          text=True, env=env, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_checks_see_a_hand_edited_pin_and_an_unlocked_dependency(tmp_path, monkeypatch):
    for rel in ("pyproject.toml", "uv.lock", "requirements.txt", "requirements-test.txt", "scripts/lock"):
        (tmp_path / rel).parent.mkdir(exist_ok=True)
        shutil.copy2(ROOT / rel, tmp_path / rel)
    (tmp_path / ".venv").symlink_to(BIN.parent)
    req = tmp_path / "requirements.txt"
    pinned = re.search(r"^([\w.-]+==[\w.+]+)", req.read_text(), re.MULTILINE).group(1)
    req.write_text(req.read_text().replace(pinned, pinned.split("==")[0] + "==0.0.1", 1))
    env = {**os.environ, "UV_OFFLINE": "1", "UV_NO_PROGRESS": "1"}
    done = subprocess.run([str(tmp_path / "scripts" / "lock"), "--check"], cwd=tmp_path, capture_output=True,
                          text=True, env=env, timeout=120)
    assert done.returncode == 1 and f"+{pinned} " in done.stdout
    assert "requirements.txt is out of step with uv.lock: run ./scripts/lock" in done.stderr

    monkeypatch.setitem(PROJECT, "dependencies", [*PROJECT["dependencies"], "leftpad==1.0"])
    with pytest.raises(AssertionError, match="run ./scripts/lock"):
        test_the_lock_was_made_from_pyproject_as_it_is()
    with pytest.raises(AssertionError, match="leftpad is declared in pyproject.toml but not pinned"):
        test_requirement_files_pin_every_declared_dependency_as_locked("requirements.txt", ())


def _imports(folder: Path) -> dict[str, set[str]]:
    """Top-level module -> the files importing it (function-level imports included)."""
    found: dict[str, set[str]] = {}
    for path in folder.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            for name in names:
                found.setdefault(name.split(".")[0], set()).add(str(path.relative_to(ROOT)))
    return found


@pytest.mark.parametrize("folder,extras", [(p, ()) for p in PACKAGES if p != "scripts"]
                         + [("scripts", ("test", "bench")), ("tests", ("test",))])
def test_every_imported_package_is_declared(folder, extras):
    """The application's packages may import production dependencies only; scripts and tests
    also their optional groups. A transitive dependency is not declared."""
    declared = {canonicalize_name(req.name) for req in _requirements(extras)}
    providers = metadata.packages_distributions()
    ours = set(PACKAGES) | {"tests"}
    undeclared = []
    for module, files in sorted(_imports(ROOT / folder).items()):
        if module in sys.stdlib_module_names or module in ours or module == "__future__":
            continue
        dists = {canonicalize_name(d) for d in providers.get(module, [])}
        if not dists & declared:
            undeclared.append(f"{module} (distribution {sorted(dists) or 'not installed'}) in {sorted(files)}")
    assert not undeclared, "imported but not declared in pyproject.toml:\n" + "\n".join(undeclared)


def test_the_import_check_sees_an_undeclared_import(tmp_path, monkeypatch):
    """The check above, on a package that imports a dependency's dependency (jinja2, Flask's)."""
    fake = tmp_path / "pkg"
    fake.mkdir()
    (fake / "a.py").write_text("import flask\n\ndef f():\n    from jinja2 import Template\n    return Template\n")
    monkeypatch.setattr(sys.modules[__name__], "ROOT", tmp_path)
    with pytest.raises(AssertionError, match=r"jinja2 .*pkg/a\.py"):
        test_every_imported_package_is_declared("pkg", ())


def test_every_command_of_pyproject_is_installed_and_resolves():
    scripts = PROJECT["scripts"]
    installed = {ep.name: ep.value for ep in metadata.distribution("puente").entry_points
                 if ep.group == "console_scripts"}
    assert installed == scripts, "pyproject.toml's [project.scripts] changed: ./scripts/test reinstalls Puente"
    for name, target in scripts.items():
        module, _, func = target.partition(":")
        __import__(module)
        assert callable(getattr(sys.modules[module], func)), name
        assert (BIN / name).exists(), name


@pytest.mark.parametrize("command,usage", [
    ("puente-create-user", "usage: puente-create-user"),
    ("puente-import-esco", "usage: python -m scripts.import_esco"),
    ("puente-worker", "usage: python -m worker"),
])
def test_a_command_runs_from_the_venv_outside_the_checkout(tmp_path, command, usage):
    """From another folder, so that it is the installed command, not the checkout on sys.path."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    done = subprocess.run([str(BIN / command), "--help"], cwd=tmp_path, capture_output=True, text=True,
                          env=env, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(usage), done.stdout


@pytest.mark.parametrize("command", sorted(PROJECT["scripts"]))
def test_every_command_answers_help(command):
    done = subprocess.run([str(BIN / command), "--help"], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.startswith("usage: "), done.stdout[:300]


def _copy_checkout(dest: Path) -> list[str]:
    """Copy the files git knows (tracked or not ignored) to `dest`; return their paths."""
    files = subprocess.run(["git", "ls-files", "-co", "--exclude-standard"], cwd=ROOT, capture_output=True,
                           text=True, check=True).stdout.split()
    files = [rel for rel in files if (ROOT / rel).is_file()]
    for rel in files:
        (dest / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / rel, dest / rel)
    return files


def _is_data(rel: str) -> bool:
    return rel.startswith(tuple(f"{folder}/" for folder in DATA[1:])) or (
        rel.startswith("config/") and rel.endswith(".toml"))


def test_the_wheel_holds_the_code_and_its_data(tmp_path):
    """Build a wheel from a copy of the checkout and find every file Puente reads in it."""
    files = _copy_checkout(tmp_path / "src")
    done = subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation",
                           "--no-index", "-w", str(tmp_path / "out"), str(tmp_path / "src")],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    (wheel,) = (tmp_path / "out").glob("puente-*.whl")
    archive = zipfile.ZipFile(wheel)
    names = set(archive.namelist())
    code = {rel for rel in files if rel.split("/", 1)[0] in PACKAGES and rel.endswith(".py")}
    data = {rel for rel in files if _is_data(rel)}
    assert len(data) > 40 and "models/migrations/versions/0001_initial_schema.py" in data
    assert (code | data) - names == set()
    assert not [n for n in names if n.endswith(".pyc") or n.startswith("tests/")]
    entry_points = next(n for n in names if n.endswith(".dist-info/entry_points.txt"))
    assert "puente-import-esco = scripts.import_esco:main" in archive.read(entry_points).decode()
