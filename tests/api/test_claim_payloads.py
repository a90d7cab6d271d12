"""The claims list and detail are built as plain dicts (api.serializers.claim_list_data,
claim_detail_data) for speed; the documented shape is the claim serializers', from which
the OpenAPI schema is generated. These tests hold the two together: for every claim in
every situation, and for the desk and a client, the API answers byte for byte what the
serializers write from model instances read the straightforward way."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.db.models import Prefetch, QuerySet
from django.utils import timezone
from rest_framework.renderers import JSONRenderer

from api import serializers as s
from claims import selectors
from claims.models import (
    Appearance,
    Attribution,
    Claim,
    ClaimLink,
    Evidence,
    Review,
    ReviewTask,
)
from tests import factories as f
from tests.api.conftest import client_for, publish

pytestmark = pytest.mark.django_db


def _published(path: str = "reviews") -> Prefetch:
    return Prefetch(
        path,
        queryset=Review.objects.filter(status=Review.Status.PUBLISHED).select_related("rating"),
        to_attr="published_reviews",
    )


def _reference_detail(user: Any) -> QuerySet[Claim]:
    """Claims as the detail serializers expect them: the prefetches the API used before it
    built its answers by hand (visibility of linked claims, no rejected links, a client
    sees evidence only on published claims)."""
    visible = selectors.claims_visible_to(user).values("pk")
    appearances = Appearance.objects.select_related("source", "source__publisher")
    prefetches: list[Any] = [
        "topics",
        Prefetch(
            "appearances",
            queryset=appearances.prefetch_related(
                Prefetch("attributions", queryset=Attribution.objects.select_related("actor")),
                "figures",
            ),
        ),
        Prefetch(
            "links_out",
            queryset=ClaimLink.objects.filter(to_claim__in=visible)
            .exclude(status=ClaimLink.Status.REJECTED)
            .select_related("to_claim"),
        ),
        Prefetch(
            "links_in",
            queryset=ClaimLink.objects.filter(from_claim__in=visible)
            .exclude(status=ClaimLink.Status.REJECTED)
            .select_related("from_claim"),
        ),
        _published(),
        _published("duplicate_of__reviews"),
    ]
    if selectors.is_desk(user):
        prefetches += [
            Prefetch("evidence", queryset=Evidence.objects.select_related("added_by")),
            Prefetch(
                "reviews",
                queryset=Review.objects.select_related("rating", "reviewer", "approver"),
                to_attr="all_reviews",
            ),
            Prefetch(
                "tasks",
                queryset=ReviewTask.objects.filter(
                    state__in=[ReviewTask.State.QUEUED, ReviewTask.State.ASSIGNED]
                ).select_related("assignee"),
                to_attr="open_tasks",
            ),
        ]
    else:
        prefetches.append(
            Prefetch(
                "evidence",
                queryset=Evidence.objects.filter(claim__status=Claim.Status.PUBLISHED),
            )
        )
    return selectors.claims_visible_to(user).prefetch_related(*prefetches)


def _json(data: Any) -> bytes:
    return JSONRenderer().render(data)


@pytest.fixture
def rich(client_a, client_b, reviewer, editor):
    """Claims carrying everything the list and detail show, and what they must not."""
    now = timezone.now()
    topic_b = f.TopicFactory(slug="b-topic", name="Bamako talks")
    topic_a = f.TopicFactory(slug="a-topic", name="Attack in Moscow")
    nameless = f.SourceFactory(submitted_by=client_a, publisher=None, published_at=now)
    kremlin = f.ActorFactory(name="The Kremlin", kind="government")
    original: Any = f.ClaimFactory.create(text="Over 140 people were killed.", priority=2.5)
    original.topics.add(topic_b, topic_a)
    appearance = f.AppearanceFactory(claim=original, source=nameless, start=10, end=40)
    outer = f.AttributionFactory(appearance=appearance, actor=kremlin, kind="according_to")
    inner = f.AttributionFactory(
        appearance=appearance, actor=None, parent=outer, cue="", source_text="officials"
    )
    f.AttributionFactory(appearance=appearance, actor=kremlin, parent=inner, content_start=3)
    f.FigureFactory(appearance=appearance, value=140.0, lower=140, upper=None, as_of=now)
    f.FigureFactory(appearance=appearance, value=0.1 + 0.2, lower=None, start=12, end=20)
    f.AppearanceFactory(claim=original, source=f.SourceFactory(), start=0, end=5)
    f.EvidenceFactory(claim=original, added_by=reviewer)
    f.EvidenceFactory(claim=original, added_by=None, url="", excerpt="Quoted from the wire.")
    publish(original, reviewer=reviewer, editor=editor)
    Review.objects.create(claim=original, reviewer=reviewer, status=Review.Status.REJECTED)

    duplicate: Any = f.ClaimFactory.create(
        text="More than 140 killed.", status="duplicate", duplicate_of=original
    )
    f.AppearanceFactory(claim=duplicate, source=f.SourceFactory(submitted_by=client_a))
    ClaimLink.objects.create(from_claim=duplicate, to_claim=original, kind="duplicate", score=1)

    mine: Any = f.ClaimFactory.create(text="Client A's queued claim.", status="queued")
    f.AppearanceFactory(claim=mine, source=nameless, start=50, end=70)
    Review.objects.create(claim=mine, reviewer=reviewer, explanation="draft")
    ReviewTask.objects.create(
        claim=mine, kind="review", assignee=reviewer, due_at=now + timedelta(days=1)
    )
    ReviewTask.objects.create(claim=mine, kind="approval", priority=0.3)
    hidden: Any = f.ClaimFactory.create(text="Client B's own claim.", status="new")
    f.AppearanceFactory(claim=hidden, source=f.SourceFactory(submitted_by=client_b))
    ClaimLink.objects.create(from_claim=mine, to_claim=hidden, kind="similar", score=0.61)
    ClaimLink.objects.create(from_claim=original, to_claim=mine, kind="variant", score=0.7)
    ClaimLink.objects.create(
        from_claim=hidden, to_claim=original, kind="similar", score=0.5, status="rejected"
    )
    entered: Any = f.ClaimFactory.create(
        text="Typed in by client A.", status="triaged", created_by=client_a, origin="manual"
    )
    return [original, duplicate, mine, hidden, entered]


@pytest.mark.parametrize("persona", ["reviewer", "client_a"])
def test_the_claim_detail_is_what_the_detail_serializer_writes(persona, rich, request):
    user = request.getfixturevalue(persona)
    api = client_for(user)
    desk = persona == "reviewer"
    serializer = s.DeskClaimDetailSerializer if desk else s.ClaimDetailSerializer
    visible = {c.pk: c for c in _reference_detail(user).filter(pk__in=[c.pk for c in rich])}
    assert len(visible) == (5 if desk else 4)  # client B's claim is not client A's to see
    for claim in rich:
        response = api.get(f"/api/v1/claims/{claim.pk}/")
        if claim.pk not in visible:
            assert response.status_code == 404
            continue
        assert response.status_code == 200
        expected = serializer(visible[claim.pk]).data
        assert response.json() == expected
        assert response.content == _json(expected)
        assert response["ETag"] == f'"{claim.version}"'
    original = api.get(f"/api/v1/claims/{rich[0].pk}/").json()
    assert [t["slug"] for t in original["topics"]] == ["a-topic", "b-topic"]
    chains = [len(a["chain"]) for a in original["appearances"][0]["attributions"]]
    assert sorted(chains) == [1, 2, 3]  # the Kremlin, through officials, through the Kremlin
    assert original["verdict"]["rating"]["slug"] == "false"
    links = {(link["direction"], link["claim"]["id"]) for link in original["links"]}
    assert links == {("in", rich[1].pk), ("out", rich[2].pk)}  # not the rejected one
    inherited = api.get(f"/api/v1/claims/{rich[1].pk}/").json()["verdict"]
    assert inherited["claim"] == rich[0].pk


@pytest.mark.parametrize("persona", ["reviewer", "client_a"])
@pytest.mark.parametrize(
    "query", ["", "status=queued", "status=published", "status=new&status=triaged"]
)
def test_the_claims_list_is_what_the_list_serializer_writes(persona, query, rich, request):
    user = request.getfixturevalue(persona)
    desk = persona == "reviewer"
    serializer = s.DeskClaimListSerializer if desk else s.ClaimListSerializer
    claims = selectors.claims_visible_to(user).order_by("-first_seen_at", "-id")
    statuses = [part.split("=")[1] for part in query.split("&") if part]
    if statuses:
        claims = claims.filter(status__in=statuses)
    response = client_for(user).get(f"/api/v1/claims/?page_size=100&{query}")
    assert response.status_code == 200
    expected = serializer(claims, many=True).data
    assert response.json()["results"] == expected
    assert _json(response.json()["results"]) == _json(expected)
    assert expected or statuses  # the unfiltered lists are not empty


def test_a_client_never_sees_another_clients_claims_whatever_the_status_asked(rich, client_a):
    api = client_for(client_a)
    for query in ("", "status=new", "status=new&status=published", "status=queued"):
        ids = {c["id"] for c in api.get(f"/api/v1/claims/?page_size=100&{query}").json()["results"]}
        assert rich[3].pk not in ids, query
    queued = api.get("/api/v1/claims/?status=queued").json()["results"]
    assert [c["id"] for c in queued] == [rich[2].pk]


def test_the_detail_parts_are_the_same_in_one_statement_and_a_query_each(rich, reviewer, client_a):
    for user in (reviewer, client_a):
        for claim in rich:
            row = selectors.claims_for_detail(Claim.objects.filter(pk=claim.pk)).get()
            together = s.claim_detail_data(
                row, selectors.claim_detail_parts(row, user), desk=selectors.is_desk(user)
            )
            apart = s.claim_detail_data(
                row,
                selectors.claim_detail_parts_by_query(row, user),
                desk=selectors.is_desk(user),
            )
            assert _json(together) == _json(apart)
