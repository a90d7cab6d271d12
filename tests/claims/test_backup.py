from __future__ import annotations

import json
import resource
import shutil
import signal
import subprocess
import sys
from collections import Counter
from io import StringIO
from pathlib import Path

import pytest
from django.apps import apps
from django.core.management import CommandError, call_command
from django.db import connection

from api import delivery
from api.models import ApiKey, WebhookDelivery, WebhookEndpoint
from claims import backup, services
from claims.models import Claim, ReviewerProfile
from claims.sources import source_submit
from tests import factories as f
from tests.support.services import ROOT, manage, process_env, suite_database_url

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
        if model is Claim:
            # Duplicates first: deleting an original would null their duplicate_of, which a
            # check constraint forbids for a claim whose status is duplicate.
            Claim.objects.filter(duplicate_of__isnull=False).delete()
        model._default_manager.all().delete()
    for model in history:
        model._default_manager.all().delete()


def desk_data(reviewer, editor, captured) -> None:
    """Something in every exported model: the seed article through the pipeline, a
    published verdict, evidence, a duplicate, topics, a reviewer profile, an API key, and
    a webhook with a delivery and its attempt."""
    with captured(execute=True):
        source_submit(text=SEED, title="seed", publisher=f.PublisherFactory(name="Reuters"))
    claim = (
        Claim.objects.filter(status="in_review").first()
        or Claim.objects.filter(status="queued").first()
    )
    if claim.status == "queued":
        services.task_take_next(user=reviewer)
        claim.refresh_from_db()
    holder = claim.tasks.get(state="assigned").assignee
    topic = f.TopicFactory(name="Russia-Mali talks", slug="russia-mali")
    claim.topics.add(topic)
    f.EvidenceFactory(claim=claim, added_by=holder)
    review = services.review_draft(
        claim=claim, reviewer=holder, rating=f.rating("mixed"), explanation="Partly."
    )
    services.review_approve(review=services.review_submit(review=review, by=holder), by=editor)
    original = f.ClaimFactory(text="The talks were held in Moscow on Tuesday.")
    services.claim_mark_duplicate(
        claim=f.ClaimFactory(text="Talks were held in Moscow on Tuesday."), of=original
    )
    profile, _ = ReviewerProfile.objects.get_or_create(user=reviewer)
    profile.topics.add(topic)
    client = f.make_client("newsroom")
    ApiKey.generate(user=client, name="backup test")
    endpoint = WebhookEndpoint.objects.create(
        owner=client, url="http://127.0.0.1:9/hook", events=["claim.published"], secret="s"
    )
    sent = WebhookDelivery.objects.create(endpoint=endpoint, event="claim.published")
    delivery.deliver(delivery_id=sent.pk)  # nothing listens on port 9: a failed attempt


def records(dump_text: str) -> Counter[str]:
    return Counter(json.loads(line)["model"] for line in dump_text.splitlines() if line)


def test_every_model_of_the_desk_is_exported_or_left_out_for_a_stated_reason():
    desk = {
        model._meta.label_lower
        for app in ("claims", "api")
        for model in apps.get_app_config(app).get_models()
    }
    assert desk - set(backup.MODELS) == set(backup.NOT_EXPORTED)


def test_export_then_import_into_an_empty_database_reproduces_everything(
    tmp_path, reviewer, editor, django_capture_on_commit_callbacks, settings
):
    settings.FACTCHECK_WEBHOOK_ALLOW_PRIVATE = True
    desk_data(reviewer, editor, django_capture_on_commit_callbacks)
    before = dump()
    # The comparison below covers every exported model, history included: none is empty.
    counts = records(before)
    assert set(counts) == set(backup.MODELS), set(backup.MODELS) - set(counts)
    path = tmp_path / "backup.jsonl"
    path.write_text(before)

    wipe()
    assert not Claim.objects.exists()
    call_command("import", str(path), stdout=StringIO())

    assert dump() == before


@pytest.fixture
def empty_database():
    """A second database on the same server, migrated and empty, dropped afterwards."""
    if shutil.which("createdb") is None:
        pytest.skip("PostgreSQL client programs (createdb) are not installed")
    db = connection.settings_dict
    name = f"{db['NAME']}_restore"
    server = ["-h", db["HOST"] or "127.0.0.1", "-p", str(db["PORT"] or 5432), "-U", db["USER"]]
    url = f"postgres://{db['USER']}@{server[1]}:{server[3]}/{name}"
    subprocess.run(["dropdb", *server, "--if-exists", name], check=True)
    subprocess.run(["createdb", *server, name], check=True)
    manage("migrate", "--noinput", database_url=url)
    yield url, server
    subprocess.run(["dropdb", *server, "--if-exists", "--force", name], check=True)


def test_a_restore_into_a_fresh_database_and_its_pg_dump_copy_match_the_export(
    tmp_path, reviewer, editor, django_capture_on_commit_callbacks, settings, empty_database
):
    """The README's two procedures, end to end: `manage.py import` into a freshly migrated
    database, then `pg_dump --format=custom` of it and `pg_restore --no-owner` into
    another; both give back the same export, byte for byte."""
    settings.FACTCHECK_WEBHOOK_ALLOW_PRIVATE = True
    url, server = empty_database
    desk_data(reviewer, editor, django_capture_on_commit_callbacks)
    before = dump()
    path = tmp_path / "backup.jsonl"
    path.write_text(before)

    manage("import", str(path), database_url=url)
    assert manage("export", database_url=url) == before

    if shutil.which("pg_dump") is None or shutil.which("pg_restore") is None:
        pytest.skip("pg_dump or pg_restore is not installed")
    archive = tmp_path / "factcheck.dump"
    subprocess.run(["pg_dump", "--format=custom", f"--file={archive}", url], check=True)
    copy = url.rsplit("/", 1)[1] + "_copy"
    subprocess.run(["dropdb", *server, "--if-exists", copy], check=True)
    subprocess.run(["createdb", *server, copy], check=True)
    try:
        subprocess.run(
            ["pg_restore", *server, "--no-owner", f"--dbname={copy}", str(archive)], check=True
        )
        copy_url = url.rsplit("/", 1)[0] + "/" + copy
        manage("migrate", "--noinput", database_url=copy_url)  # a no-op: same code
        assert manage("export", database_url=copy_url) == before
    finally:
        subprocess.run(["dropdb", *server, "--if-exists", "--force", copy], check=True)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_an_export_that_runs_out_of_space_fails_clearly_and_leaves_no_partial_file(tmp_path):
    """A full disk, for one process: RLIMIT_FSIZE makes writes past 4 KiB fail (EFBIG) the
    way ENOSPC does on a full filesystem. The earlier backup at that path survives."""
    for n in range(40):
        f.ClaimFactory(text=f"Officials said {n} people attended the rally on Monday.")
    target = tmp_path / "nightly.jsonl"
    target.write_text("yesterday's backup\n")

    def small_disk() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (4096, 4096))
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # fail the write instead of the process

    result = subprocess.run(
        [sys.executable, "manage.py", "export", str(target)],
        cwd=ROOT,
        env=process_env(database_url=suite_database_url(), broker_url=None),
        capture_output=True,
        text=True,
        preexec_fn=small_disk,
        check=False,
    )
    assert result.returncode != 0
    assert f"Could not write the export to {target}: File too large" in result.stderr
    assert "Traceback" not in result.stderr
    assert target.read_text() == "yesterday's backup\n"
    assert [p.name for p in tmp_path.iterdir()] == ["nightly.jsonl"]


def test_an_export_into_a_missing_folder_says_so(tmp_path):
    target = tmp_path / "no-such-folder" / "backup.jsonl"
    with pytest.raises(CommandError, match=r"Could not write the export to .*No such file"):
        call_command("export", str(target), stdout=StringIO(), stderr=StringIO())
    assert not target.parent.exists()


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
