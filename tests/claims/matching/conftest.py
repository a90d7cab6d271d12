from __future__ import annotations

import pytest

from claims import matching


@pytest.fixture(autouse=True)
def _fresh_statistics(settings):
    """Each test has its own claims: forget lexeme counts cached by an earlier one. Unit tests
    use the lexical re-ranker (deterministic, no model to load); the evaluation test on the
    real data turns embeddings back on."""
    settings.FACTCHECK_MATCH_EMBEDDINGS = False
    matching.reset_statistics()
    yield
    matching.reset_statistics()
