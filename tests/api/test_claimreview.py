from __future__ import annotations

import pytest

from tests import factories as f
from tests.api.conftest import publish

pytestmark = pytest.mark.django_db


def test_a_published_claim_has_claimreview_json_ld(api_a, world):
    for url in (
        f"/api/v1/claims/{world.published.pk}/claimreview",
        f"/api/v1/claims/{world.published.pk}/claimreview/",
    ):
        response = api_a.get(url)
        assert response.status_code == 200, response.content
    body = response.json()
    assert body["@context"] == "https://schema.org"
    assert body["@type"] == "ClaimReview"
    assert body["claimReviewed"] == world.published.text
    rating = body["reviewRating"]
    assert {"ratingValue", "bestRating", "worstRating", "alternateName"} <= set(rating)
    assert body["author"]["@type"] == "Organization"
    assert body["datePublished"]
    assert body["url"].endswith(f"/claims/{world.published.pk}")
    item = body["itemReviewed"]
    assert item["@type"] == "Claim"
    assert item["author"]["name"] in {"The Kremlin", "Russian authorities"}
    assert item["firstAppearance"]["url"] == world.public_source.url
    assert item["appearance"]
    assert item["datePublished"]


def test_an_unpublished_claim_has_none(api_a, api_editor, world):
    assert api_a.get(f"/api/v1/claims/{world.claim_a.pk}/claimreview").status_code == 404
    assert api_editor.get(f"/api/v1/claims/{world.claim_b.pk}/claimreview").status_code == 404
    # And another client's unpublished claim is not even known.
    assert api_a.get(f"/api/v1/claims/{world.claim_b.pk}/claimreview").status_code == 404


def test_the_feed_pages_through_every_published_claimreview(
    api_b, world, reviewer, editor, django_assert_max_num_queries
):
    for _ in range(4):
        publish(f.ClaimFactory(), reviewer=reviewer, editor=editor)
    with django_assert_max_num_queries(4):
        first = api_b.get("/api/v1/claimreviews/?page_size=3").json()
    assert len(first["results"]) == 3
    second = api_b.get(first["next"]).json()
    assert second["next"] is None
    items = first["results"] + second["results"]
    assert len(items) == 5
    assert all(item["claimreview"]["@type"] == "ClaimReview" for item in items)
    assert world.claim_a.pk not in {item["claim"] for item in items}
