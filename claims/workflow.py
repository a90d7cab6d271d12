"""The claim workflow of DESIGN.md ("Claim workflow"), in one place.

    new → triaged → queued → (assign) in_review → (submit) in_approval → (approve) published
    in_approval → (reject) in_review;   new/triaged → dismissed (opinion, not checkable)
    new/triaged/queued → duplicate (linked to the claim it repeats; inherits its verdict)

Every status change of a Claim goes through `transition`, which locks the row, checks the
move against TRANSITIONS, and saves through the model so django-simple-history records who
did it and why. Two callers racing for the same move: the second waits for the lock, then
finds the claim already moved and gets IllegalTransition, never a silent no-op.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction

from claims.errors import IllegalTransition, StaleVersion
from claims.models import Claim

S = Claim.Status

TRANSITIONS: dict[str, frozenset[str]] = {
    S.NEW: frozenset({S.TRIAGED, S.DISMISSED, S.DUPLICATE}),
    S.TRIAGED: frozenset({S.QUEUED, S.DISMISSED, S.DUPLICATE}),
    S.QUEUED: frozenset({S.IN_REVIEW, S.DISMISSED, S.DUPLICATE}),
    # in_review → queued: the reviewer released the task or its lease expired.
    S.IN_REVIEW: frozenset({S.IN_APPROVAL, S.QUEUED, S.DISMISSED, S.DUPLICATE}),
    S.IN_APPROVAL: frozenset({S.PUBLISHED, S.IN_REVIEW}),
    # A published verdict can be reopened (new evidence); the next one supersedes it.
    S.PUBLISHED: frozenset({S.QUEUED}),
    # An editor can restore a dismissed claim or undo a wrong duplicate link.
    S.DISMISSED: frozenset({S.TRIAGED}),
    S.DUPLICATE: frozenset({S.TRIAGED}),
}


def can_transition(current: str, target: str) -> bool:
    return target in TRANSITIONS.get(current, frozenset())


def allowed_targets(current: str) -> list[str]:
    return sorted(TRANSITIONS.get(current, frozenset()))


@transaction.atomic
def transition(
    *,
    claim: Claim,
    to: str,
    by: Any = None,
    reason: str = "",
    expected_version: int | None = None,
    extra: dict[str, Any] | None = None,
) -> Claim:
    """Move `claim` to status `to`, or raise.

    `expected_version` lets a form or API client say "the claim as I saw it": if someone
    changed it since, StaleVersion is raised instead of overwriting their change.
    `extra` sets further fields in the same write (e.g. duplicate_of).
    """
    # 1. Lock the row so concurrent transitions serialise; read the current state.
    locked = Claim.objects.select_for_update().get(pk=claim.pk)
    if expected_version is not None and locked.version != expected_version:
        raise StaleVersion(
            f"Claim {locked.pk} was changed by someone else (version {locked.version}, "
            f"you had {expected_version}). Reload it and try again.",
            details={"current_version": locked.version},
        )
    # 2. Check the move.
    if not can_transition(locked.status, to):
        raise IllegalTransition(
            f"A claim that is {locked.get_status_display().lower()} cannot become "
            f"{Claim.Status(to).label.lower() if to in Claim.Status.values else repr(to)}.",
            details={"status": locked.status, "allowed": allowed_targets(locked.status)},
        )
    # 3. Save through the model so history records the user and the reason.
    locked.status = to
    locked.status_reason = reason
    locked.version += 1
    update_fields = {"status", "status_reason", "version", "updated_at"}
    for field, value in (extra or {}).items():
        setattr(locked, field, value)
        update_fields.add(field)
    locked._history_user = by if getattr(by, "is_authenticated", False) else None  # type: ignore[attr-defined]
    locked._change_reason = reason or f"status → {to}"  # type: ignore[attr-defined]
    locked.save(update_fields=update_fields)
    # Keep the caller's instance in step with the database.
    claim.status, claim.status_reason, claim.version = locked.status, reason, locked.version
    for field, value in (extra or {}).items():
        setattr(claim, field, value)
    return locked
