"""SSRF protection: URLs that lead into our own network are refused before any request is
made. Listeners on loopback prove that nothing reaches them."""

from __future__ import annotations

import http.server
import ipaddress
import socket
import threading
import time
from collections.abc import Iterator

import pytest

from claims import fetch
from claims.fetch import BlockedAddress, FetchError, is_public_address


class Listener:
    """A TCP listener on loopback that counts the connections it receives."""

    def __init__(self, host: str = "127.0.0.1") -> None:
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        self.sock = socket.socket(family, socket.SOCK_STREAM)
        self.sock.bind((host, 0))
        self.sock.listen(8)
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.connections = 0
        self._stop = False
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        while not self._stop:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            self.connections += 1
            conn.close()

    def close(self) -> None:
        self._stop = True
        self.thread.join(timeout=2)
        self.sock.close()


@pytest.fixture
def listener() -> Iterator[Listener]:
    server = Listener()
    yield server
    server.close()


@pytest.fixture
def listener6() -> Iterator[Listener]:
    server = Listener("::1")
    yield server
    server.close()


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "10.1.2.3",
        "172.16.0.1",
        "192.168.1.1",
        "169.254.169.254",
        "0.0.0.0",  # noqa: S104 - an address under test, nothing binds to it
        "224.0.0.1",
        "240.0.0.1",
        "::1",
        "fe80::1",
        "fc00::1",
        "::ffff:127.0.0.1",
        "::ffff:10.0.0.1",
        "2002:7f00:1::1",
        "100.64.0.1",
    ],
)
def test_non_public_addresses_are_not_allowed(address):
    assert not is_public_address(ipaddress.ip_address(address))


@pytest.mark.parametrize("address", ["93.184.215.14", "2606:2800:21f:cb07:6820:80da:af6b:8b2c"])
def test_public_addresses_are_allowed(address):
    assert is_public_address(ipaddress.ip_address(address))


def test_a_url_at_loopback_is_refused_and_never_contacted(listener):
    with pytest.raises(BlockedAddress, match="non-public address"):
        fetch.fetch(f"http://127.0.0.1:{listener.port}/")
    assert listener.connections == 0


def test_an_ipv6_loopback_url_is_refused_and_never_contacted(listener6):
    with pytest.raises(BlockedAddress):
        fetch.fetch(f"http://[::1]:{listener6.port}/")
    assert listener6.connections == 0


@pytest.mark.parametrize(
    "url",
    [
        "http://10.0.0.5/",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::ffff:127.0.0.1]/",
        "http://0.0.0.0/",
    ],
)
def test_private_and_metadata_addresses_are_refused(url):
    with pytest.raises(BlockedAddress):
        fetch.fetch(url)


def test_a_hostname_resolving_to_a_private_address_is_refused(listener):
    # DNS is the one thing that leaves the machine; answer it here.
    def resolver(host: str, port: int) -> list[str]:
        assert host == "intranet.example.org"
        return ["127.0.0.1"]

    with pytest.raises(BlockedAddress):
        fetch.fetch(f"http://intranet.example.org:{listener.port}/", resolver=resolver)
    assert listener.connections == 0


def test_a_hostname_with_one_private_address_among_public_ones_is_refused():
    with pytest.raises(BlockedAddress):
        fetch.fetch(
            "http://mixed.example.org/", resolver=lambda h, p: ["93.184.215.14", "10.0.0.1"]
        )


@pytest.mark.parametrize(
    "url", ["file:///etc/passwd", "gopher://127.0.0.1:70/", "ftp://example.org/", "javascript:x"]
)
def test_schemes_other_than_http_and_https_are_refused(url):
    with pytest.raises(FetchError, match="Only http and https"):
        fetch.fetch(url)


class _Redirector(http.server.BaseHTTPRequestHandler):
    target = ""

    def do_GET(self) -> None:
        self.send_response(302)
        self.send_header("Location", self.target)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


class _Article(http.server.BaseHTTPRequestHandler):
    body = (
        b"<html><head><title>T</title></head><body><article><p>"
        + b"Officials said 40 people died. " * 20
        + b"</p></article></body></html>"
    )
    content_type = "text/html; charset=utf-8"

    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", self.content_type)
        self.send_header("Content-Length", str(len(self.body)))
        self.end_headers()
        self.wfile.write(self.body)

    def log_message(self, *args: object) -> None:
        pass


def _serve(handler: type, host: str = "127.0.0.2") -> http.server.HTTPServer:
    server = http.server.HTTPServer((host, 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def _only(address: str):
    # The test's "public internet" is 127.0.0.2; everything else stays forbidden.
    return lambda ip: str(ip) == address


def test_a_redirect_to_a_private_address_is_refused_before_it_is_followed(listener):
    handler = type("R", (_Redirector,), {"target": f"http://127.0.0.1:{listener.port}/admin"})
    server = _serve(handler)
    try:
        with pytest.raises(BlockedAddress):
            fetch.fetch(f"http://127.0.0.2:{server.server_port}/", allowed=_only("127.0.0.2"))
    finally:
        server.shutdown()
    assert listener.connections == 0


def test_too_many_redirects_are_refused():
    server = _serve(type("R", (_Redirector,), {"target": "/again"}))
    try:
        with pytest.raises(FetchError, match="redirects"):
            fetch.fetch(
                f"http://127.0.0.2:{server.server_port}/",
                allowed=_only("127.0.0.2"),
                max_redirects=3,
            )
    finally:
        server.shutdown()


def test_an_allowed_page_is_fetched_with_its_charset():
    server = _serve(_Article)
    try:
        page = fetch.fetch(f"http://127.0.0.2:{server.server_port}/a", allowed=_only("127.0.0.2"))
    finally:
        server.shutdown()
    assert page.content_type == "text/html"
    assert page.charset == "utf-8"
    assert "Officials said 40 people died." in page.text()


def test_a_page_over_the_size_limit_is_refused():
    server = _serve(_Article)
    try:
        with pytest.raises(FetchError, match="larger than"):
            fetch.fetch(
                f"http://127.0.0.2:{server.server_port}/", allowed=_only("127.0.0.2"), max_bytes=100
            )
    finally:
        server.shutdown()


def test_a_non_article_content_type_is_refused():
    server = _serve(type("I", (_Article,), {"content_type": "image/png"}))
    try:
        with pytest.raises(FetchError, match="image/png"):
            fetch.fetch(f"http://127.0.0.2:{server.server_port}/", allowed=_only("127.0.0.2"))
    finally:
        server.shutdown()


class _Trickler(_Article):
    """Sends the page a byte every 20 ms: every read gets data, so a per-read socket
    timeout never fires, and the page would take half a minute."""

    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", self.content_type)
        self.send_header("Content-Length", "1500")
        self.end_headers()
        try:
            for _ in range(1500):
                self.wfile.write(b"x")
                self.wfile.flush()
                time.sleep(0.02)
        except OSError:
            pass  # the fetcher hung up, as it should


def test_a_site_trickling_its_page_is_cut_off_at_the_timeout():
    server = _serve(_Trickler)
    started = time.monotonic()
    try:
        with pytest.raises(FetchError, match="longer than 1 seconds"):
            fetch.fetch(
                f"http://127.0.0.2:{server.server_port}/", allowed=_only("127.0.0.2"), timeout=1.0
            )
    finally:
        elapsed = time.monotonic() - started
        server.shutdown()
    # Far from the 30 s the page takes: the deadline covers the whole download.
    assert elapsed < 10
