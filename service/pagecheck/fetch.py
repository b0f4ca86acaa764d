"""Fetching an article page safely: Errata's only outgoing requests to newsrooms' sites.

Only ``http(s)`` URLs of the site's allowed origins; redirects followed by hand, only within
those origins and at most ``MAX_REDIRECTS``; 5 s to connect and 10 s in all; at most
``MAX_BYTES`` read; conditional requests; ``Retry-After`` on 429/503 remembered per origin.
Anything that goes wrong becomes a ``Fetched`` with a reason, never an exception.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from urllib.parse import urljoin

import urllib3
from urllib3.exceptions import HTTPError

from service.ingest.urls import BadURL, origin_of

CONNECT_TIMEOUT = 5.0
TOTAL_TIMEOUT = 10.0
MAX_BYTES = 2 * 1024 * 1024
MAX_REDIRECTS = 3
MAX_RETRY_AFTER = 6 * 3600  # a longer wait asked for is capped (a typo must not stop checks)
HTML_TYPES = ("text/html", "application/xhtml+xml")

# urllib3's PoolManager is thread-safe; one per process keeps connections to each origin.
_pool = urllib3.PoolManager(num_pools=64, maxsize=4, retries=False)


@dataclass(frozen=True)
class Fetched:
    ok: bool  # an HTML body to check (or not_modified)
    reason: str  # why not: a key of service.pagecheck.messages.REASONS ("" when ok)
    body: bytes = b""
    encoding: str | None = None
    status: int | None = None
    etag: str | None = None
    last_modified: str | None = None
    not_modified: bool = False  # 304: the page is as it was at the last check


class Backoff:
    """When each origin may be asked again: ``Retry-After`` answers and the spacing between
    requests. Shared by the threads of one process (a lock guards it)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._retry_at: dict[str, float] = {}  # Retry-After: nothing before this
        self._next_turn: dict[str, float] = {}  # spacing: the next request's turn

    def wait_for(self, origin: str) -> float:
        """Seconds until ``origin`` may be asked again after a ``Retry-After`` (0: now)."""
        with self._lock:
            return max(0.0, self._retry_at.get(origin, 0.0) - time.monotonic())

    def until_turn(self, origin: str) -> float:
        """Seconds until ``origin``'s next turn (spacing or Retry-After, whichever is later)."""
        with self._lock:
            due = max(self._retry_at.get(origin, 0.0), self._next_turn.get(origin, 0.0))
            return max(0.0, due - time.monotonic())

    def reserve(self, origin: str, spacing: float) -> bool:
        """Claim a request to ``origin`` if its turn has come; the next one waits ``spacing``."""
        now = time.monotonic()
        with self._lock:
            if max(self._retry_at.get(origin, 0.0), self._next_turn.get(origin, 0.0)) > now:
                return False
            self._next_turn[origin] = now + spacing
            return True

    def defer(self, origin: str, seconds: float) -> None:
        """Obey a ``Retry-After`` of ``seconds`` (capped at ``MAX_RETRY_AFTER``)."""
        with self._lock:
            until = time.monotonic() + min(seconds, MAX_RETRY_AFTER)
            self._retry_at[origin] = max(self._retry_at.get(origin, 0.0), until)


BACKOFF = Backoff()


def retry_after_seconds(value: str | None) -> float | None:
    """``Retry-After`` as seconds: a number, or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(min(int(value), MAX_RETRY_AFTER))
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    return max(0.0, when.timestamp() - time.time())


def _allowed(url: str, origins: list[str]) -> str | None:
    """The origin of ``url`` when it is http(s) and one of ``origins``, else None."""
    try:
        origin = origin_of(url)
    except (BadURL, ValueError):
        return None
    return origin if origin in origins else None


def fetch(url: str, origins: list[str], *, user_agent: str, etag: str | None = None,
          last_modified: str | None = None, backoff: Backoff = BACKOFF,
          connect_timeout: float = CONNECT_TIMEOUT, total_timeout: float = TOTAL_TIMEOUT,
          max_bytes: int = MAX_BYTES) -> Fetched:
    """GET ``url`` within the rules above; the outcome, never an exception."""
    deadline = time.monotonic() + total_timeout
    headers = {"User-Agent": user_agent, "Accept": "text/html,application/xhtml+xml;q=0.9",
               "Accept-Encoding": "gzip, deflate"}
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    for _hop in range(MAX_REDIRECTS + 1):
        origin = _allowed(url, origins)
        if origin is None:
            return Fetched(False, "not_origin")
        wait = backoff.wait_for(origin)
        if wait > 0:
            return Fetched(False, f"wait:{int(wait) + 1}")
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return Fetched(False, "timeout")
        try:
            resp = _pool.request(
                "GET", url, headers=headers, redirect=False, preload_content=False,
                timeout=urllib3.Timeout(connect=min(connect_timeout, remaining),
                                        read=remaining))
        except HTTPError as exc:
            return Fetched(False, _network_reason(exc))
        try:
            if resp.status in (301, 302, 303, 307, 308):
                location = resp.headers.get("Location", "")
                if not location:
                    return Fetched(False, f"status:{resp.status}", status=resp.status)
                url = urljoin(url, location.strip())
                if _allowed(url, origins) is None:
                    return Fetched(False, "foreign_redirect", status=resp.status)
                continue
            if resp.status in (429, 503):
                seconds = retry_after_seconds(resp.headers.get("Retry-After"))
                if seconds:
                    backoff.defer(origin, seconds)
                return Fetched(False, f"busy:{resp.status}", status=resp.status)
            if resp.status == 304:
                return Fetched(True, "", status=304, not_modified=True,
                               etag=resp.headers.get("ETag") or etag,
                               last_modified=resp.headers.get("Last-Modified") or last_modified)
            if not 200 <= resp.status < 300:
                return Fetched(False, f"status:{resp.status}", status=resp.status)
            ctype = resp.headers.get("Content-Type", "")
            mime = ctype.split(";", 1)[0].strip().lower()
            if mime and mime not in HTML_TYPES:
                return Fetched(False, f"not_html:{mime[:60]}", status=resp.status)
            declared = resp.headers.get("Content-Length", "")
            if declared.isdigit() and int(declared) > max_bytes:
                return Fetched(False, "too_large", status=resp.status)
            body = bytearray()
            while True:
                if time.monotonic() > deadline:
                    return Fetched(False, "timeout", status=resp.status)
                # read1: what has arrived, so a page that trickles can't outlast the deadline.
                chunk = resp.read1(64 * 1024)
                if not chunk:
                    break
                body += chunk
                if len(body) > max_bytes:
                    return Fetched(False, "too_large", status=resp.status)
            return Fetched(True, "", body=bytes(body), encoding=_charset(ctype),
                           status=resp.status, etag=resp.headers.get("ETag"),
                           last_modified=resp.headers.get("Last-Modified"))
        except HTTPError as exc:
            return Fetched(False, _network_reason(exc), status=resp.status)
        finally:
            # Never read the rest of a refused body (it may be huge or endless): drop the
            # connection instead of returning it to the pool.
            resp.close()
    return Fetched(False, "too_many_redirects")


def _charset(content_type: str) -> str | None:
    for part in content_type.split(";")[1:]:
        name, _, value = part.partition("=")
        if name.strip().lower() == "charset":
            return value.strip().strip('"') or None
    return None


def _network_reason(exc: Exception) -> str:
    text = type(exc).__name__
    if "Timeout" in text:
        return "timeout"
    if "NewConnection" in text or "MaxRetry" in text or "NameResolution" in text:
        return "unreachable"
    return f"read_error:{text[:60]}"
