from __future__ import annotations

from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from claims import backup, services
from claims.models import Claim
from claims.sources import source_submit
from tests import factories as f

pytestmark = pytest.mark.django_db

SEED = (Path(__file__).resolve().parents[2] / "seeds" / "russia-mali-talks.txt").read_text()


def dump() -> str:
    out = StringIO()
    call_command("export", stdout=out, stderr=StringIO())
    return out.getvalue()


def wipe() -> None:
    models = backup.export_models()
    history = [m for m in models if m.__name__.startswith("Historical")]
    # Deleting records writes "deleted" history rows; remove the history last.
    for model in reversed([m for m in models if m not in history]):
        model._default_manager.all().delete()
    for model in history:
        model._default_manager.all().delete()


def test_export_then_import_into_an_empty_database_reproduces_everything(
    tmp_path, reviewer, editor, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        source_submit(text=SEED, title="seed")
    claim = (
        Claim.objects.filter(status="in_review").first()
        or Claim.objects.filter(status="queued").first()
    )
    if claim.status == "queued":
        services.task_take_next(user=reviewer)
        claim.refresh_from_db()
    holder = claim.tasks.get(state="assigned").assignee
    review = services.review_draft(
        claim=claim, reviewer=holder, rating=f.rating("mixed"), explanation="Partly."
    )
    services.review_approve(review=services.review_submit(review=review, by=holder), by=editor)
    before = dump()
    assert '"model": "claims.historicalclaim"' in before
    path = tmp_path / "backup.jsonl"
    path.write_text(before)

    wipe()
    assert not Claim.objects.exists()
    call_command("import", str(path), stdout=StringIO())

    assert dump() == before


def test_import_refuses_a_database_that_already_has_claims(tmp_path):
    f.ClaimFactory()
    path = tmp_path / "backup.jsonl"
    path.write_text(dump())
    with pytest.raises(CommandError, match="empty"):
        call_command("import", str(path), stdout=StringIO())


def test_a_corrupt_line_is_reported_by_number_and_nothing_is_imported(tmp_path):
    f.ClaimFactory()
    lines = dump().splitlines()
    wipe()
    lines.insert(3, "{not json")
    path = tmp_path / "broken.jsonl"
    path.write_text("\n".join(lines))
    with pytest.raises(CommandError, match="Line 4"):
        call_command("import", str(path), stdout=StringIO())
    assert not Claim.objects.exists()
