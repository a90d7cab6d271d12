"""Who may call what (DESIGN.md, "Roles").

Views name the roles an action needs; object-level visibility (what a client may read) is
the job of the querysets in claims/selectors.py, so list endpoints and detail endpoints
can never disagree.
"""

from __future__ import annotations

from typing import Any

from rest_framework import permissions
from rest_framework.request import Request

from claims.selectors import CLIENT, EDITOR, REVIEWER, user_role

ANY_ROLE = frozenset({CLIENT, REVIEWER, EDITOR})
DESK = frozenset({REVIEWER, EDITOR})
EDITORS_ONLY = frozenset({EDITOR})


class HasRole(permissions.BasePermission):
    """The user has one of the view's `roles` (for this action, see `roles_for`)."""

    message = "Your account has no role that allows this."

    def has_permission(self, request: Request, view: Any) -> bool:
        if not request.user or not request.user.is_authenticated:
            return False
        allowed = view.roles_for(request) if hasattr(view, "roles_for") else ANY_ROLE
        return user_role(request.user) in allowed
