from __future__ import annotations

from pathlib import Path

import pytest

from claims import extraction as ex
from claims.ingest import source_extract
from claims.models import Actor, Appearance, Attribution, Claim, Figure
from tests import factories as f

pytestmark = pytest.mark.django_db

SEED = (Path(__file__).resolve().parents[2] / "seeds" / "russia-mali-talks.txt").read_text()


def counts() -> dict[str, int]:
    return {m.__name__: m.objects.count() for m in (Claim, Appearance, Attribution, Figure, Actor)}


@pytest.fixture
def seed_source():
    return f.SourceFactory(text=SEED, url="https://www.rt.com/africa/seed")


def test_extraction_stores_claims_with_their_sentence_offsets(seed_source):
    result = source_extract(source=seed_source)
    assert result.claims_created >= 10
    for appearance in Appearance.objects.filter(source=seed_source):
        assert SEED[appearance.start : appearance.end] == appearance.sentence


def test_attribution_and_figure_spans_point_into_the_source_text(seed_source):
    source_extract(source=seed_source)
    according = Attribution.objects.get(source_text="Russian authorities")
    assert according.kind == "according_to"
    assert SEED[according.cue_start : according.cue_end] == "according to"
    assert SEED[according.source_start : according.source_end] == "Russian authorities"
    killed = Figure.objects.get(metric="killed")
    assert (killed.value, killed.lower, killed.qualifier) == (140, 140, "over")
    assert SEED[killed.start : killed.end] == killed.text


def test_the_statement_is_resolved_to_the_kremlin_through_an_actor_alias(seed_source):
    source_extract(source=seed_source)
    statement = Attribution.objects.get(source_text="the statement")
    assert statement.actor.name == "Kremlin"
    assert statement.actor.aliases.filter(normalized="kremlin").exists()


def test_running_extraction_twice_changes_nothing(seed_source):
    source_extract(source=seed_source)
    before = counts()
    again = source_extract(source=seed_source)
    assert again.skipped
    assert counts() == before


def test_the_same_claim_in_a_second_source_is_one_claim_with_two_appearances(seed_source):
    source_extract(source=seed_source)
    other = f.SourceFactory(text="Intro line here.\n\n" + SEED, url="https://other.example/x")
    result = source_extract(source=other)
    assert result.claims_created == 0
    claim = Claim.objects.get(text__startswith="During the call")
    assert claim.appearances.count() == 2


def test_known_actors_are_matched_through_their_aliases(seed_source):
    putin = Actor.objects.create(name="Vladimir Putin", kind="person")
    putin.aliases.create(alias="Vladimir Putin")
    source_extract(source=seed_source)
    assert Actor.objects.filter(name="Vladimir Putin").count() == 1
    assert Attribution.objects.filter(actor=putin).exists()


def test_a_new_extractor_version_replaces_its_output_but_keeps_reviewer_edits(
    seed_source, monkeypatch
):
    source_extract(source=seed_source)
    edited = Attribution.objects.get(source_text="Russian authorities")
    edited.source_text = "Russia's Investigative Committee"
    edited.edited_by_reviewer = True
    edited.save()
    untouched = Attribution.objects.exclude(pk=edited.pk).count()

    monkeypatch.setattr(ex, "EXTRACTOR_VERSION", "999.0.0")
    source_extract(source=seed_source)

    edited.refresh_from_db()
    assert edited.source_text == "Russia's Investigative Committee"
    # The extractor finds "Russian authorities" again at that place; the correction stands.
    assert not Attribution.objects.filter(source_text="Russian authorities").exists()
    assert Attribution.objects.exclude(pk=edited.pk).count() == untouched
    assert set(
        Attribution.objects.exclude(pk=edited.pk).values_list("extractor_version", flat=True)
    ) == {"999.0.0"}
    seed_source.refresh_from_db()
    assert seed_source.extractor_version == "999.0.0"


def test_the_opinion_line_is_stored_and_dismissed_by_the_pipeline(seed_source):
    from claims.pipeline import process_source

    seed_source.status = "pending"
    seed_source.save()
    process_source(source_id=seed_source.pk)
    opinion = Claim.objects.get(text__startswith="Comment:")
    assert opinion.status == Claim.Status.DISMISSED
    assert "Opinion" in opinion.status_reason
    assert not Claim.objects.filter(text__startswith="Comment:", status="new").exists()
