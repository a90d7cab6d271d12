"""The roles of DESIGN.md ("Roles") as Django groups and permissions.

Kept as data so the migration that creates the groups and the tests that check them read
the same table.
"""

from __future__ import annotations

REVIEWERS = "reviewers"
EDITORS = "editors"
CLIENTS = "clients"

_VIEW_ALL = [
    f"claims.view_{model}"
    for model in (
        "publisher",
        "source",
        "actor",
        "actoralias",
        "topic",
        "claim",
        "appearance",
        "attribution",
        "figure",
        "claimlink",
        "evidence",
        "rating",
        "review",
        "reviewtask",
        "reviewerprofile",
    )
]

REVIEWER_PERMISSIONS = [
    *_VIEW_ALL,
    "claims.add_source",
    "claims.add_claim",
    "claims.add_evidence",
    "claims.change_evidence",
    "claims.delete_evidence",
    "claims.add_review",
    "claims.change_review",
    "claims.change_attribution",
    "claims.change_figure",
    "claims.add_claimlink",
    "claims.change_claimlink",
    "claims.take_reviewtask",
]

EDITOR_PERMISSIONS = [
    *REVIEWER_PERMISSIONS,
    "claims.change_claim",
    "claims.dismiss_claim",
    "claims.merge_claim",
    "claims.change_source",
    "claims.add_publisher",
    "claims.change_publisher",
    "claims.add_actor",
    "claims.change_actor",
    "claims.add_actoralias",
    "claims.change_actoralias",
    "claims.delete_actoralias",
    "claims.add_topic",
    "claims.change_topic",
    "claims.add_rating",
    "claims.change_rating",
    "claims.approve_review",
    "claims.change_reviewtask",
    "claims.reassign_reviewtask",
    "claims.add_reviewerprofile",
    "claims.change_reviewerprofile",
    "api.view_apikey",
    "api.add_apikey",
    "api.change_apikey",
]

GROUP_PERMISSIONS: dict[str, list[str]] = {
    REVIEWERS: REVIEWER_PERMISSIONS,
    EDITORS: EDITOR_PERMISSIONS,
    CLIENTS: [],
}
