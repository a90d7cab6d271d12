from __future__ import annotations

import pytest
from django.contrib.auth.models import Group

from claims.roles import EDITORS, GROUP_PERMISSIONS, REVIEWERS

pytestmark = pytest.mark.django_db


def _codes(group: str) -> set[str]:
    return {
        f"{p.content_type.app_label}.{p.codename}"
        for p in Group.objects.get(name=group).permissions.select_related("content_type")
    }


def test_the_migration_creates_the_groups_with_the_declared_permissions():
    for name, codes in GROUP_PERMISSIONS.items():
        assert _codes(name) == set(codes)


def test_only_editors_may_approve_reassign_and_edit_the_rating_scale():
    for perm in ("claims.approve_review", "claims.reassign_reviewtask", "claims.change_rating"):
        assert perm in _codes(EDITORS)
        assert perm not in _codes(REVIEWERS)


def test_reviewers_may_take_tasks_add_evidence_and_draft_reviews(reviewer):
    for perm in ("claims.take_reviewtask", "claims.add_evidence", "claims.add_review"):
        assert reviewer.has_perm(perm)
    assert not reviewer.has_perm("claims.approve_review")
