"""Figures the fault and load tests leave behind, for the README's Reliability section.

Each test writes build/reliability/<name>.json (build/ is not committed); `make soak`
writes build/soak.json.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
FOLDER = ROOT / "build" / "reliability"


def record(name: str, figures: dict[str, Any], *, path: Path | None = None) -> Path:
    target = path or FOLDER / f"{name}.json"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps(figures, indent=2, sort_keys=True) + "\n")
    return target
