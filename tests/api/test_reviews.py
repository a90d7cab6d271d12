from __future__ import annotations

from typing import Any

import pytest

from claims import services
from claims.models import Claim, Review
from tests import factories as f
from tests.api.conftest import error_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def queued_claim(db):
    claim: Any = f.ClaimFactory(status=Claim.Status.TRIAGED, text="The strike killed 40 people.")
    services.claim_queue(claim=claim)
    return claim


def take(api, kind="review"):
    return api.post("/api/v1/queue/take-next/", {"kind": kind}, format="json")


def draft(api, claim, **extra):
    body = {"claim": claim.pk, "rating": "false", "explanation": "Hospital records say 12."}
    return api.post("/api/v1/reviews/", body | extra, format="json")


class TestQueue:
    @pytest.mark.parametrize("who", ["anon", "api_a"])
    def test_clients_and_anonymous_have_no_queue(self, request, who, queued_claim):
        api = request.getfixturevalue(who)
        expected = 401 if who == "anon" else 403
        assert api.get("/api/v1/queue/").status_code == expected
        assert take(api).status_code == expected

    def test_a_reviewer_takes_the_next_task(self, api_reviewer, queued_claim):
        response = take(api_reviewer)
        assert response.status_code == 200, response.content
        body = response.json()
        assert body["claim"]["id"] == queued_claim.pk
        assert body["state"] == "assigned"
        assert body["assignee"] == "alice"
        assert take(api_reviewer).status_code == 404
        assert error_of(take(api_reviewer))["code"] == "nothing_to_do"

    def test_a_reviewer_lists_their_tasks_and_releases_one(
        self, api_reviewer, api_editor, queued_claim
    ):
        task_id = take(api_reviewer).json()["id"]
        mine = api_reviewer.get("/api/v1/queue/?mine=true").json()["results"]
        assert [t["id"] for t in mine] == [task_id]
        assert api_editor.get("/api/v1/queue/?mine=true").json()["results"] == []
        response = api_reviewer.post(f"/api/v1/queue/{task_id}/release/")
        assert response.status_code == 200
        assert response.json()["state"] == "queued"
        again = api_reviewer.post(f"/api/v1/queue/{task_id}/release/")
        assert again.status_code == 409


class TestReviewWorkflow:
    def test_a_verdict_goes_from_draft_to_published(
        self, api_reviewer, api_editor, queued_claim, api_a
    ):
        take(api_reviewer)
        created = draft(api_reviewer, queued_claim)
        assert created.status_code == 201, created.content
        review = created.json()
        assert review["status"] == "draft"
        etag = created["ETag"]

        edited = api_reviewer.patch(
            f"/api/v1/reviews/{review['id']}/",
            {"explanation": "Records say 12 died."},
            format="json",
            HTTP_IF_MATCH=etag,
        )
        assert edited.status_code == 200, edited.content
        submitted = api_reviewer.post(f"/api/v1/reviews/{review['id']}/submit/")
        assert submitted.status_code == 200, submitted.content
        assert submitted.json()["status"] == "submitted"

        approved = api_editor.post(f"/api/v1/reviews/{review['id']}/approve/")
        assert approved.status_code == 200, approved.content
        assert approved.json()["status"] == "published"
        assert approved.json()["approver"] == "bob"

        claim = api_a.get(f"/api/v1/claims/{queued_claim.pk}/").json()
        assert claim["status"] == "published"
        assert claim["verdict"]["explanation"] == "Records say 12 died."

    def test_only_editors_approve_and_reject(
        self, api_reviewer, api_a, reviewer2, as_user, queued_claim
    ):
        take(api_reviewer)
        review_id = draft(api_reviewer, queued_claim).json()["id"]
        api_reviewer.post(f"/api/v1/reviews/{review_id}/submit/")
        for api in (api_reviewer, as_user(reviewer2), api_a):
            assert api.post(f"/api/v1/reviews/{review_id}/approve/").status_code in {403, 404}
            response = api.post(
                f"/api/v1/reviews/{review_id}/reject/", {"comment": "no"}, format="json"
            )
            assert response.status_code in {403, 404}
        assert Review.objects.get(pk=review_id).status == "submitted"

    def test_nobody_approves_their_own_review(self, editor, api_editor, queued_claim):
        take(api_editor)
        review_id = draft(api_editor, queued_claim).json()["id"]
        api_editor.post(f"/api/v1/reviews/{review_id}/submit/")
        response = api_editor.post(f"/api/v1/reviews/{review_id}/approve/")
        assert response.status_code == 403
        assert error_of(response)["code"] == "not_allowed"

    def test_a_rejection_goes_back_with_a_comment(self, api_reviewer, api_editor, queued_claim):
        take(api_reviewer)
        review_id = draft(api_reviewer, queued_claim).json()["id"]
        api_reviewer.post(f"/api/v1/reviews/{review_id}/submit/")
        assert (
            api_editor.post(
                f"/api/v1/reviews/{review_id}/reject/", {"comment": ""}, format="json"
            ).status_code
            == 400
        )
        response = api_editor.post(
            f"/api/v1/reviews/{review_id}/reject/",
            {"comment": "Cite the records."},
            format="json",
        )
        assert response.status_code == 200
        assert response.json()["rejection_comment"] == "Cite the records."

    def test_approving_twice_is_a_409(self, api_reviewer, api_editor, queued_claim):
        take(api_reviewer)
        review_id = draft(api_reviewer, queued_claim).json()["id"]
        api_reviewer.post(f"/api/v1/reviews/{review_id}/submit/")
        api_editor.post(f"/api/v1/reviews/{review_id}/approve/")
        response = api_editor.post(f"/api/v1/reviews/{review_id}/approve/")
        assert response.status_code == 409
        assert error_of(response)["code"] == "illegal_transition"

    def test_drafting_without_holding_the_task_is_refused(self, api_reviewer, queued_claim):
        response = draft(api_reviewer, queued_claim)
        assert response.status_code == 409

    def test_an_incomplete_review_cannot_be_submitted(self, api_reviewer, queued_claim):
        take(api_reviewer)
        review_id = draft(api_reviewer, queued_claim, explanation="", rating=None).json()["id"]
        response = api_reviewer.post(f"/api/v1/reviews/{review_id}/submit/")
        assert response.status_code == 400
        assert set(error_of(response)["details"]) == {"rating", "explanation"}


class TestETags:
    def test_a_review_edit_needs_if_match_and_a_fresh_one(self, api_reviewer, queued_claim):
        take(api_reviewer)
        created = draft(api_reviewer, queued_claim)
        url = f"/api/v1/reviews/{created.json()['id']}/"
        assert api_reviewer.patch(url, {"explanation": "x"}, format="json").status_code == 428
        ok = api_reviewer.patch(
            url, {"explanation": "x"}, format="json", HTTP_IF_MATCH=created["ETag"]
        )
        assert ok.status_code == 200
        stale = api_reviewer.patch(
            url, {"explanation": "y"}, format="json", HTTP_IF_MATCH=created["ETag"]
        )
        assert stale.status_code == 412
        assert api_reviewer.get(url)["ETag"] == ok["ETag"]

    def test_a_stale_if_match_on_an_action_is_refused(self, api_reviewer, queued_claim):
        take(api_reviewer)
        created = draft(api_reviewer, queued_claim)
        review_id = created.json()["id"]
        api_reviewer.patch(
            f"/api/v1/reviews/{review_id}/",
            {"explanation": "x"},
            format="json",
            HTTP_IF_MATCH=created["ETag"],
        )
        response = api_reviewer.post(
            f"/api/v1/reviews/{review_id}/submit/", HTTP_IF_MATCH=created["ETag"]
        )
        assert response.status_code == 412

    def test_someone_elses_draft_cannot_be_edited(
        self, api_reviewer, reviewer2, as_user, queued_claim
    ):
        take(api_reviewer)
        created = draft(api_reviewer, queued_claim)
        response = as_user(reviewer2).patch(
            f"/api/v1/reviews/{created.json()['id']}/",
            {"explanation": "mine now"},
            format="json",
            HTTP_IF_MATCH=created["ETag"],
        )
        assert response.status_code == 403


class TestVisibility:
    def test_clients_see_only_published_reviews_without_reviewers(self, api_a, api_b, world):
        for api in (api_a, api_b):
            rows = api.get("/api/v1/reviews/").json()["results"]
            assert [r["id"] for r in rows] == [world.review.pk]
            assert "reviewer" not in rows[0]
            assert "rejection_comment" not in rows[0]
            assert api.get(f"/api/v1/reviews/{world.draft_a.pk}/").status_code == 404

    def test_the_desk_sees_drafts(self, api_reviewer, api_editor, world):
        for api in (api_reviewer, api_editor):
            rows = api.get("/api/v1/reviews/").json()["results"]
            assert {r["id"] for r in rows} == {world.review.pk, world.draft_a.pk}

    def test_clients_cannot_write_reviews(self, api_a, world):
        assert draft(api_a, world.claim_a).status_code == 403
