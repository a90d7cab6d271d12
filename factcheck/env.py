"""Tiny typed readers for settings taken from the environment.

Each one fails loudly (ImproperlyConfigured) on a value it cannot parse, so a typo in a
deployment's environment stops the process at start instead of silently taking a default.
A variable may also be given as NAME_FILE, the path of a file holding the value (Docker and
Kubernetes secrets), so secrets never have to sit in the environment itself.
"""

from __future__ import annotations

import os
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def _raw(name: str) -> str | None:
    file_path = os.environ.get(f"{name}_FILE")
    if file_path is None:
        return os.environ.get(name)
    if name in os.environ:
        # Two sources for one secret: refuse rather than guess which one is stale.
        raise ImproperlyConfigured(f"Both {name} and {name}_FILE are set; set only one.")
    if not file_path.strip():
        raise ImproperlyConfigured(f"{name}_FILE is set but empty; give the path of a file.")
    try:
        # strip(): the newline an editor or `echo` leaves would otherwise be part of it.
        return Path(file_path).read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError) as exc:
        raise ImproperlyConfigured(f"{name}_FILE={file_path!r} cannot be read: {exc}") from exc


def envstr(name: str, default: str) -> str:
    value = _raw(name)
    return default if value is None else value


def envstr_or_none(name: str) -> str | None:
    value = _raw(name)
    return value or None


def envbool(name: str, default: bool) -> bool:
    value = _raw(name)
    if value is None:
        return default
    lowered = value.strip().lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name}={value!r} is not a boolean; use 1/0, true/false, yes/no.")


def envint(name: str, default: int, *, minimum: int | None = None) -> int:
    value = _raw(name)
    if value is None or value.strip() == "":
        return default
    try:
        number = int(value)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name}={value!r} is not an integer.") from exc
    if minimum is not None and number < minimum:
        raise ImproperlyConfigured(f"{name}={number} is below the minimum of {minimum}.")
    return number


def envfloat(name: str, default: float) -> float:
    value = _raw(name)
    if value is None or value.strip() == "":
        return default
    try:
        return float(value)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name}={value!r} is not a number.") from exc


def envlist(name: str, default: list[str]) -> list[str]:
    value = _raw(name)
    if value is None:
        return list(default)
    return [item.strip() for item in value.split(",") if item.strip()]
