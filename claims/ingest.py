"""Persisting an extraction: Source text → Claims, Appearances, Attributions, Figures, Actors."""

from __future__ import annotations

from claims.models import Source


def source_extract(*, source: Source) -> None:
    """Until the extractor lands, a source is stored and shown, with no claims."""
    return None
