"""The taxonomy and label vectors Puente ships (matching/data/esco), against a fresh encode."""
from __future__ import annotations

import random

import numpy as np
import pytest

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
