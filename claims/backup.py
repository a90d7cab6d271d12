"""Export and import of the desk's data as JSON Lines (manage.py export / import).

One line per object, in Django's serialisation format, in an order that satisfies foreign
keys (users, then publishers, actors, topics, sources, claims with originals before their
duplicates, ...), history included. Natural keys name users, groups and permissions, so a
dump restores into any database that ran the migrations. Import refuses a database that
already holds claims, and runs in one transaction: it restores all or nothing.
"""

from __future__ import annotations

import contextlib
import datetime
import json
import os
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO, Any

from django.apps import apps
from django.core import serializers
from django.core.management.color import no_style
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, models, transaction

from claims.errors import ApplicationError

# Order matters: each model's foreign keys point at models earlier in the list.
MODELS = [
    "auth.user",
    "claims.publisher",
    "claims.actor",
    "claims.actoralias",
    "claims.topic",
    "claims.source",
    "claims.claim",
    "claims.appearance",
    "claims.attribution",
    "claims.figure",
    "claims.claimlink",
    "claims.evidence",
    "claims.rating",
    "claims.review",
    "claims.reviewtask",
    "claims.reviewerprofile",
    "api.apikey",
    "api.webhookendpoint",
    "api.webhookdelivery",
    "api.webhookattempt",
    "claims.historicalclaim",
    "claims.historicalattribution",
    "claims.historicalfigure",
    "claims.historicalreview",
    "claims.historicalreviewtask",
]


# Models of these apps deliberately left out, with the reason; a test checks that every
# other model of claims and api is exported.
NOT_EXPORTED = {
    "api.idempotencykey": "stored answers to retried POSTs, kept for a day; not the desk's data",
}


class _ExactEncoder(DjangoJSONEncoder):
    """Keeps microseconds (Django's encoder rounds times to milliseconds), so a restore
    reproduces every timestamp exactly."""

    def default(self, o: Any) -> Any:
        if isinstance(o, datetime.datetime):
            return o.isoformat(timespec="microseconds")
        return super().default(o)


def export_models() -> list[type[models.Model]]:
    found = []
    for label in MODELS:
        try:
            found.append(apps.get_model(label))
        except LookupError:
            continue  # an optional model this installation does not have
    return found


def _ordered(model: type[models.Model]) -> Iterable[models.Model]:
    qs = model._default_manager.order_by("pk")
    if model._meta.label_lower == "claims.claim":
        # Originals before duplicates: a duplicate row must name an existing claim.
        qs = qs.order_by(models.F("duplicate_of").asc(nulls_first=True), "pk")
    return qs.iterator(chunk_size=2000)


def export_lines() -> Iterator[str]:
    for model in export_models():
        for obj in _ordered(model):
            data = serializers.serialize(
                "python", [obj], use_natural_foreign_keys=True, use_natural_primary_keys=False
            )[0]
            yield json.dumps(data, cls=_ExactEncoder, ensure_ascii=False, sort_keys=True)


def export_to(stream: IO[str]) -> int:
    count = 0
    for line in export_lines():
        stream.write(line + "\n")
        count += 1
    return count


def export_to_path(path: Path) -> int:
    """Export to `path` all or nothing: into a temporary file beside it, flushed to disk,
    then renamed over it. A full disk or an unwritable folder leaves no partial file, and
    an earlier backup at `path` untouched."""
    path = Path(path)
    folder = path.parent if str(path.parent) else Path(".")
    # mkstemp makes the file readable by its owner only, which suits password and key hashes.
    try:
        handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=folder)
    except OSError as exc:
        raise ApplicationError(_cannot_write(path, exc)) from exc
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            count = export_to(stream)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, path)
    except OSError as exc:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise ApplicationError(_cannot_write(path, exc)) from exc
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
    return count


def _cannot_write(path: Path, exc: OSError) -> str:
    reason = exc.strerror or str(exc)
    return (
        f"Could not write the export to {path}: {reason}. Nothing was written there"
        " (an earlier file at that path is unchanged)."
    )


@transaction.atomic
def import_from(stream: IO[str]) -> dict[str, int]:
    from claims.models import Claim, Source

    if Claim.objects.exists() or Source.objects.exists():
        raise ApplicationError(
            "The database already holds claims or sources; import restores into an empty one."
        )
    counts: dict[str, int] = {}
    deferred: list[Any] = []
    for number, line in enumerate(stream, start=1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
            (obj,) = serializers.deserialize("python", [data], handle_forward_references=True)
        except (ValueError, serializers.base.DeserializationError) as exc:
            raise ApplicationError(f"Line {number} is not a valid record: {exc}") from exc
        label = obj.object._meta.label_lower
        if label == "auth.user":
            # A user of the same name may exist (created by load_seeds); replace it whole.
            apps.get_model("auth.user")._default_manager.filter(
                username=getattr(obj.object, "username", None)
            ).exclude(pk=obj.object.pk).delete()
        obj.save()
        # auto_now fields are stamped on save; put back the exported value.
        for field in obj.object._meta.concrete_fields:
            if getattr(field, "auto_now", False) and field.attname in data["fields"]:
                type(obj.object)._default_manager.filter(pk=obj.object.pk).update(
                    **{field.attname: field.to_python(data["fields"][field.attname])}
                )
        if obj.deferred_fields:
            deferred.append(obj)
        counts[label] = counts.get(label, 0) + 1
    for obj in deferred:
        obj.save_deferred_fields()
    _reset_sequences()
    return counts


def _reset_sequences() -> None:
    statements = connection.ops.sequence_reset_sql(no_style(), export_models())
    with connection.cursor() as cursor:
        for sql in statements:
            cursor.execute(sql)
