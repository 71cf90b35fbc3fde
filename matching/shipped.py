"""The ESCO taxonomy Puente ships (`matching/data/esco/`), and its label vectors.

Made by `python -m scripts.build_taxonomy ESCO_DIR` from an official ESCO download:
occupations, skills, ISCO-08 groups and the occupation-skill relations with Spanish,
Portuguese and English labels (ESCO, European Union, CC BY 4.0), and the default
encoder's vectors of every occupation label, so that a fresh install links titles by
meaning at once instead of encoding ~54,000 labels (about 6 minutes on 2 cores) at its
first start.

The vectors are product-quantised (`quantise`): each vector is cut into `SUBSPACES`
pieces and each piece stored as the index of its nearest of 256 centroids, one byte per
piece instead of 4 bytes per dimension. `scripts/build_taxonomy.py` reports their cosine
to the full vectors, and `tests/test_shipped.py` checks them against a fresh encode.
"""
from __future__ import annotations

import hashlib
import json
import lzma
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from .encoders import PHRASE_VERSION
from .taxonomy import Taxonomy

__all__ = [
    "SHIPPED_DIR",
    "TAXONOMY_FILE",
    "VECTORS_FILE",
    "ShippedVectors",
    "decode",
    "quantise",
    "read_shipped",
    "save_shipped_taxonomy",
    "save_vectors",
    "shipped_vectors",
]

SHIPPED_DIR = Path(__file__).resolve().parent / "data" / "esco"
TAXONOMY_FILE = "taxonomy.json.xz"
VECTORS_FILE = "occupation_vectors.npz"
SUBSPACES = 96          # bytes per vector: at 64 the semantic view alone linked 2 points fewer
                        # of 1,500 Spanish labels right (against the English and Portuguese ones), at 96 0.3
CENTROIDS = 256
SEED = 20261204


def save_shipped_taxonomy(taxonomy: Taxonomy, path: Path) -> None:
    """Write the taxonomy as compact JSON, xz-compressed (same input, same bytes).

    Args:
        taxonomy: the taxonomy.
        path: the file to write (replaced at once).
    """
    data = json.dumps(taxonomy.to_dict(), ensure_ascii=False, separators=(",", ":"), sort_keys=True)
    tmp = path.with_suffix(".tmp")
    with lzma.open(tmp, "wb", preset=9 | lzma.PRESET_EXTREME) as fh:
        fh.write(data.encode("utf-8"))
    tmp.replace(path)


def read_shipped(folder: Path = SHIPPED_DIR) -> Taxonomy:
    """Read the shipped taxonomy (about a second).

    Args:
        folder: the folder holding `TAXONOMY_FILE`.

    Returns:
        The `Taxonomy`.
    """
    with lzma.open(folder / TAXONOMY_FILE, "rb") as fh:
        return Taxonomy.from_dict(json.loads(fh.read().decode("utf-8")))


def quantise(vectors: np.ndarray, subspaces: int = SUBSPACES) -> tuple[np.ndarray, np.ndarray]:
    """Product-quantise unit rows.

    Args:
        vectors: (n, d) float32, d divisible by `subspaces`.
        subspaces: pieces per vector (one byte each).

    Returns:
        codes (n, subspaces) uint8 and the codebook (subspaces, 256, d // subspaces) float16.
    """
    import faiss

    vectors = np.ascontiguousarray(vectors, dtype=np.float32)
    pq = faiss.ProductQuantizer(vectors.shape[1], subspaces, 8)
    pq.cp.seed = SEED
    pq.cp.niter = 25
    pq.train(vectors)
    codes = pq.compute_codes(vectors)
    centroids = faiss.vector_to_array(pq.centroids).reshape(subspaces, CENTROIDS, -1)
    codebook = centroids.astype(np.float16)   # half the size; its rounding is far below the quantiser's
    return codes.astype(np.uint8), codebook


def decode(codes: np.ndarray, codebook: np.ndarray) -> np.ndarray:
    """Rebuild unit rows from product-quantised codes.

    Args:
        codes: (n, subspaces) uint8, as `quantise` gives them.
        codebook: (subspaces, 256, d // subspaces), as `quantise` gives it.

    Returns:
        (n, d) float32 rows of norm 1 (a zero row stays zero).
    """
    m = codebook.shape[0]
    book = codebook.astype(np.float32)
    parts = book[np.arange(m)[None, :], codes.astype(np.int64)]        # (n, m, d/m)
    out = parts.reshape(len(codes), m * book.shape[2])
    norms = np.linalg.norm(out, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return out / norms


def save_vectors(path: Path, labels: Sequence[str], codes: np.ndarray, codebook: np.ndarray,
                 encoder_version: str) -> None:
    """Write quantised label vectors keyed by label text.

    Args:
        path: the `.npz` file to write (replaced at once).
        labels: the label texts, one per row of `codes`.
        codes: their codes, as `quantise` gives them.
        codebook: the codebook, as `quantise` gives it.
        encoder_version: the version of the encoder that made the vectors.
    """
    text = "\n".join(labels).encode("utf-8")
    tmp = path.with_suffix(".tmp.npz")
    np.savez_compressed(tmp, labels=np.frombuffer(text, dtype=np.uint8), codes=codes, codebook=codebook,
                        encoder=np.array(f"{encoder_version}|{PHRASE_VERSION}"))
    tmp.replace(path)


class ShippedVectors:
    """Quantised label vectors of one encoder, looked up by label text."""

    def __init__(self, path: Path):
        self.digest = hashlib.sha256(path.read_bytes()).hexdigest()[:16]   # which build
        with np.load(path, allow_pickle=False) as data:
            self.encoder = str(data["encoder"])
            self.labels = bytes(data["labels"]).decode("utf-8").split("\n")
            self._codes = data["codes"]
            self._codebook = data["codebook"]
        self._row = {label: i for i, label in enumerate(self.labels)}

    def serves(self, encoder) -> bool:
        """Say whether these vectors were made by `encoder`.

        Args:
            encoder: an encoder.

        Returns:
            True for the same encoder version and the same phrase centring.
        """
        return self.encoder == f"{encoder.version}|{PHRASE_VERSION}"

    def lookup(self, labels: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        """Look labels up by their text.

        Args:
            labels: label texts.

        Returns:
            (vectors of the labels found, in order; a mask of which labels were found).
        """
        rows = np.array([self._row.get(label, -1) for label in labels], dtype=np.int64)
        found = rows >= 0
        return decode(self._codes[rows[found]], self._codebook), found


_cache: dict[Path, ShippedVectors | None] = {}


def shipped_vectors(folder: Path = SHIPPED_DIR) -> ShippedVectors | None:
    """Return the shipped label vectors, read once per process.

    Args:
        folder: the folder holding `VECTORS_FILE`.

    Returns:
        The `ShippedVectors`, or None if there are none.
    """
    path = folder / VECTORS_FILE
    if path not in _cache:
        _cache[path] = ShippedVectors(path) if path.exists() else None
    return _cache[path]
