"""The languages Puente speaks, defined once for every room (core, worker, web).

Spanish is the default and the source language of the texts.
"""
from __future__ import annotations

__all__ = ["DEFAULT_LOCALE", "LOCALES", "supported_locale"]

LOCALES = ("es", "pt", "en")
DEFAULT_LOCALE = "es"


def supported_locale(code: str | None, default: str = DEFAULT_LOCALE) -> str:
    """Return `code` when Puente speaks it, else `default`."""
    return code if code in LOCALES else default
