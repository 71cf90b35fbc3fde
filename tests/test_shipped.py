"""What Puente ships: the taxonomy and label vectors (matching/data/esco), against a fresh
encode; and the systemd units that keep the Procfile's processes running (deploy/systemd)."""
from __future__ import annotations

import configparser
import random
import re
import shlex
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from config import load_settings
from matching.linking import ConceptLinker
from matching.regional import apply_regional_terms
from matching.shipped import SHIPPED_DIR, decode, quantise, read_shipped, save_shipped_taxonomy, shipped_vectors

# Labels a fresh install may have to encode at its first start (regional terms added since
# the last build): about 150 a second on 2 cores. Past this, run scripts.build_taxonomy.
MAX_UNSHIPPED_LABELS = 300


@pytest.fixture(scope="module")
def labels():
    """Every occupation label the product's linker indexes, in the shipped taxonomy."""
    return ConceptLinker(apply_regional_terms(read_shipped()).occupations, None).labels


def test_what_ships_is_small_enough_for_git():
    sizes = {p.name: p.stat().st_size for p in SHIPPED_DIR.iterdir()}
    assert set(sizes) == {"taxonomy.json.xz", "occupation_vectors.npz"}
    assert sum(sizes.values()) < 8_000_000, sizes


def test_the_vectors_are_the_default_encoders_and_cover_the_labels(encoder, labels):
    shipped = shipped_vectors()
    assert shipped is not None and shipped.serves(encoder), (
        f"shipped vectors are for {shipped and shipped.encoder}, the encoder is {encoder.version}: "
        "run python -m scripts.build_taxonomy")
    _, found = shipped.lookup(labels)
    assert (~found).sum() <= MAX_UNSHIPPED_LABELS, f"{(~found).sum()} labels have no shipped vector"


def test_shipped_vectors_agree_with_a_fresh_encode(encoder, labels):
    """Quantised vectors against the encoder's own, on a sample of labels in every language."""
    sample = random.Random(7).sample(sorted(set(labels) & set(shipped_vectors().labels)), 300)
    shipped, found = shipped_vectors().lookup(sample)
    assert found.all()
    fresh = ConceptLinker.embed_labels(encoder, sample)
    cosine = np.einsum("ij,ij->i", shipped, fresh)
    assert cosine.mean() > 0.95 and cosine.min() > 0.9, (cosine.mean(), cosine.min())
    # What linking sees: each label's nearest other label (by the fresh vectors) stays
    # among the nearest three by the shipped ones.
    mask = 2 * np.eye(len(sample), dtype=np.float32)
    nearest = np.argmax(fresh @ fresh.T - mask, axis=1)
    by_shipped = shipped @ fresh.T - mask
    rank = (by_shipped > by_shipped[np.arange(len(sample)), nearest][:, None]).sum(axis=1)
    assert (rank < 3).mean() >= 0.95, (rank < 3).mean()


def test_quantising_keeps_the_direction_of_unit_vectors():
    rng = np.random.default_rng(0)
    centres = rng.normal(size=(20, 64)).astype(np.float32)
    x = centres[rng.integers(0, 20, 3000)] + 0.1 * rng.normal(size=(3000, 64)).astype(np.float32)
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    codes, codebook = quantise(x, subspaces=16)
    assert codes.shape == (3000, 16) and codes.dtype == np.uint8 and codebook.shape == (16, 256, 4)
    back = decode(codes, codebook)
    assert np.allclose(np.linalg.norm(back, axis=1), 1.0, atol=1e-5)
    assert np.einsum("ij,ij->i", back, x).mean() > 0.95


def test_the_taxonomy_file_is_reproducible(tmp_path):
    """The shipped file is what `save_shipped_taxonomy` writes of its content, byte for byte,
    and two reads of one ESCO download give one file."""
    from matching.esco import read_esco_dir
    from tests.conftest import write_esco_download

    save_shipped_taxonomy(read_shipped(), tmp_path / "again.xz")
    assert (tmp_path / "again.xz").read_bytes() == (SHIPPED_DIR / "taxonomy.json.xz").read_bytes()
    download = write_esco_download(read_shipped().subset(lambda c: c.isco == "7212"), tmp_path / "download")
    save_shipped_taxonomy(read_esco_dir(download), tmp_path / "a.xz")
    save_shipped_taxonomy(read_esco_dir(download), tmp_path / "b.xz")
    assert (tmp_path / "a.xz").read_bytes() == (tmp_path / "b.xz").read_bytes()


# --- the Procfile's supervisor: systemd units (deploy/systemd, deploy/README.md) -----------

ROOT = Path(__file__).resolve().parent.parent
UNITS = ROOT / "deploy" / "systemd"
VENV = "/opt/puente/.venv/bin/"
ENV_FILE = "/etc/puente/puente.env"


def _procfile() -> dict[str, str]:
    lines = (ROOT / "Procfile").read_text().splitlines()
    return dict(line.split(": ", 1) for line in lines if line.strip() and not line.startswith("#"))


def _unit(process: str) -> configparser.ConfigParser:
    (path,) = [p for p in (UNITS / f"puente-{process}.service", UNITS / f"puente-{process}@.service") if p.exists()]
    unit = configparser.ConfigParser(interpolation=None, delimiters=("=",), strict=True)
    unit.optionxform = str   # systemd's keys are case-sensitive
    unit.read_string(path.read_text())
    return unit


def _as_the_unit_runs_it(command: str) -> list[str]:
    """The Procfile's command as a unit's ExecStart says it: the virtualenv's programs, and
    the defaults of `${VAR:-default}` set by the unit or the environment file instead."""
    words = shlex.split(re.sub(r"\$\{(\w+):-[^}]*\}", r"${\1}", command))
    return [VENV + words[0], *words[1:]]


def test_every_procfile_process_has_a_unit_that_runs_its_command():
    processes = _procfile()
    assert set(processes) == {"web", "worker", "cron", "release"}
    for name, command in processes.items():
        service = _unit(name)["Service"]
        assert shlex.split(service["ExecStart"]) == _as_the_unit_runs_it(command), name
        assert service["EnvironmentFile"] == ENV_FILE and service["WorkingDirectory"] == "/opt/puente", name
    example = dict(line.split("=", 1) for line in (UNITS / "puente.env.example").read_text().splitlines()
                   if line and not line.startswith("#"))
    assert {"PUENTE_ENV", "SECRET_KEY", "DATABASE_URL", "REDIS_URL", "PORT", "WEB_CONCURRENCY"} <= set(example)


def test_the_long_running_units_restart_and_stop_gently():
    job_timeout = load_settings(environ={}).job_timeout
    for name in ("web", "worker", "cron"):
        unit = _unit(name)
        service = unit["Service"]
        assert service["Restart"] == "always" and int(service["RestartSec"]) >= 1, name
        assert service["KillSignal"] == "SIGTERM" and service["KillMode"] == "mixed", name
        assert "puente-release.service" in unit["Unit"]["After"].split(), name   # migrations first
        assert int(unit["Unit"]["StartLimitBurst"]) > 1, name   # a crash loop ends, a blip does not
    # A worker stopped mid-job gets the job's whole timeout to finish it before SIGKILL.
    assert int(_unit("worker")["Service"]["TimeoutStopSec"]) > job_timeout
    assert int(_unit("web")["Service"]["TimeoutStopSec"]) > 30   # gunicorn's graceful timeout
    assert _unit("release")["Service"]["Type"] == "oneshot"


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze is not installed here")
def test_systemd_accepts_the_units(tmp_path):
    """`systemd-analyze verify`, with the paths pointed at this checkout (it checks that the
    programs exist) and at a copy of the example environment file; any warning fails."""
    for path in UNITS.glob("*.service"):
        text = path.read_text().replace("/opt/puente", str(ROOT)).replace(ENV_FILE, str(tmp_path / "puente.env"))
        (tmp_path / path.name).write_text(text)
    shutil.copy(UNITS / "puente.env.example", tmp_path / "puente.env")
    for unit in ("puente-web.service", "puente-worker@1.service", "puente-cron.service", "puente-release.service"):
        done = subprocess.run(["systemd-analyze", "verify", str(tmp_path / unit)], capture_output=True, text=True,
                              timeout=60)
        assert done.returncode == 0 and not done.stderr.strip(), (unit, done.stderr)
