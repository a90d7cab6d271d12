"""The one application error type, and the cases of it the domain raises.

Views and the admin turn these into a response with the same shape everywhere
(code, message, details); services never return error values.
"""

from __future__ import annotations

from typing import Any


class ApplicationError(Exception):
    code = "invalid"
    status_code = 400

    def __init__(self, message: str, *, details: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details or {}


class IllegalTransition(ApplicationError):
    """The object is not in a state from which the requested change is allowed."""

    code = "illegal_transition"
    status_code = 409


class NotAllowed(ApplicationError):
    """The user's role (or their relation to the object) does not allow the action."""

    code = "not_allowed"
    status_code = 403


class StaleVersion(ApplicationError):
    """Someone else changed the object since the caller read it."""

    code = "stale_version"
    status_code = 412


class NothingToDo(ApplicationError):
    """A request for work found none (an empty queue)."""

    code = "nothing_to_do"
    status_code = 404
