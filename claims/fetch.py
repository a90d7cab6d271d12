"""Fetching a submitted URL without becoming a proxy into our own network (SSRF).

Rules: http and https only; the host is resolved once and every address it resolves to
must be public (no private, loopback, link-local, multicast, reserved or unspecified
addresses, IPv4 or IPv6, including IPv4-mapped IPv6); the connection goes to the address
that was checked, so a DNS answer that changes between check and connect (rebinding) does
not matter; redirects are followed by hand, at most FETCH_MAX_REDIRECTS, each checked the
same way; the body is read up to FETCH_MAX_BYTES and the whole fetch must finish within
FETCH_TIMEOUT_SECONDS; only HTML and plain text are accepted.
"""

from __future__ import annotations

import contextlib
import http.client
import ipaddress
import socket
import ssl
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urljoin, urlsplit

from claims.errors import ApplicationError

Resolver = Callable[[str, int], list[str]]
AddressPolicy = Callable[[ipaddress.IPv4Address | ipaddress.IPv6Address], bool]

ACCEPTED_TYPES = ("text/html", "application/xhtml+xml", "text/plain")
USER_AGENT = "factcheck/0.1 (+https://github.com/factcheck; claim tracking)"


class FetchError(ApplicationError):
    code = "fetch_failed"
    status_code = 422


class BlockedAddress(FetchError):
    code = "blocked_address"


@dataclass
class Fetched:
    url: str
    status: int
    content_type: str
    charset: str
    body: bytes

    def text(self) -> str:
        return self.body.decode(self.charset or "utf-8", errors="replace")


def is_public_address(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    if isinstance(ip, ipaddress.IPv6Address):
        # An IPv4 address dressed as IPv6 (::ffff:127.0.0.1, 6to4, Teredo) is judged as IPv4.
        embedded = ip.ipv4_mapped or ip.sixtofour or (ip.teredo[1] if ip.teredo else None)
        if embedded is not None and not is_public_address(embedded):
            return False
    return not (
        ip.is_private
        or ip.is_loopback
        or ip.is_link_local
        or ip.is_multicast
        or ip.is_reserved
        or ip.is_unspecified
        or not ip.is_global
    )


def system_resolver(host: str, port: int) -> list[str]:
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return sorted({str(info[4][0]) for info in infos})


def _check_url(url: str) -> tuple[str, str, int, str]:
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in {"http", "https"}:
        raise FetchError(f"Only http and https URLs can be fetched, not {scheme or 'this'}:.")
    host = parts.hostname
    if not host:
        raise FetchError("The URL has no host name.")
    try:
        port = parts.port or (443 if scheme == "https" else 80)
    except ValueError as exc:
        raise FetchError("The URL's port is not valid.") from exc
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    return scheme, host, port, path


def _pick_address(host: str, port: int, resolver: Resolver, allowed: AddressPolicy) -> str:
    try:
        ip = ipaddress.ip_address(host.strip("[]"))
        addresses = [str(ip)]
    except ValueError:
        try:
            addresses = resolver(host.encode("idna").decode("ascii"), port)
        except (OSError, UnicodeError) as exc:
            raise FetchError(f"The host {host!r} could not be resolved.") from exc
    if not addresses:
        raise FetchError(f"The host {host!r} has no address.")
    for address in addresses:
        if not allowed(ipaddress.ip_address(address)):
            raise BlockedAddress(
                f"The URL points at a non-public address ({address}); it will not be fetched."
            )
    return addresses[0]


class _PinnedHTTPConnection(http.client.HTTPConnection):
    """Connects to an address checked beforehand, whatever DNS says now."""

    # The connected socket, kept for _cut_off_after after http.client lets go of it.
    kept_sock: socket.socket | None = None

    def __init__(self, host: str, port: int, address: str, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout)
        self._address = address

    def connect(self) -> None:
        self.sock = self.kept_sock = socket.create_connection(
            (self._address, self.port), self.timeout
        )


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    kept_sock: socket.socket | None = None

    def __init__(self, host: str, port: int, address: str, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout, context=ssl.create_default_context())
        self._address = address

    def connect(self) -> None:
        sock = socket.create_connection((self._address, self.port), self.timeout)
        # Certificate and SNI are checked against the host name, not the pinned address.
        self.sock = self.kept_sock = self._context.wrap_socket(sock, server_hostname=self.host)  # type: ignore[attr-defined]


@contextlib.contextmanager
def _cut_off_after(conn: Any, seconds: float) -> Iterator[threading.Event]:
    """Bound a whole exchange, not each socket operation: a peer that sends a byte now and
    then would otherwise hold the caller for as long as it likes. At the deadline a timer
    shuts the socket down, which ends whatever read is waiting; the event tells why."""
    expired = threading.Event()

    def cut_off() -> None:
        expired.set()
        # Not conn.sock: http.client drops it once a response says it will close the
        # connection, while the response goes on reading from the same socket.
        sock = getattr(conn, "kept_sock", None)
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)

    timer = threading.Timer(max(seconds, 0.0), cut_off)
    timer.daemon = True
    timer.start()
    try:
        yield expired
    finally:
        timer.cancel()


def fetch(
    url: str,
    *,
    max_bytes: int = 5 * 1024 * 1024,
    timeout: float = 15.0,
    max_redirects: int = 5,
    resolver: Resolver = system_resolver,
    allowed: AddressPolicy = is_public_address,
) -> Fetched:
    deadline = time.monotonic() + timeout
    current = url
    for _hop in range(max_redirects + 1):
        scheme, host, port, path = _check_url(current)
        address = _pick_address(host, port, resolver, allowed)
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise FetchError(f"Fetching took longer than {timeout:g} seconds.")
        cls = _PinnedHTTPSConnection if scheme == "https" else _PinnedHTTPConnection
        conn: Any = cls(host, port, address, timeout=remaining)
        too_slow = f"Fetching took longer than {timeout:g} seconds."
        with _cut_off_after(conn, remaining) as expired:
            try:
                conn.request(
                    "GET",
                    path,
                    headers={
                        "User-Agent": USER_AGENT,
                        "Accept": "text/html,application/xhtml+xml,text/plain;q=0.9",
                        "Accept-Encoding": "identity",
                    },
                )
                response = conn.getresponse()
                if response.status in {301, 302, 303, 307, 308}:
                    location = response.getheader("Location")
                    if not location:
                        raise FetchError(f"A redirect ({response.status}) came without a Location.")
                    current = urljoin(current, location)
                    continue
                if response.status >= 400:
                    raise FetchError(f"The site answered {response.status} {response.reason}.")
                content_type, _, params = (response.getheader("Content-Type") or "").partition(";")
                content_type = content_type.strip().lower()
                if content_type not in ACCEPTED_TYPES:
                    raise FetchError(
                        f"The URL serves {content_type or 'an unknown type'}, not an article "
                        "(HTML or text)."
                    )
                declared = response.getheader("Content-Length")
                if declared and declared.isdigit() and int(declared) > max_bytes:
                    raise FetchError(f"The page is larger than {max_bytes // 1024} KiB.")
                body = bytearray()
                # read1: one receive at a time, so a trickling site meets the deadline too.
                while chunk := response.read1(64 * 1024):
                    body.extend(chunk)
                    if len(body) > max_bytes:
                        raise FetchError(f"The page is larger than {max_bytes // 1024} KiB.")
                if expired.is_set():
                    raise FetchError(too_slow)
                charset = ""
                for param in params.split(";"):
                    key, _, value = param.strip().partition("=")
                    if key.lower() == "charset":
                        charset = value.strip().strip('"')
                return Fetched(current, response.status, content_type, charset, bytes(body))
            except (OSError, http.client.HTTPException) as exc:
                if expired.is_set():
                    raise FetchError(too_slow) from exc
                raise FetchError(f"The site could not be reached: {exc}") from exc
            finally:
                conn.close()
    raise FetchError(f"More than {max_redirects} redirects.")


def post(
    url: str,
    *,
    body: bytes,
    headers: dict[str, str],
    timeout: float = 10.0,
    max_response_bytes: int = 64 * 1024,
    resolver: Resolver = system_resolver,
    allowed: AddressPolicy = is_public_address,
) -> tuple[int, bytes]:
    """POST `body` to `url` under the same address rules as fetch; redirects are not
    followed (a webhook receiver answers where it was registered). Returns the status and
    at most `max_response_bytes` of the answer: an oversized answer is cut, not buffered.

    `timeout` bounds the whole exchange, not each socket operation: a receiver that sends a
    byte now and then would otherwise hold the caller for as long as it likes. At the
    deadline the socket is shut down (_cut_off_after)."""
    scheme, host, port, path = _check_url(url)
    address = _pick_address(host, port, resolver, allowed)
    cls = _PinnedHTTPSConnection if scheme == "https" else _PinnedHTTPConnection
    conn: Any = cls(host, port, address, timeout=timeout)
    too_slow = f"The receiver took longer than {timeout:g} seconds to answer (timed out)."
    with _cut_off_after(conn, timeout) as expired:
        try:
            conn.request("POST", path, body=body, headers={"User-Agent": USER_AGENT, **headers})
            response = conn.getresponse()
            answer = bytearray()
            while len(answer) < max_response_bytes:
                # read1: one receive at a time, so the deadline is checked between them.
                chunk = response.read1(min(16 * 1024, max_response_bytes - len(answer)))
                if not chunk:
                    break
                answer.extend(chunk)
            if expired.is_set():
                raise FetchError(too_slow)
            return response.status, bytes(answer)
        except (OSError, http.client.HTTPException) as exc:
            if expired.is_set():
                raise FetchError(too_slow) from exc
            raise FetchError(f"The receiver could not be reached: {exc}") from exc
        finally:
            conn.close()
