"""One outgoing POST, with the limits every channel delivery keeps.

- only ``http``/``https`` targets; a redirect is an answer, never followed;
- 5 s to connect, 10 s for the whole exchange: a watchdog shuts the socket at the deadline,
  so a server that trickles its answer a byte at a time can't hold the sender;
- at most 1 KB of the reply is read (and so, at most, stored as the error);
- any host an admin entered is allowed (an internal chat server is a fair target).

Why a delivery failed is said in the language in force: the admin's on "Send a test
message", the service's default (``ERRATA_DEFAULT_LANGUAGE``) in the sender, whose text the
Outbox keeps.

The standard library's ``http.client`` is used because it hands over the socket once
connected, which the watchdog needs; the higher-level clients have no overall deadline.
"""

from __future__ import annotations

import http.client
import socket
import ssl
import threading
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

from service.i18n import _

CONNECT_SECONDS = 5.0
TOTAL_SECONDS = 10.0
REPLY_BYTES = 1024
RETRY_STATUSES = frozenset({408, 425, 429})


@dataclass(frozen=True)
class Reply:
    status: int
    body: bytes  # the first REPLY_BYTES at most

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")


class DeliveryError(Exception):
    """A delivery that did not happen. ``permanent``: trying again won't help (a 404, a
    redirect, a bad target); otherwise the outbox retries with backoff."""

    def __init__(self, message: str, *, permanent: bool = False) -> None:
        super().__init__(message)
        self.permanent = permanent


def check_target(url: str) -> tuple[str, str, int | None, str]:
    """(scheme, host, port, path with query) of ``url``; DeliveryError when it is no
    http(s) address."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise DeliveryError(_("the address is not valid (%(problem)s)", problem=str(exc)),
                            permanent=True) from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise DeliveryError(_("only http and https addresses are delivered to"), permanent=True)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return parts.scheme, parts.hostname, port, path


def _cut(sock: socket.socket, fired: threading.Event) -> None:
    fired.set()
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass  # already closed


def post(url: str, body: bytes, headers: dict[str, str]) -> Reply:
    """POST ``body`` to ``url``; the reply (any status). Raises DeliveryError when no reply
    came: unreachable, timed out, broken TLS."""
    scheme, host, port, path = check_target(url)
    if scheme == "https":
        conn: http.client.HTTPConnection = http.client.HTTPSConnection(
            host, port, timeout=CONNECT_SECONDS, context=ssl.create_default_context())
    else:
        conn = http.client.HTTPConnection(host, port, timeout=CONNECT_SECONDS)
    deadline = time.monotonic() + TOTAL_SECONDS
    fired = threading.Event()
    watchdog: threading.Timer | None = None
    try:
        try:
            conn.connect()
        except TimeoutError:
            raise DeliveryError(_("no connection to %(host)s within %(num)s s", host=host,
                                   num=f"{CONNECT_SECONDS:g}")) from None
        except ssl.SSLError as exc:
            raise DeliveryError(_("TLS with %(host)s failed: %(problem)s", host=host,
                                   problem=str(exc.reason or exc))) from None
        except OSError as exc:
            raise DeliveryError(_("could not connect to %(host)s: %(problem)s", host=host,
                                   problem=str(exc.strerror or exc))) from None
        assert conn.sock is not None
        remaining = max(0.01, deadline - time.monotonic())
        conn.sock.settimeout(remaining)
        watchdog = threading.Timer(remaining, _cut, (conn.sock, fired))
        watchdog.daemon = True
        watchdog.start()
        try:
            conn.request("POST", path, body=body, headers=headers)
            response = conn.getresponse()
            data = response.read(REPLY_BYTES)
            if fired.is_set():  # the watchdog cut the socket: what was read is not all
                raise TimeoutError
        except (OSError, http.client.HTTPException) as exc:
            if fired.is_set() or isinstance(exc, TimeoutError):
                raise DeliveryError(_("%(host)s did not answer within %(num)s s", host=host,
                                      num=f"{TOTAL_SECONDS:g}")) from None
            raise DeliveryError(_("%(host)s broke off the exchange: %(problem)s", host=host,
                                  problem=f"{type(exc).__name__} {exc}".strip())) from None
        return Reply(status=response.status, body=data)
    finally:
        if watchdog is not None:
            watchdog.cancel()
        conn.close()


def raise_for_status(reply: Reply, host_says: str = "") -> None:
    """DeliveryError unless 2xx. 3xx (not followed) and most 4xx are permanent; 408, 425,
    429 and 5xx are worth another try."""
    if 200 <= reply.status < 300:
        return
    detail = host_says or reply.text.strip()
    detail = f": {' '.join(detail.split())[:REPLY_BYTES]}" if detail else ""
    if 300 <= reply.status < 400:
        raise DeliveryError(_("answered %(status)d, a redirect (not followed)%(detail)s",
                              status=reply.status, detail=detail), permanent=True)
    permanent = reply.status < 500 and reply.status not in RETRY_STATUSES
    raise DeliveryError(_("answered %(status)d%(detail)s", status=reply.status, detail=detail),
                        permanent=permanent)
