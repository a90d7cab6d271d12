"""Appearances, attributions, actors, publishers, topics, ratings, figures and evidence:
who sees which rows, on lists as well as details."""

from __future__ import annotations

from typing import Any

import pytest

from tests import factories as f
from tests.api.conftest import error_of

pytestmark = pytest.mark.django_db

ROLES = ["anon", "api_a", "api_b", "api_reviewer", "api_editor"]


def rows(api, url):
    response = api.get(url)
    assert response.status_code == 200, response.content
    return response.json()["results"]


def claim_ids(api, url):
    return {row["claim"] for row in rows(api, url)}


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/appearances/",
        "/api/v1/attributions/",
        "/api/v1/actors/",
        "/api/v1/publishers/",
        "/api/v1/topics/",
        "/api/v1/ratings/",
        "/api/v1/figures/",
        "/api/v1/evidence/",
        "/api/v1/claimreviews/",
        "/api/v1/webhooks/",
    ],
)
def test_every_resource_needs_a_key(anon, outsider, as_user, url):
    assert anon.get(url).status_code == 401
    assert as_user(outsider).get(url).status_code == 403


@pytest.mark.parametrize("resource", ["appearances", "attributions", "figures"])
def test_clients_see_rows_of_visible_claims_only(api_a, api_b, api_editor, world, resource):
    url = f"/api/v1/{resource}/"
    assert claim_ids(api_a, url) == {world.published.pk, world.claim_a.pk}
    assert claim_ids(api_b, url) == {world.published.pk, world.claim_b.pk}
    assert claim_ids(api_editor, url) == {world.published.pk, world.claim_a.pk, world.claim_b.pk}
    hidden = next(r["id"] for r in rows(api_editor, url) if r["claim"] == world.claim_b.pk)
    assert api_a.get(f"{url}{hidden}/").status_code == 404
    assert api_b.get(f"{url}{hidden}/").status_code == 200


def test_resources_are_read_only(api_editor, world):
    for url in (
        "/api/v1/appearances/",
        "/api/v1/attributions/",
        "/api/v1/figures/",
        "/api/v1/actors/",
        "/api/v1/publishers/",
        "/api/v1/topics/",
    ):
        response = api_editor.post(url, {}, format="json")
        assert response.status_code == 405
        assert error_of(response)["code"] == "method_not_allowed"


def test_attributions_come_with_their_chain(api_a, world, django_assert_max_num_queries):
    for _ in range(5):
        parent = f.AttributionFactory(appearance=world.attribution.appearance)
        f.AttributionFactory(appearance=world.attribution.appearance, parent=parent)
    with django_assert_max_num_queries(8):
        found = rows(api_a, f"/api/v1/attributions/?claim={world.published.pk}&page_size=50")
    inner = next(r for r in found if r["id"] == world.attribution.pk)
    assert [link["actor"]["name"] for link in inner["chain"]] == [
        "The Kremlin",
        "Russian authorities",
    ]
    assert inner["source"] == world.public_source.pk


def test_an_actor_comes_with_the_claims_the_caller_may_see(api_a, api_b, api_editor, world):
    url = f"/api/v1/actors/{world.actor.pk}/"
    assert {c["id"] for c in api_a.get(url).json()["claims"]} == {
        world.published.pk,
        world.claim_a.pk,
    }
    assert {c["id"] for c in api_b.get(url).json()["claims"]} == {
        world.published.pk,
        world.claim_b.pk,
    }
    assert len(api_editor.get(url).json()["claims"]) == 3
    found = rows(api_a, "/api/v1/actors/?name=kreml")
    assert [a["name"] for a in found] == ["The Kremlin"]


def test_publishers_topics_and_ratings_are_listed(api_a, world):
    assert "TASS" in {p["name"] for p in rows(api_a, "/api/v1/publishers/")}
    assert [t["slug"] for t in rows(api_a, "/api/v1/topics/")] == ["crocus"]
    ratings = api_a.get("/api/v1/ratings/").json()
    assert "false" in {r["slug"] for r in ratings}
    assert api_a.get("/api/v1/ratings/false/").json()["slug"] == "false"


def test_figures_filter_by_metric_and_topic(api_editor, world):
    found = rows(api_editor, "/api/v1/figures/?metric=KILLED&topic=crocus")
    assert {r["claim"] for r in found} == {world.published.pk, world.claim_a.pk}
    assert rows(api_editor, "/api/v1/figures/?metric=troops&topic=crocus") == []


class TestFigureComparison:
    def test_it_lists_every_value_in_time_with_who_said_it(self, api_editor, world):
        response = api_editor.get("/api/v1/figures/compare/?topic=crocus&metric=killed")
        assert response.status_code == 200, response.content
        body = response.json()
        assert (body["topic"], body["metric"], body["truncated"]) == ("crocus", "killed", False)
        values = [row["figure"]["value"] for row in body["figures"]]
        assert sorted(values) == [12, 140]
        dates = [row["date"] for row in body["figures"]]
        assert dates == sorted(dates)
        first = body["figures"][0]
        assert first["attribution"]["actor"]["name"] == "Russian authorities"
        assert first["source"]["publisher"]["name"] == "TASS"

    def test_clients_compare_only_what_they_may_see(self, api_b, world):
        body = api_b.get("/api/v1/figures/compare/?topic=crocus&metric=killed").json()
        assert [row["claim"]["id"] for row in body["figures"]] == [world.published.pk]

    def test_topic_and_metric_are_required(self, api_a):
        response = api_a.get("/api/v1/figures/compare/")
        assert response.status_code == 400
        assert set(error_of(response)["details"]) == {"topic", "metric"}

    def test_it_runs_a_fixed_number_of_queries(
        self, api_editor, world, django_assert_max_num_queries
    ):
        for _ in range(10):
            appearance = f.AppearanceFactory(claim=world.published)
            f.AttributionFactory(appearance=appearance)
            f.FigureFactory(appearance=appearance, metric="killed")
        with django_assert_max_num_queries(6):
            body = api_editor.get("/api/v1/figures/compare/?topic=crocus&metric=killed").json()
        assert len(body["figures"]) == 12


class TestEvidence:
    def test_clients_see_evidence_of_published_claims_only(self, api_a, api_reviewer, world):
        assert claim_ids(api_a, "/api/v1/evidence/") == {world.published.pk}
        assert "added_by" not in rows(api_a, "/api/v1/evidence/")[0]
        assert claim_ids(api_reviewer, "/api/v1/evidence/") == {
            world.published.pk,
            world.claim_a.pk,
        }

    def test_reviewers_add_evidence(self, api_reviewer, world):
        response = api_reviewer.post(
            "/api/v1/evidence/",
            {
                "claim": world.claim_b.pk,
                "url": "https://stats.example/r",
                "stance": "refutes",
                "added_by": 1,
            },
            format="json",
        )
        assert response.status_code == 201, response.content
        assert response.json()["added_by"] == "alice"

    def test_clients_cannot_add_evidence(self, api_a, world):
        response = api_a.post(
            "/api/v1/evidence/", {"claim": world.claim_a.pk, "excerpt": "x"}, format="json"
        )
        assert response.status_code == 403

    def test_evidence_needs_a_url_or_an_excerpt(self, api_reviewer, world):
        response = api_reviewer.post(
            "/api/v1/evidence/", {"claim": world.claim_b.pk}, format="json"
        )
        assert response.status_code == 400

    def test_evidence_on_a_missing_claim_is_404(self, api_reviewer, world):
        response = api_reviewer.post(
            "/api/v1/evidence/", {"claim": 999999, "excerpt": "x"}, format="json"
        )
        assert response.status_code == 404


def test_clients_see_only_actors_and_publishers_of_what_they_may_see(
    api_a, api_b, api_editor, world
):
    from claims.models import Source

    secret: Any = f.PublisherFactory(name="Intranet", domain="intranet.client-b.example")
    Source.objects.filter(pk=world.source_b.pk).update(publisher=secret)
    loner: Any = f.ActorFactory(name="Only in B's draft")
    f.AttributionFactory(appearance=world.claim_b.appearances.get(), actor=loner)
    assert "Intranet" not in {p["name"] for p in rows(api_a, "/api/v1/publishers/")}
    assert "Intranet" in {p["name"] for p in rows(api_b, "/api/v1/publishers/")}
    assert "Intranet" in {p["name"] for p in rows(api_editor, "/api/v1/publishers/")}
    assert api_a.get(f"/api/v1/publishers/{secret.pk}/").status_code == 404
    assert loner.pk not in {a["id"] for a in rows(api_a, "/api/v1/actors/")}
    assert api_a.get(f"/api/v1/actors/{loner.pk}/").status_code == 404
    assert api_b.get(f"/api/v1/actors/{loner.pk}/").status_code == 200
