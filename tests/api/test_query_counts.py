"""Every list and detail endpoint answers in a number of queries that does not grow with
the number of rows: the same count with 3 rows as with 30, for a reviewer and for a
client. A prefetch that goes missing (an N+1) shows here, not in production at a million
claims."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from api.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint
from claims.models import ActorAlias, Attribution, ClaimLink, ReviewTask
from tests import factories as f
from tests.api.conftest import client_for, publish

pytestmark = pytest.mark.django_db


class Growing:
    """A hub claim, source and actor whose related rows grow with every unit added, and one
    published claim per unit: each unit adds rows to every list and every detail."""

    def __init__(self, *, client: Any, reviewer: Any, editor: Any) -> None:
        self.client, self.reviewer, self.editor = client, reviewer, editor
        self.topic = f.TopicFactory(slug="crocus")
        self.actor = f.ActorFactory(name="Russian authorities", kind="collective")
        self.outer_actor = f.ActorFactory(name="The Kremlin", kind="government")
        self.hub_source = f.SourceFactory(submitted_by=client)
        self.hub: Any = f.ClaimFactory.create(text="Russian authorities said 140 were killed.")
        self.hub.topics.add(self.topic)
        self.review = publish(self.hub, reviewer=reviewer, editor=editor)
        self.endpoint = WebhookEndpoint.objects.create(
            owner=client,
            url="https://hooks.example/in",
            events=["claim.published"],
            secret=WebhookEndpoint.new_secret(),
        )
        self.units = 0

    def _appearance(self, claim: Any, source: Any, start: int) -> None:
        appearance = f.AppearanceFactory(
            claim=claim, source=source, start=start, end=start + len(claim.text)
        )
        outer = f.AttributionFactory(
            appearance=appearance,
            actor=self.outer_actor,
            kind=Attribution.Kind.ACCORDING_TO,
            cue="according to",
        )
        f.AttributionFactory(appearance=appearance, actor=self.actor, parent=outer)
        f.FigureFactory(appearance=appearance, metric="killed", value=140 + start)

    def add(self, n: int) -> None:
        for _ in range(n):
            i = self.units = self.units + 1
            source = f.SourceFactory(submitted_by=self.client)
            claim: Any = f.ClaimFactory.create(text=f"Officials said {i + 100} people were killed.")
            claim.topics.add(self.topic, f.TopicFactory(slug=f"topic-{i}"))
            self._appearance(claim, source, 0)
            speaker = f.ActorFactory(name=f"Minister {i}")
            ActorAlias.objects.create(actor=speaker, alias=f"the minister {i}")
            f.AttributionFactory(appearance=claim.appearances.get(source=source), actor=speaker)
            self._appearance(self.hub, source, 100)
            self._appearance(claim, self.hub_source, 1000 + i * 100)
            f.EvidenceFactory(claim=claim, added_by=self.reviewer)
            f.EvidenceFactory(claim=self.hub, added_by=self.reviewer)
            publish(claim, reviewer=self.reviewer, editor=self.editor)
            ClaimLink.objects.create(from_claim=claim, to_claim=self.hub, kind="similar", score=0.7)
            ReviewTask.objects.create(claim=claim, kind="approval", assignee=self.editor)
            delivery = WebhookDelivery.objects.create(
                endpoint=self.endpoint, event="claim.published", payload={"claim": claim.pk}
            )
            for number in (1, 2):
                WebhookAttempt.objects.create(
                    delivery=delivery, number=number, attempted_at=timezone.now()
                )


@pytest.fixture
def growing(client_a, reviewer, editor):
    return Growing(client=client_a, reviewer=reviewer, editor=editor)


def _paths(g: Growing, desk: bool) -> list[str]:
    review = g.review.pk
    appearance = g.hub.appearances.order_by("pk").first().pk
    attribution = Attribution.objects.filter(appearance_id=appearance).order_by("pk").first().pk
    figure = g.hub.appearances.order_by("pk").first().figures.first().pk
    evidence = g.hub.evidence.order_by("pk").first().pk
    paths = [
        "/api/v1/sources/?page_size=100",
        f"/api/v1/sources/{g.hub_source.pk}/",
        "/api/v1/claims/?page_size=100",
        "/api/v1/claims/?page_size=100&status=published",
        "/api/v1/claims/?page_size=100&q=killed",
        f"/api/v1/claims/{g.hub.pk}/",
        f"/api/v1/claims/{g.hub.pk}/similar/",
        "/api/v1/claims/similar/?text=Officials+said+people+were+killed",
        f"/api/v1/claims/{g.hub.pk}/claimreview/",
        "/api/v1/claimreviews/?page_size=100",
        "/api/v1/appearances/?page_size=100",
        f"/api/v1/appearances/{appearance}/",
        "/api/v1/attributions/?page_size=100",
        f"/api/v1/attributions/{attribution}/",
        "/api/v1/actors/?page_size=100",
        f"/api/v1/actors/{g.actor.pk}/",
        "/api/v1/publishers/?page_size=100",
        f"/api/v1/publishers/{g.hub_source.publisher_id}/",
        "/api/v1/topics/?page_size=100",
        f"/api/v1/topics/{g.topic.pk}/",
        "/api/v1/ratings/",
        "/api/v1/ratings/false/",
        "/api/v1/figures/?page_size=100",
        f"/api/v1/figures/{figure}/",
        "/api/v1/figures/compare/?topic=crocus&metric=killed",
        "/api/v1/evidence/?page_size=100",
        f"/api/v1/evidence/{evidence}/",
        "/api/v1/reviews/?page_size=100",
        f"/api/v1/reviews/{review}/",
        "/factchecktools/v1alpha1/claims:search?query=killed&pageSize=100",
    ]
    if desk:
        task = ReviewTask.objects.order_by("pk").first().pk
        paths += ["/api/v1/queue/?page_size=100", f"/api/v1/queue/{task}/"]
    else:
        paths += [
            "/api/v1/webhooks/?page_size=100",
            f"/api/v1/webhooks/{g.endpoint.pk}/",
            f"/api/v1/webhooks/{g.endpoint.pk}/deliveries/?page_size=100",
        ]
    return paths


def _counts(api: Any, paths: list[str]) -> dict[str, tuple[int, int]]:
    """path -> (queries, bytes of the answer); every answer must be a 200."""
    out = {}
    for path in paths:
        # Warm first: matching caches per-word statistics, the ETag and key stamps settle.
        api.get(path)
        with CaptureQueriesContext(connection) as queries:
            response = api.get(path)
        assert response.status_code == 200, (path, response.status_code, response.content[:300])
        out[path] = (len(queries.captured_queries), len(response.content))
    return out


@pytest.mark.parametrize("persona", ["reviewer", "client_a"])
def test_query_counts_do_not_grow_with_rows(persona, growing, request):
    user = request.getfixturevalue(persona)
    api = client_for(user)
    growing.add(3)
    paths = _paths(growing, desk=persona == "reviewer")
    small = _counts(api, paths)
    growing.add(27)
    large = _counts(api, paths)
    # Similar-claim lookup adds a trigram query when full text finds fewer than
    # FACTCHECK_MATCH_TRIGRAM_BELOW candidates, as it does with 3 rows: one query fewer at 30.
    grew = {
        path: (small[path][0], large[path][0])
        for path in paths
        if large[path][0] > small[path][0]
        or (large[path][0] != small[path][0] and "similar" not in path)
    }
    assert grew == {}, f"query counts grew with the rows (3 rows -> 30 rows): {grew}"
    # Not vacuous: the lists and the hub's details carry the new rows.
    hubs = (
        f"/claims/{growing.hub.pk}/",
        f"/sources/{growing.hub_source.pk}/",
        f"/actors/{growing.actor.pk}/",
    )
    growing_paths = [
        path
        for path in paths
        if ("page_size" in path and "/webhooks/?" not in path)
        or path.endswith(hubs)
        or "/compare/" in path
        or "claims:search" in path
    ]
    assert len(growing_paths) >= 15
    for path in growing_paths:
        assert large[path][1] > small[path][1], f"{path} did not grow with the rows"


def test_the_benchmark_floor_views_are_not_mounted_by_default(api_reviewer):
    assert api_reviewer.get("/bench-floor/constant").status_code == 404


# The hot endpoints of `make bench`, at their exact count: the API key with its user and
# role in one query (api.auth), then the claims page with its verdict ids and topic slugs
# in one query, and the verdicts' reviews in one more; the detail in its own row plus one
# statement for every part (claims.selectors); search with one bounded query first to
# choose its plan. A new round trip shows here.
HOT = {
    "/api/v1/claims/?page_size=100": 3,
    "/api/v1/claims/?page_size=100&status=published": 3,
    "/api/v1/claims/?page_size=100&status=queued": 2,  # no verdicts: no review query
    "/api/v1/claims/?page_size=100&q=killed": 4,
    "/api/v1/claims/?page_size=100&q=officials+killed": 4,
    "hub detail": 3,
}


@pytest.mark.parametrize("persona", ["reviewer", "client_a"])
def test_the_hot_claim_endpoints_make_these_many_queries(persona, growing, request):
    api = client_for(request.getfixturevalue(persona))
    growing.add(3)
    hub = f"/api/v1/claims/{growing.hub.pk}/"
    counts = _counts(api, [hub if path == "hub detail" else path for path in HOT])
    assert {path: counts[hub if path == "hub detail" else path][0] for path in HOT} == HOT
