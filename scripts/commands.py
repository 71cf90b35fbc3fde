"""Entry points for the commands whose `main` wants its arguments handed over.

pyproject.toml's [project.scripts] call a function without arguments; these pass the
command line on, as `python -m scripts.<name>` does.
"""
from __future__ import annotations

import importlib
import sys


def _run(name: str) -> int:
    # Each command imports only its own module: the audit's tools are not the production
    # install's, and a command should not pay for another's imports.
    return importlib.import_module(f"scripts.{name}").main(sys.argv[1:])


def audit() -> int:
    """`puente-audit [requirements file]`: scripts/audit.py."""
    return _run("audit")


def create_token() -> int:
    """`puente-create-token ...`: scripts/create_token.py."""
    return _run("create_token")


def create_user() -> int:
    """`puente-create-user ...`: scripts/create_user.py."""
    return _run("create_user")


def translate_fill() -> int:
    """`puente-translate-fill TABLE.json`: scripts/translate_fill.py."""
    return _run("translate_fill")
