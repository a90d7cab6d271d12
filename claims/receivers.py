"""Receivers that keep derived data in step with the data it is derived from.

Connected in ClaimsConfig.ready(). Figure conflict flags (claims/figures.py) are refreshed
after a source is extracted, when a claim's topics change, and when a figure is saved or
deleted one at a time (the admin; extraction stores figures in bulk, which sends no
signals, and is covered by source_processed).
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from django.db import transaction

log = logging.getLogger(__name__)

_pending = threading.local()


def refresh_figure_flags(claim_ids: set[int] | list[int]) -> None:
    """Refresh now. Flags are derived data: a failure is logged, never allowed to fail the
    work that triggered it; the next change to the same figures repairs them."""
    from claims.figures import figure_flags_refresh_for_claims

    try:
        figure_flags_refresh_for_claims(claim_ids=claim_ids)
    except Exception:
        log.exception("refreshing figure conflict flags of claims %s failed", sorted(claim_ids))


def refresh_figure_flags_on_commit(claim_ids: set[int] | list[int]) -> None:
    """Refresh once the current transaction commits, once for all the claims a transaction
    touched (saving ten figures in one form schedules one refresh, not ten)."""
    ids: set[int] = getattr(_pending, "ids", None) or set()
    ids.update(claim_ids)
    _pending.ids = ids

    def flush() -> None:
        todo: set[int] = getattr(_pending, "ids", None) or set()
        _pending.ids = set()
        if todo:
            refresh_figure_flags(todo)

    transaction.on_commit(flush)


def on_source_processed(sender: Any, source_id: int, **kwargs: Any) -> None:
    from claims.models import Claim

    ids = list(Claim.objects.filter(appearances__source_id=source_id).values_list("pk", flat=True))
    refresh_figure_flags(set(ids))


def on_claim_topics_changed(
    sender: Any, instance: Any, action: str, reverse: bool, pk_set: set[int] | None, **kwargs: Any
) -> None:
    from claims.models import Claim

    if action in {"post_add", "post_remove"}:
        ids = set(pk_set or ()) if reverse else {instance.pk}
    elif action == "pre_clear":
        # After the clear the reverse side no longer knows which claims it had.
        ids = (
            set(Claim.objects.filter(topics=instance).values_list("pk", flat=True))
            if reverse
            else {instance.pk}
        )
    else:
        return
    if ids:
        refresh_figure_flags_on_commit(ids)


def on_figure_changed(sender: Any, instance: Any, raw: bool = False, **kwargs: Any) -> None:
    if raw:  # loaddata / import: the importer restores flags as they were
        return
    from claims.models import Appearance

    claim_id = (
        Appearance.objects.filter(pk=instance.appearance_id)
        .values_list("claim_id", flat=True)
        .first()
    )
    if claim_id is not None:
        refresh_figure_flags_on_commit({claim_id})


def connect() -> None:
    from django.db.models.signals import m2m_changed, post_delete, post_save

    from claims import signals
    from claims.models import Claim, Figure

    signals.source_processed.connect(on_source_processed, dispatch_uid="figure_flags")
    m2m_changed.connect(
        on_claim_topics_changed, sender=Claim.topics.through, dispatch_uid="figure_flags"
    )
    post_save.connect(on_figure_changed, sender=Figure, dispatch_uid="figure_flags")
    post_delete.connect(on_figure_changed, sender=Figure, dispatch_uid="figure_flags")
