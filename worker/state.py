"""What a worker process builds once, before its work loop: settings, database, encoder."""
from __future__ import annotations

import logging

from config import Settings, load_settings
from matching import Encoder, load_encoder
from matching.index import TaxonomyIndex
from models import Database

log = logging.getLogger(__name__)

__all__ = ["WorkerState", "current", "init_state"]


class WorkerState:
    """Settings, the database handle and the encoder of one worker process."""

    def __init__(self, settings: Settings, encoder: Encoder | None = None, taxonomy: TaxonomyIndex | None = None):
        self.settings = settings
        self.db = Database(settings.database_url)
        self._encoder = encoder
        self._taxonomy = taxonomy
        self._knowledge = None
        self._indexes: dict = {}

    @property
    def encoder(self) -> Encoder:
        """The encoder, loaded on first use (the entry point loads it before the loop)."""
        if self._encoder is None:
            self._encoder = load_encoder(self.settings.encoder, self.settings.encoder_model)
            log.info("encoder loaded: %s (dim %d)", self._encoder.version, self._encoder.dim)
        return self._encoder

    @property
    def taxonomy(self) -> TaxonomyIndex:
        """The ESCO index: the imported taxonomy, else the shipped one (`matching.shipped`).

        Built on first use (the entry point builds it before the loop, in seconds): the
        label vectors come from the shipped ones, and the few labels they lack are encoded
        once and cached under PUENTE_DATA_DIR/esco.
        """
        if self._taxonomy is None:
            from matching.esco import current_taxonomy
            from matching.index import build_index

            taxonomy = current_taxonomy(self.settings.esco_dir)
            self._taxonomy = build_index(taxonomy, self.encoder, self.settings.esco_dir)
            log.info("taxonomy ready: %d occupations, %d skills (%s)", len(taxonomy.occupations),
                     len(taxonomy.skills), taxonomy.version)
        return self._taxonomy

    def side_index(self, model):
        """The warm vector index of vacancies or profiles (see worker.candidates)."""
        if model not in self._indexes:
            from .candidates import SideIndex

            self._indexes[model] = SideIndex(model, self.encoder.dim, self.settings.ann_threshold)
        return self._indexes[model]

    @property
    def knowledge(self):
        """The mobility knowledge base (validated when first read; the entry point reads
        it before the loop, so a broken data file stops the worker at start-up)."""
        if self._knowledge is None:
            from config.mobility import load_knowledge_base

            self._knowledge = load_knowledge_base(self.settings.mobility_dir)
        return self._knowledge


_state: WorkerState | None = None


def init_state(settings: Settings | None = None, encoder: Encoder | None = None,
               taxonomy: TaxonomyIndex | None = None) -> WorkerState:
    """Set the process state; call once per worker process, before the work loop."""
    global _state
    _state = WorkerState(settings or load_settings(), encoder, taxonomy)
    return _state


def current() -> WorkerState:
    """Return the process state, building it on first use (e.g. under a plain `rq worker`)."""
    return _state if _state is not None else init_state()
