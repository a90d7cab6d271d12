from __future__ import annotations

from typing import Any

import pytest
from django.core.cache import cache
from django.utils import timezone
from rest_framework.test import APIClient

from api.models import ApiKey
from api.throttling import BurstRateThrottle, SustainedRateThrottle
from claims.claimreview import render_claimreview
from claims.models import Attribution, Claim, Review
from tests import factories as f


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    # The personas get passwords; the production hasher takes most of a second each.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # /claims/{id}/similar/ uses lexical matching here: loading the sentence model takes
    # longer than the whole API suite, and matching quality is tested in tests/claims.
    settings.FACTCHECK_MATCH_EMBEDDINGS = False
    # Pages with static assets (browsable API, admin) render without a collectstatic manifest.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture(autouse=True)
def _fresh_throttles(monkeypatch):
    """Rates high enough that only the throttling tests ever hit them."""
    cache.clear()
    rates = {"burst": "100000/min", "sustained": "1000000/day"}
    monkeypatch.setattr(BurstRateThrottle, "THROTTLE_RATES", rates)
    monkeypatch.setattr(SustainedRateThrottle, "THROTTLE_RATES", rates)
    yield
    cache.clear()


class KeyedClient(APIClient):
    raw_key = ""


def client_for(user: Any | None) -> KeyedClient:
    api = KeyedClient()
    if user is not None:
        _, raw = ApiKey.generate(user=user, name="tests")
        api.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
        api.raw_key = raw
    return api


@pytest.fixture
def as_user():
    return client_for


@pytest.fixture
def anon():
    return APIClient()


@pytest.fixture
def api_a(client_a):
    return client_for(client_a)


@pytest.fixture
def api_b(client_b):
    return client_for(client_b)


@pytest.fixture
def api_reviewer(reviewer):
    return client_for(reviewer)


@pytest.fixture
def api_editor(editor):
    return client_for(editor)


def publish(claim: Any, *, reviewer: Any, editor: Any, rating: str = "false") -> Review:
    """A published verdict, written directly (the workflow is tested in tests/claims)."""
    now = timezone.now()
    review = Review.objects.create(
        claim=claim,
        reviewer=reviewer,
        approver=editor,
        rating=f.rating(rating),
        explanation="The ministry's own report says otherwise.",
        status=Review.Status.PUBLISHED,
        submitted_at=now,
        approved_at=now,
        published_at=now,
    )
    Claim.objects.filter(pk=claim.pk).update(status=Claim.Status.PUBLISHED)
    claim.refresh_from_db()
    review.claimreview = render_claimreview(review)
    review.save(update_fields=["claimreview"])
    return review


class World:
    """Claims in every situation the permission matrix needs."""

    def __init__(self, *, client_a: Any, client_b: Any, reviewer: Any, editor: Any) -> None:
        self.topic = f.TopicFactory(slug="crocus", name="Crocus City Hall attack")
        self.publisher = f.PublisherFactory(name="TASS", domain="tass.example")
        self.public_source = f.SourceFactory(publisher=self.publisher)
        self.actor = f.ActorFactory(name="Russian authorities", kind="collective")
        self.kremlin = f.ActorFactory(name="The Kremlin", kind="government")

        # Published, from a source nobody in particular submitted.
        self.published: Any = f.ClaimFactory.create(
            text="Russian authorities said 140 people were killed."
        )
        self.published.topics.add(self.topic)
        appearance = f.AppearanceFactory(claim=self.published, source=self.public_source)
        outer = f.AttributionFactory(
            appearance=appearance,
            actor=self.kremlin,
            kind=Attribution.Kind.ACCORDING_TO,
            cue="according to",
        )
        self.attribution = f.AttributionFactory(
            appearance=appearance, actor=self.actor, parent=outer, kind=Attribution.Kind.SAID
        )
        self.figure = f.FigureFactory(appearance=appearance, metric="killed", value=140)
        self.evidence = f.EvidenceFactory(claim=self.published, added_by=reviewer)
        self.review = publish(self.published, reviewer=reviewer, editor=editor)

        # Client A's own submission, still in the queue.
        self.source_a = f.SourceFactory(submitted_by=client_a, publisher=self.publisher)
        self.claim_a: Any = f.ClaimFactory.create(
            text="Client A's claim about 12 casualties", status="queued"
        )
        self.claim_a.topics.add(self.topic)
        app_a = f.AppearanceFactory(claim=self.claim_a, source=self.source_a)
        f.AttributionFactory(appearance=app_a, actor=self.actor)
        f.FigureFactory(appearance=app_a, metric="killed", value=12, lower=12)
        self.draft_a = Review.objects.create(
            claim=self.claim_a, reviewer=reviewer, explanation="internal draft note"
        )
        self.evidence_a = f.EvidenceFactory(claim=self.claim_a, added_by=reviewer)

        # Client B's own submission, new.
        self.source_b = f.SourceFactory(submitted_by=client_b)
        self.claim_b: Any = f.ClaimFactory.create(
            text="Client B's secret claim about 99 troops", status="new"
        )
        app_b = f.AppearanceFactory(claim=self.claim_b, source=self.source_b)
        f.AttributionFactory(appearance=app_b, actor=self.actor)
        f.FigureFactory(appearance=app_b, metric="troops", value=99, lower=None)


@pytest.fixture
def world(client_a, client_b, reviewer, editor):
    return World(client_a=client_a, client_b=client_b, reviewer=reviewer, editor=editor)


def error_of(response: Any) -> dict[str, Any]:
    body = response.json()
    assert set(body) == {"error"}, body
    assert set(body["error"]) == {"code", "message", "details"}, body
    error: dict[str, Any] = body["error"]
    return error
