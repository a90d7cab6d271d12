"""Webhook deliveries to a real receiver on loopback: signed, retried, logged, disabled."""

from __future__ import annotations

import http.server
import json
import threading
from collections.abc import Iterator
from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from api import delivery as d
from api.models import WebhookDelivery, WebhookEndpoint
from claims import services
from tests import factories as f
from tests.api.conftest import client_for

pytestmark = pytest.mark.django_db


class Receiver:
    """An HTTP server on 127.0.0.1 that records what it is sent and answers as told."""

    def __init__(self) -> None:
        self.received: list[tuple[dict[str, str], bytes]] = []
        self.status = 200
        self.body = b"ok"
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", 0))
                receiver.received.append((dict(self.headers), self.rfile.read(length)))
                self.send_response(receiver.status)
                self.send_header("Content-Length", str(len(receiver.body)))
                self.end_headers()
                self.wfile.write(receiver.body)

            def log_message(self, *args: object) -> None:
                pass

        self.server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()


@pytest.fixture
def receiver(settings) -> Iterator[Receiver]:
    settings.FACTCHECK_WEBHOOK_ALLOW_PRIVATE = True
    server = Receiver()
    yield server
    server.close()


def endpoint_for(owner, url, events=("claim.published",)) -> WebhookEndpoint:
    return WebhookEndpoint.objects.create(
        owner=owner, url=url, events=list(events), secret=WebhookEndpoint.new_secret()
    )


def publish_a_claim(reviewer, editor, django_capture_on_commit_callbacks):
    claim = f.ClaimFactory()
    services.claim_triage(claim=claim)
    services.claim_queue(claim=claim)
    services.task_take_next(user=reviewer)
    review = services.review_draft(
        claim=claim, reviewer=reviewer, rating=f.rating("false"), explanation="No."
    )
    review = services.review_submit(review=review, by=reviewer)
    with django_capture_on_commit_callbacks(execute=True):
        services.review_approve(review=review, by=editor)
    return claim


def test_a_published_verdict_reaches_the_receiver_signed_with_its_secret(
    receiver, client_a, reviewer, editor, django_capture_on_commit_callbacks
):
    endpoint = endpoint_for(client_a, receiver.url)
    claim = publish_a_claim(reviewer, editor, django_capture_on_commit_callbacks)

    assert len(receiver.received) == 1
    headers, body = receiver.received[0]
    assert headers["X-Factcheck-Event"] == "claim.published"
    assert d.verify(endpoint.secret, headers["X-Factcheck-Signature"], body)
    assert not d.verify("whsec_wrong", headers["X-Factcheck-Signature"], body)
    payload = json.loads(body)
    assert payload["claim"]["id"] == claim.pk
    assert payload["claimreview"]["@type"] == "ClaimReview"
    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("succeeded", 1, 200)
    assert delivery.log.get().status_code == 200


def test_a_tampered_or_stale_signature_does_not_verify():
    body = b'{"a":1}'
    header = d.sign("whsec_x", 1_000, body)
    assert not d.verify("whsec_x", header, body)  # from 1970: too old
    fresh = d.sign("whsec_x", int(timezone.now().timestamp()), body)
    assert d.verify("whsec_x", fresh, body)
    assert not d.verify("whsec_x", fresh, b'{"a":2}')


def test_a_receiver_answering_500_gets_retries_with_growing_backoff(
    receiver, client_a, reviewer, editor, settings, django_capture_on_commit_callbacks
):
    settings.FACTCHECK_WEBHOOK_BACKOFF_SECONDS = 10
    receiver.status = 500
    endpoint_for(client_a, receiver.url)
    publish_a_claim(reviewer, editor, django_capture_on_commit_callbacks)
    delivery = WebhookDelivery.objects.get()
    waits = []
    for _ in range(3):
        delivery.refresh_from_db()
        assert delivery.status == "pending"
        last_try = delivery.log.order_by("-number").first().attempted_at
        waits.append((delivery.next_attempt_at - last_try).total_seconds())
        with time_machine.travel(delivery.next_attempt_at + timedelta(seconds=1)):
            d.deliver(delivery_id=delivery.pk)
    delivery.refresh_from_db()
    assert delivery.attempts == 4
    assert [a.status_code for a in delivery.log.all()] == [500, 500, 500, 500]
    # 10 s, 20 s, 40 s: each wait doubles.
    assert waits[1] == pytest.approx(2 * waits[0], rel=0.2)
    assert waits[2] == pytest.approx(2 * waits[1], rel=0.2)
    assert len(receiver.received) == 4


def test_a_retry_that_is_not_due_yet_sends_nothing(receiver, client_a, settings):
    receiver.status = 500
    endpoint = endpoint_for(client_a, receiver.url)
    delivery = WebhookDelivery.objects.create(endpoint=endpoint, event="claim.published")
    assert d.deliver(delivery_id=delivery.pk).status == "retry"
    assert d.deliver(delivery_id=delivery.pk).status == "skipped"
    assert len(receiver.received) == 1


def test_a_receiver_that_keeps_failing_is_disabled_with_a_reason(receiver, client_a, settings):
    settings.FACTCHECK_WEBHOOK_MAX_ATTEMPTS = 1
    settings.FACTCHECK_WEBHOOK_DISABLE_AFTER = 3
    receiver.status = 503
    endpoint = endpoint_for(client_a, receiver.url)
    for _ in range(3):
        delivery = WebhookDelivery.objects.create(endpoint=endpoint, event="claim.published")
        assert d.deliver(delivery_id=delivery.pk).status == "failed"
    endpoint.refresh_from_db()
    assert not endpoint.is_active
    assert "3 deliveries in a row failed" in endpoint.disabled_reason
    assert "503" in endpoint.disabled_reason


def test_an_oversized_answer_is_cut_not_buffered(receiver, client_a):
    receiver.body = b"x" * (5 * 1024 * 1024)
    endpoint = endpoint_for(client_a, receiver.url)
    delivery = WebhookDelivery.objects.create(endpoint=endpoint, event="claim.published")
    assert d.deliver(delivery_id=delivery.pk).status == "succeeded"
    assert len(delivery.log.get().response_excerpt) == 500


def test_receivers_on_private_addresses_are_refused_outside_development(client_a, settings):
    settings.FACTCHECK_WEBHOOK_ALLOW_PRIVATE = False
    endpoint = endpoint_for(client_a, "http://127.0.0.1:9/hook")
    delivery = WebhookDelivery.objects.create(endpoint=endpoint, event="claim.published")
    d.deliver(delivery_id=delivery.pk)
    delivery.refresh_from_db()
    assert "non-public address" in delivery.last_error


def test_a_client_is_told_only_about_its_own_sources(receiver, client_a, client_b):
    mine = endpoint_for(client_a, receiver.url, events=["source.processed"])
    endpoint_for(client_b, receiver.url, events=["source.processed"])
    source = f.SourceFactory(submitted_by=client_a, status="done")
    d.on_source_processed(sender=None, source_id=source.pk)
    assert list(WebhookDelivery.objects.values_list("endpoint", flat=True)) == [mine.pk]


def test_a_client_reads_its_deliveries_and_their_attempts_through_the_api(
    receiver, client_a, client_b
):
    receiver.status = 500
    endpoint = endpoint_for(client_a, receiver.url)
    delivery = WebhookDelivery.objects.create(endpoint=endpoint, event="claim.published")
    d.deliver(delivery_id=delivery.pk)
    response = client_for(client_a).get(f"/api/v1/webhooks/{endpoint.pk}/deliveries/")
    assert response.status_code == 200
    item = response.json()["results"][0]
    assert item["status"] == "pending"
    assert item["log"][0]["status_code"] == 500
    assert (
        client_for(client_b).get(f"/api/v1/webhooks/{endpoint.pk}/deliveries/").status_code == 404
    )


def test_switching_an_endpoint_back_on_clears_its_disabled_reason(client_a):
    endpoint = endpoint_for(client_a, "https://hooks.example.org/x")
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(
        is_active=False, disabled_reason="Disabled after 5 deliveries", consecutive_failures=5
    )
    response = client_for(client_a).patch(
        f"/api/v1/webhooks/{endpoint.pk}/", {"is_active": True}, format="json"
    )
    assert response.status_code == 200, response.content
    endpoint.refresh_from_db()
    assert (endpoint.is_active, endpoint.disabled_reason, endpoint.consecutive_failures) == (
        True,
        "",
        0,
    )
