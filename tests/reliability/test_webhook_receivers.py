"""Webhook receivers that misbehave: silent, trickling, endless. A delivery reads a bounded
amount, gives up at its timeout, and records the attempt for a retry; a worker is never
held for longer than the timeout, whatever the receiver does.

The receivers are raw sockets on loopback, so they can do what no well-behaved server does.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator

import pytest

from api import delivery as d
from api.models import WebhookDelivery, WebhookEndpoint

pytestmark = pytest.mark.django_db

Behaviour = Callable[[socket.socket], None]


class RawReceiver:
    def __init__(self, behaviour: Behaviour) -> None:
        self.behaviour = behaviour
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}/hook"
        self.closed_by_client = threading.Event()
        self.sent = 0
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            with conn:
                conn.settimeout(30)
                try:
                    conn.recv(65536)  # the request; its content does not matter here
                    self.behaviour(conn)
                except OSError:
                    self.closed_by_client.set()

    def close(self) -> None:
        self.sock.close()


def silent(conn: socket.socket) -> None:
    """Accepts, reads the request, never answers."""
    time.sleep(20)


def trickle(receiver_box: list[RawReceiver]) -> Behaviour:
    def behaviour(conn: socket.socket) -> None:
        """Answers at once, then a byte every 50 ms for a minute: every read gets data, so a
        per-read socket timeout never fires."""
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 1200\r\n\r\n")
        for _ in range(1200):
            conn.sendall(b"x")
            receiver_box[0].sent += 1
            time.sleep(0.05)

    return behaviour


def endless(receiver_box: list[RawReceiver]) -> Behaviour:
    def behaviour(conn: socket.socket) -> None:
        """Streams an answer with no length for as long as anyone reads it."""
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\n")
        chunk = b"y" * 65536
        for _ in range(2048):  # 128 MiB at most
            conn.sendall(chunk)
            receiver_box[0].sent += len(chunk)

    return behaviour


@pytest.fixture
def receiver(settings) -> Iterator[Callable[..., RawReceiver]]:
    settings.FACTCHECK_WEBHOOK_ALLOW_PRIVATE = True
    settings.FACTCHECK_WEBHOOK_TIMEOUT_SECONDS = 1.0
    made: list[RawReceiver] = []

    def make(factory: Callable[[list[RawReceiver]], Behaviour] | Behaviour) -> RawReceiver:
        box: list[RawReceiver] = []
        behaviour = factory(box) if factory in (trickle, endless) else factory
        server = RawReceiver(behaviour)  # type: ignore[arg-type]
        box.append(server)
        made.append(server)
        return server

    yield make
    for server in made:
        server.close()


def delivery_to(url: str, client_a) -> WebhookDelivery:
    endpoint = WebhookEndpoint.objects.create(
        owner=client_a, url=url, events=["claim.published"], secret="s3cret"
    )
    return WebhookDelivery.objects.create(
        endpoint=endpoint, event="claim.published", payload={"event": "claim.published"}
    )


def test_a_receiver_that_never_answers_times_out_and_the_attempt_is_recorded(receiver, client_a):
    delivery = delivery_to(receiver(silent).url, client_a)
    outcome = d.deliver(delivery_id=delivery.pk)
    assert outcome.status == "retry"
    attempt = delivery.log.get()
    assert attempt.status_code is None
    assert "timed out" in attempt.error
    delivery.refresh_from_db()
    assert delivery.status == "pending"
    assert delivery.next_attempt_at is not None


def test_a_receiver_that_trickles_its_answer_is_cut_off_at_the_timeout(receiver, client_a):
    server = receiver(trickle)
    delivery = delivery_to(server.url, client_a)
    outcome = d.deliver(delivery_id=delivery.pk)
    # At 20 bytes a second the 1,200-byte answer takes a minute; the delivery gave up at
    # its 1-second timeout with only the first bytes, and counts as failed for a retry.
    assert outcome.status == "retry"
    attempt = delivery.log.get()
    assert "longer than 1 second" in attempt.error
    assert len(attempt.response_excerpt) < 1200
    assert server.sent < 1200


def test_an_endless_answer_is_read_only_up_to_the_limit(receiver, client_a):
    server = receiver(endless)
    delivery = delivery_to(server.url, client_a)
    outcome = d.deliver(delivery_id=delivery.pk)
    assert outcome.status == "succeeded"
    attempt = delivery.log.get()
    assert attempt.status_code == 200
    assert attempt.response_excerpt == "y" * 500
    # The connection was closed after the first 64 KiB: the receiver could not push 128 MiB.
    assert server.closed_by_client.wait(10)
    assert server.sent < 2048 * 65536
