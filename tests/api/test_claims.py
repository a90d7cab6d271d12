from __future__ import annotations

from typing import Any

import pytest

from claims.models import Claim
from tests import factories as f
from tests.api.conftest import error_of, publish

pytestmark = pytest.mark.django_db


def ids(response):
    assert response.status_code == 200, response.content
    return {row["id"] for row in response.json()["results"]}


def test_it_requires_a_key(anon, world):
    response = anon.get("/api/v1/claims/")
    assert response.status_code == 401
    assert error_of(response)["code"] == "not_authenticated"
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_it_refuses_a_user_without_a_role(as_user, outsider, world):
    response = as_user(outsider).get("/api/v1/claims/")
    assert response.status_code == 403
    assert error_of(response)["code"] == "permission_denied"


def test_it_shows_a_client_published_claims_and_its_own(api_a, world):
    assert ids(api_a.get("/api/v1/claims/")) == {world.published.pk, world.claim_a.pk}


def test_it_hides_other_clients_unpublished_claims(api_b, world):
    assert ids(api_b.get("/api/v1/claims/")) == {world.published.pk, world.claim_b.pk}
    response = api_b.get(f"/api/v1/claims/{world.claim_a.pk}/")
    assert response.status_code == 404
    assert error_of(response)["code"] == "not_found"


def test_it_shows_reviewers_and_editors_everything(api_reviewer, api_editor, world):
    everything = {world.published.pk, world.claim_a.pk, world.claim_b.pk}
    assert ids(api_reviewer.get("/api/v1/claims/")) == everything
    assert ids(api_editor.get("/api/v1/claims/")) == everything


def test_it_hides_drafts_assignees_and_internal_notes_from_clients(api_a, world):
    body = api_a.get(f"/api/v1/claims/{world.claim_a.pk}/").json()
    for field in ("reviews", "open_tasks", "status_reason", "priority", "created_by"):
        assert field not in body
    assert "internal draft note" not in str(body)
    assert body["evidence"] == []  # evidence of unpublished claims is work in progress


def test_it_shows_the_desk_drafts_and_tasks(api_reviewer, world):
    body = api_reviewer.get(f"/api/v1/claims/{world.claim_a.pk}/").json()
    assert [r["explanation"] for r in body["reviews"]] == ["internal draft note"]
    assert body["evidence"][0]["added_by"] == "alice"


def test_claim_detail_carries_everything_in_one_call(api_a, world):
    response = api_a.get(f"/api/v1/claims/{world.published.pk}/")
    assert response.status_code == 200
    assert response["ETag"] == f'"{world.published.version}"'
    body = response.json()
    assert body["status"] == "published"
    assert body["topics"][0]["slug"] == "crocus"
    (appearance,) = body["appearances"]
    assert appearance["source"]["publisher"]["name"] == "TASS"
    assert appearance["end"] > appearance["start"]
    inner = next(a for a in appearance["attributions"] if a["parent"] is not None)
    assert [link["actor"]["name"] for link in inner["chain"]] == [
        "The Kremlin",
        "Russian authorities",
    ]
    assert appearance["figures"][0]["metric"] == "killed"
    assert body["verdict"]["rating"]["slug"] == "false"
    assert body["evidence"][0]["url"].startswith("https://")
    assert "added_by" not in body["evidence"][0]


def test_it_links_related_claims_only_when_visible(api_a, api_reviewer, world):
    from claims.models import ClaimLink

    ClaimLink.objects.create(from_claim=world.claim_b, to_claim=world.published, kind="similar")
    ClaimLink.objects.create(from_claim=world.published, to_claim=world.claim_a, kind="variant")
    links = api_a.get(f"/api/v1/claims/{world.published.pk}/").json()["links"]
    assert {(link["claim"]["id"], link["direction"]) for link in links} == {
        (world.claim_a.pk, "out")
    }
    links = api_reviewer.get(f"/api/v1/claims/{world.published.pk}/").json()["links"]
    assert len(links) == 2


@pytest.mark.parametrize("page_size", [1, 5, 20])
def test_claim_list_runs_a_fixed_number_of_queries(
    api_editor, world, page_size, django_assert_max_num_queries, reviewer, editor
):
    for _ in range(20):
        claim: Any = f.ClaimFactory()
        claim.topics.add(world.topic)
        f.AppearanceFactory(claim=claim)
    publish(f.ClaimFactory(), reviewer=reviewer, editor=editor)
    with django_assert_max_num_queries(8):
        response = api_editor.get(f"/api/v1/claims/?page_size={page_size}")
    assert len(response.json()["results"]) == page_size


@pytest.mark.parametrize("appearances", [1, 10])
def test_claim_detail_runs_a_fixed_number_of_queries(
    api_a, api_editor, world, appearances, django_assert_max_num_queries
):
    for _ in range(appearances):
        appearance = f.AppearanceFactory(claim=world.published)
        f.AttributionFactory(appearance=appearance)
        f.FigureFactory(appearance=appearance)
    with django_assert_max_num_queries(14):
        assert api_editor.get(f"/api/v1/claims/{world.published.pk}/").status_code == 200
    with django_assert_max_num_queries(12):
        assert api_a.get(f"/api/v1/claims/{world.published.pk}/").status_code == 200


def test_it_filters_claims(api_editor, world):
    get = api_editor.get
    assert ids(get("/api/v1/claims/?status=published")) == {world.published.pk}
    assert ids(get("/api/v1/claims/?status=new&status=queued")) == {
        world.claim_a.pk,
        world.claim_b.pk,
    }
    assert ids(get(f"/api/v1/claims/?actor={world.kremlin.pk}")) == {world.published.pk}
    assert ids(get(f"/api/v1/claims/?publisher={world.publisher.pk}")) == {
        world.published.pk,
        world.claim_a.pk,
    }
    assert ids(get(f"/api/v1/claims/?source={world.source_b.pk}")) == {world.claim_b.pk}
    assert ids(get("/api/v1/claims/?topic=crocus")) == {world.published.pk, world.claim_a.pk}
    assert ids(get("/api/v1/claims/?rating=false")) == {world.published.pk}
    assert ids(get("/api/v1/claims/?rating=true")) == set()
    assert ids(get("/api/v1/claims/?published_after=2000-01-01T00:00:00Z")) == {world.published.pk}
    assert ids(get("/api/v1/claims/?first_seen_before=2000-01-01T00:00:00Z")) == set()
    assert len(ids(get("/api/v1/claims/?min_checkworthiness=0.5"))) == 3
    f.ClaimFactory(checkworthiness=0.1)
    assert len(ids(get("/api/v1/claims/?has_figures=false"))) == 1


def test_it_rejects_invalid_filters_with_field_errors(api_editor, world):
    response = api_editor.get("/api/v1/claims/?status=bogus&min_checkworthiness=abc")
    assert response.status_code == 400
    details = error_of(response)["details"]
    assert set(details) == {"status", "min_checkworthiness"}


def test_it_searches_claim_text(api_a, world):
    assert ids(api_a.get("/api/v1/claims/?q=killed")) == {world.published.pk}
    assert ids(api_a.get("/api/v1/claims/?q=casualties")) == {world.claim_a.pk}
    # Another client's claim is not found by searching for it.
    assert ids(api_a.get("/api/v1/claims/?q=secret")) == set()
    assert ids(api_a.get('/api/v1/claims/?q="people were" -nothing')) == {world.published.pk}


def test_it_pages_with_a_cursor_and_bounds_the_page_size(api_editor, world):
    for _ in range(5):
        f.ClaimFactory()
    first = api_editor.get("/api/v1/claims/?page_size=3").json()
    assert len(first["results"]) == 3
    second = api_editor.get(first["next"]).json()
    seen = {r["id"] for r in first["results"]} | {r["id"] for r in second["results"]}
    assert len(seen) == 6
    big = api_editor.get("/api/v1/claims/?page_size=100000").json()
    assert len(big["results"]) == 8


def test_it_orders_claims(api_editor, world):
    world.claim_b.checkworthiness = 0.99
    world.claim_b.save()
    rows = api_editor.get("/api/v1/claims/?ordering=-checkworthiness").json()["results"]
    assert rows[0]["id"] == world.claim_b.pk


def test_clients_and_desk_can_enter_claims_by_hand(api_a, api_b, world):
    response = api_a.post(
        "/api/v1/claims/",
        {
            "text": "Some 1,000 American troops left.",
            "kind": "figure",
            "topics": ["crocus"],
            "status": "published",
            "checkworthiness": 1,
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    # No mass assignment: status and check-worthiness are not the caller's to set.
    assert body["status"] == "new"
    assert body["checkworthiness"] == 0.0
    assert body["topics"][0]["slug"] == "crocus"
    assert api_a.get(f"/api/v1/claims/{body['id']}/").status_code == 200
    assert api_b.get(f"/api/v1/claims/{body['id']}/").status_code == 404


def test_anonymous_cannot_enter_claims(anon):
    assert anon.post("/api/v1/claims/", {"text": "x"}, format="json").status_code == 401


def test_it_refuses_nul_bytes_with_400(api_a):
    response = api_a.post("/api/v1/claims/", {"text": "bad\x00text"}, format="json")
    assert response.status_code == 400
    assert "text" in error_of(response)["details"]
    response = api_a.get("/api/v1/claims/?q=a%00b")
    assert response.status_code == 400


class TestUpdates:
    def test_only_editors_update_claims(self, api_a, api_reviewer, world):
        for api in (api_a, api_reviewer):
            response = api.patch(
                f"/api/v1/claims/{world.claim_a.pk}/",
                {"kind": "quote"},
                format="json",
                HTTP_IF_MATCH='"1"',
            )
            assert response.status_code == 403

    def test_an_update_needs_if_match(self, api_editor, world):
        response = api_editor.patch(
            f"/api/v1/claims/{world.claim_a.pk}/", {"kind": "quote"}, format="json"
        )
        assert response.status_code == 428
        assert error_of(response)["code"] == "precondition_required"

    def test_a_stale_if_match_is_refused(self, api_editor, world):
        etag = api_editor.get(f"/api/v1/claims/{world.claim_a.pk}/")["ETag"]
        first = api_editor.patch(
            f"/api/v1/claims/{world.claim_a.pk}/",
            {"kind": "quote", "topics": []},
            format="json",
            HTTP_IF_MATCH=etag,
        )
        assert first.status_code == 200, first.content
        assert first.json()["kind"] == "quote"
        assert first.json()["topics"] == []
        assert first["ETag"] != etag
        second = api_editor.patch(
            f"/api/v1/claims/{world.claim_a.pk}/",
            {"kind": "event"},
            format="json",
            HTTP_IF_MATCH=etag,
        )
        assert second.status_code == 412
        assert error_of(second)["code"] == "stale_version"
        assert Claim.objects.get(pk=world.claim_a.pk).kind == "quote"

    def test_status_is_not_writable_through_update(self, api_editor, world):
        etag = api_editor.get(f"/api/v1/claims/{world.claim_b.pk}/")["ETag"]
        response = api_editor.patch(
            f"/api/v1/claims/{world.claim_b.pk}/",
            {"status": "published"},
            format="json",
            HTTP_IF_MATCH=etag,
        )
        assert response.status_code == 200
        assert response.json()["status"] == "new"

    def test_editors_dismiss_claims_with_a_reason(self, api_editor, api_reviewer, world):
        url = f"/api/v1/claims/{world.claim_b.pk}/dismiss/"
        assert api_reviewer.post(url, {"reason": "opinion"}, format="json").status_code == 403
        assert api_editor.post(url, {"reason": ""}, format="json").status_code == 400
        response = api_editor.post(url, {"reason": "opinion"}, format="json")
        assert response.status_code == 200
        assert response.json()["status"] == "dismissed"
        again = api_editor.post(url, {"reason": "opinion"}, format="json")
        assert again.status_code == 409
        assert error_of(again)["code"] == "illegal_transition"

    def test_put_and_delete_are_not_allowed(self, api_editor, world):
        url = f"/api/v1/claims/{world.claim_b.pk}/"
        for method in (api_editor.put, api_editor.delete):
            response = method(url, {}, format="json")
            assert response.status_code == 405
            assert error_of(response)["code"] == "method_not_allowed"


def test_a_duplicate_shows_the_verdict_of_the_claim_it_repeats(api_a, api_editor, world):
    from claims import services

    copy: Any = f.ClaimFactory(text="Russian authorities: 140 killed.")
    f.AppearanceFactory(claim=copy, source=world.source_a)
    services.claim_mark_duplicate(claim=copy, of=world.published)
    body = api_a.get(f"/api/v1/claims/{copy.pk}/").json()
    assert body["status"] == "duplicate"
    assert body["duplicate_of"] == world.published.pk
    assert body["verdict"]["claim"] == world.published.pk
    assert body["verdict"]["rating"]["slug"] == "false"
    listed = {r["id"]: r for r in api_editor.get("/api/v1/claims/").json()["results"]}
    assert listed[copy.pk]["verdict"]["review_id"] == world.review.pk


def test_similar_claims_are_listed_only_when_visible(api_a, api_b, api_editor, world):
    twin: Any = f.ClaimFactory(
        text="Russian authorities said 140 people were killed.", status="published"
    )
    hidden: Any = f.ClaimFactory(text="Russian authorities said 140 people were killed in total.")
    f.AppearanceFactory(claim=hidden, source=world.source_b)
    url = f"/api/v1/claims/{world.published.pk}/similar/"
    found_by_editor = {row["claim"]["id"] for row in api_editor.get(url).json()}
    assert {twin.pk, hidden.pk} <= found_by_editor
    found_by_a = {row["claim"]["id"] for row in api_a.get(url).json()}
    assert twin.pk in found_by_a
    assert hidden.pk not in found_by_a
    assert hidden.pk in {row["claim"]["id"] for row in api_b.get(url).json()}
    assert world.published.pk not in found_by_editor


def test_entering_a_claim_twice_with_one_idempotency_key_makes_one_claim(api_editor):
    body = {"text": "The minister said exports rose by 12 per cent last year."}
    first = api_editor.post("/api/v1/claims/", body, format="json", HTTP_IDEMPOTENCY_KEY="c-1")
    again = api_editor.post("/api/v1/claims/", body, format="json", HTTP_IDEMPOTENCY_KEY="c-1")
    assert first.status_code == again.status_code == 201
    assert again.json()["id"] == first.json()["id"]
    assert again["Idempotent-Replayed"] == "true"
    assert Claim.objects.filter(text=body["text"]).count() == 1
    other = api_editor.post(
        "/api/v1/claims/", {"text": "Another."}, format="json", HTTP_IDEMPOTENCY_KEY="c-1"
    )
    assert other.status_code == 422
