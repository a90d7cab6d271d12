"""Webhooks sent by a real worker: a signed delivery on approval, retries on 500."""

from __future__ import annotations

import json
from itertools import pairwise

import pytest

from api import delivery as d
from api.models import WebhookDelivery
from claims import services
from tests import factories as f
from tests.api.test_webhook_delivery import Receiver, endpoint_for
from tests.integration.conftest import wait_for

pytestmark = [
    pytest.mark.integration,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

WORKER_ENV = {"FACTCHECK_WEBHOOK_ALLOW_PRIVATE": "1", "FACTCHECK_WEBHOOK_BACKOFF_SECONDS": "1"}


@pytest.fixture
def receiver():
    server = Receiver()
    yield server
    server.close()


def approve_a_review():
    reviewer, editor = f.make_reviewer("alice"), f.make_editor("bob")
    claim = f.ClaimFactory()
    services.claim_triage(claim=claim)
    services.claim_queue(claim=claim)
    services.task_take_next(user=reviewer)
    review = services.review_draft(
        claim=claim, reviewer=reviewer, rating=f.rating("false"), explanation="Refuted."
    )
    services.review_approve(review=services.review_submit(review=review, by=reviewer), by=editor)
    return claim


def test_approving_a_review_sends_a_signed_delivery_through_the_worker(
    live_celery, workers, receiver
):
    workers(extra_env=WORKER_ENV)
    endpoint = endpoint_for(f.make_client("client-a"), receiver.url)
    claim = approve_a_review()
    wait_for(lambda: receiver.received, timeout=60)
    headers, body = receiver.received[0]
    assert d.verify(endpoint.secret, headers["X-Factcheck-Signature"], body)
    assert json.loads(body)["claim"]["id"] == claim.pk
    wait_for(lambda: WebhookDelivery.objects.filter(status="succeeded").exists(), timeout=30)


def test_a_receiver_answering_500_is_retried_with_backoff_by_the_worker(
    live_celery, workers, receiver
):
    receiver.status = 500
    workers(extra_env=WORKER_ENV)
    endpoint_for(f.make_client("client-a"), receiver.url)
    approve_a_review()
    wait_for(lambda: len(receiver.received) >= 3, timeout=90)
    delivery = WebhookDelivery.objects.get()
    attempts = list(delivery.log.order_by("number"))
    assert [a.status_code for a in attempts[:3]] == [500, 500, 500]
    gaps = [(b.attempted_at - a.attempted_at).total_seconds() for a, b in pairwise(attempts)]
    # 1 s, then 2 s: the wait grows.
    assert gaps[1] > gaps[0]
    receiver.status = 200
    wait_for(lambda: WebhookDelivery.objects.filter(status="succeeded").exists(), timeout=60)
