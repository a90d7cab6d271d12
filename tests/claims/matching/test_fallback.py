"""The matcher on a database without PostgreSQL's search (SQLite under `make run`)."""

from __future__ import annotations

import pytest
from django.db import connection

from claims import matching
from claims.matching import Match, similar_claims
from tests import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture
def as_sqlite(monkeypatch):
    monkeypatch.setattr(connection, "vendor", "sqlite")


def test_the_fallback_answers_with_the_same_interface(as_sqlite):
    original = f.ClaimFactory(text="The governor said flooding displaced 3,000 families.")
    f.ClaimFactory(text="The central bank raised interest rates on Thursday.")
    found = similar_claims(text="Flooding displaced 3,000 families, said the governor")
    assert isinstance(found[0], Match)
    assert found[0].claim_id == original.pk
    assert found[0].reasons["matched_figures"] == ["3000"]
    assert 0 < found[0].score <= 1


def test_the_fallback_never_touches_postgres_only_sql(as_sqlite, monkeypatch):
    def boom(*args, **kwargs):
        raise AssertionError("PostgreSQL path used")

    monkeypatch.setattr(matching, "_postgres_candidates", boom)
    f.ClaimFactory(text="The army did not withdraw from the town.")
    best = similar_claims(text="The army did withdraw from the town.")[0]
    assert best.relation == "contradicts"


def test_the_fallback_candidates_respect_filters(as_sqlite):
    keep = f.ClaimFactory(text="Drone strikes hit the power station.")
    skip = f.ClaimFactory(text="Drone strikes hit the power station again.")
    found = matching._fallback_candidates(
        "drone strikes power station", limit=10, since=None, exclude_ids=[skip.pk], among=None
    )
    assert [c.claim_id for c in found] == [keep.pk]


def test_the_same_text_scores_near_one_without_postgres_too(as_sqlite, settings):
    # The re-ranker reads BM25, which only PostgreSQL computes; the fallback's stand-in must
    # keep identical texts at the top of the scale, or nothing could become a duplicate.
    text = "Flooding in the northern province displaced 3,000 families, the governor said."
    original = f.ClaimFactory(text=text)
    best = similar_claims(text=text)[0]
    assert best.claim_id == original.pk
    assert best.score > settings.FACTCHECK_MATCH_DUPLICATE_THRESHOLD
    assert best.relation == "duplicate"
