"""The matcher: what one worker process builds once, before its work loop, and hands to
every job it runs (`worker.runner`): the settings, the database handle, the encoder, the
ESCO index, the mobility knowledge base and the warm candidate indexes.

There is no process-wide instance. A job gets its matcher as an argument, or, when RQ runs
it by name with ids only, from the worker performing it: `Matcher.bound` makes a matcher
the running one for the duration of a block, as RQ scopes `get_current_job` to the job it
performs.
"""
from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from config import Settings
from config.mobility import load_knowledge_base
from matching import Encoder, load_encoder, score_many
from matching.encoders import CachedEncoder
from matching.esco import current_taxonomy
from matching.index import TaxonomyIndex, build_index
from matching.learning import weights_name
from matching.scoring import memo_size, other_trade
from models import Database
from models.history import live_model

from .candidates import DocCache, SideIndex
from .queueing import connect

log = logging.getLogger(__name__)

__all__ = ["Matcher", "running_matcher"]

# The scoring memo is emptied past this many entries per document the caches keep
# (`PUENTE_DOC_CACHE` rows a side): a document's preparations take about 4 entries and
# its phrases' rows in the memo's tables a few more, so both sides' cached documents
# stay prepared (a fixed 100,000 held about 20,000 documents: fewer than 20,000 vacancies
# and the chunk's profiles).
MEMO_PER_CACHED_ROW = 15
_RUNNING: ContextVar[Matcher | None] = ContextVar("puente_matcher", default=None)


class Matcher:
    """Settings, the database handle, the encoder and the indexes of one worker process.

    Args:
        settings: the `config.Settings` of the process.
        encoder: an encoder already loaded (tests pass a small one); default: the one the
            settings name, loaded on first use.
        taxonomy: an ESCO index already built; default: built on first use.
    """

    def __init__(self, settings: Settings, encoder: Encoder | None = None, taxonomy: TaxonomyIndex | None = None):
        self.settings = settings
        self.db = Database(settings.database_url)
        self._encoder = encoder
        self._taxonomy = taxonomy
        self._knowledge = None
        self._indexes: dict = {}
        self._docs: dict = {}
        self._queue_conn = None
        # The weights that combine the scores and the name of their model: the hand-set ones
        # until a learnt model is live (`use_live_model`, at the start of every job).
        self.weights: dict[str, float] = dict(settings.weights)
        self.ranker: str = weights_name(settings.weights)
        # What scoring learnt of the documents it saw (`matching.scoring.score_many`'s memo),
        # kept from job to job: the documents of the worker's cache come back in every job.
        self._memo: dict = {}

    def use_live_model(self, session) -> None:
        """Combine with the live learnt model's weights (`models.RankingModel`), or with
        the hand-set ones when none is live: one indexed read per job."""
        live = live_model(session)
        if live is None:
            self.weights, self.ranker = dict(self.settings.weights), weights_name(self.settings.weights)
        elif live.name != self.ranker:
            self.weights, self.ranker = {k: float(v) for k, v in live.weights.items()}, live.name

    @property
    def encoder(self) -> Encoder:
        """The encoder (`warm` loads it before the work loop)."""
        if self._encoder is None:
            # Short texts (skills, titles) come again and again: their vectors are kept.
            self._encoder = CachedEncoder(load_encoder(self.settings.encoder, self.settings.encoder_model))
            log.info("encoder loaded: %s (dim %d)", self._encoder.version, self._encoder.dim)
        return self._encoder

    @property
    def taxonomy(self) -> TaxonomyIndex:
        """The ESCO index: the imported taxonomy, else the shipped one (`matching.shipped`).

        The label vectors come from the shipped ones, and the few labels they lack are
        encoded once and cached under PUENTE_DATA_DIR/esco.
        """
        if self._taxonomy is None:
            taxonomy = current_taxonomy(self.settings.esco_dir)
            self._taxonomy = build_index(taxonomy, self.encoder, self.settings.esco_dir)
            log.info("taxonomy ready: %d occupations, %d skills (%s)", len(taxonomy.occupations),
                     len(taxonomy.skills), taxonomy.version)
        return self._taxonomy

    @property
    def knowledge(self):
        """The mobility knowledge base (validated when first read: `warm` reads it, so a
        broken data file stops the worker at start-up)."""
        if self._knowledge is None:
            self._knowledge = load_knowledge_base(self.settings.mobility_dir)
        return self._knowledge

    def warm(self) -> Matcher:
        """Load the encoder, the taxonomy and the knowledge base now, before any job."""
        _ = self.encoder, self.taxonomy, self.knowledge
        return self

    def side_index(self, model) -> SideIndex:
        """The warm vector index of vacancies or profiles (see worker.candidates)."""
        if model not in self._indexes:
            self._indexes[model] = SideIndex(model, self.encoder.dim, self.settings.ann_threshold)
        return self._indexes[model]

    def doc_cache(self, model) -> DocCache:
        """The documents and embeddings of the rows of one side last read (see worker.candidates)."""
        if model not in self._docs:
            self._docs[model] = DocCache(self.settings.doc_cache)
        return self._docs[model]

    @property
    def queue_conn(self):
        """A Redis connection for the jobs a job queues (made on first use)."""
        if self._queue_conn is None:
            self._queue_conn = connect(self.settings.redis_url)
        return self._queue_conn

    def score(self, pairs: Iterable, left_out: list | None = None, memo: dict | None = None) -> list:
        """Score (profile doc, embedding, vacancy doc, embedding) pairs; keep those at or
        above PUENTE_MIN_SCORE: a nurse is not helped by a 5 % match as a welder.
        `left_out` receives the reasons of the pairs the mobility rules leave out that would
        otherwise be matches: over PUENTE_MIN_SCORE, and not another trade below the
        relevance floor (`matching.scoring.other_trade`). `memo`: what is known of the
        documents (`matching.scoring.score_many`); default: the worker's own, kept from job
        to job (the verdicts of the rules, each document's phrases prepared once; it holds
        its documents, so their ids are not reused while it lives), emptied past
        `MEMO_PER_CACHED_ROW` entries per row the document caches keep."""
        blocked: list | None = [] if left_out is not None else None
        if memo is None:
            # Emptied whole: no entry outlives its documents.
            if memo_size(self._memo) > MEMO_PER_CACHED_ROW * max(self.settings.doc_cache, 1000):
                self._memo.clear()
            memo = self._memo
        results = score_many(pairs, self.encoder.calibration, self.weights, self.knowledge, blocked, memo,
                             min_score=self.settings.min_score)
        if left_out is not None:
            left_out.extend(r.explanation["reasons"] for r in blocked
                            if r.score >= self.settings.min_score
                            and not other_trade(r.score, r.scores, self.settings.relevance_floor))
        return [r for r in results if r.score >= self.settings.min_score]

    @contextmanager
    def bound(self) -> Iterator[Matcher]:
        """Make this the matcher of the jobs run by name inside the block."""
        token = _RUNNING.set(self)
        try:
            yield self
        finally:
            _RUNNING.reset(token)

    def close(self) -> None:
        """Close the database and Redis connections."""
        self.db.dispose()
        if self._queue_conn is not None:
            self._queue_conn.close()


def running_matcher() -> Matcher:
    """The matcher of the worker performing the current job (see `Matcher.bound`)."""
    matcher = _RUNNING.get()
    if matcher is None:
        raise RuntimeError("no matcher: jobs run in `python -m worker` (worker.runner.MatchingWorker), "
                           "or are given one")
    return matcher
