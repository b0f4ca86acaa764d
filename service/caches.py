"""Per-process caches, one shape for all: values kept a few seconds, then loaded again.

Ingest reads a few facts on every report (a site's row, the admin blocks, whether the shared
rate-limit storage is down). Each is kept in a :class:`TTLCache` that belongs to the app (made
on first use by :func:`app_cache`), so every app, and so every test, has its own and none has
to be reset by hand. An edit in this process calls :meth:`TTLCache.forget` and takes effect at
once; one made elsewhere (another worker, another host) within the cache's time to live.

The clock is ``time.monotonic`` unless the app config's ``CLOCK`` names another function:
tests move time forward by hand instead of sleeping.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

from flask import current_app

from service.extensions import app_state

V = TypeVar("V")
_MISSING = object()


class TTLCache(Generic[V]):
    """A thread-safe mapping whose entries live ``ttl`` seconds.

    ``max_entries`` bounds it (keys may be chosen by an attacker, e.g. a site key in a
    report): when full it starts over. A value is loaded under the cache's lock, so threads
    that miss together make one query, not one each.
    """

    def __init__(self, ttl: float, *, max_entries: int = 10_000,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.ttl = float(ttl)
        self.max_entries = max_entries
        self.clock = clock
        self._entries: dict[Hashable, tuple[float, V]] = {}
        self._lock = threading.Lock()

    def peek(self, key: Hashable, default: V | None = None) -> V | None:
        """The fresh value for ``key``, or ``default`` (never loads)."""
        hit = self._entries.get(key)
        if hit is not None and hit[0] > self.clock():
            return hit[1]
        return default

    def get(self, key: Hashable, load: Callable[[], V]) -> V:
        """The fresh value for ``key``, loading (and keeping) it with ``load()`` if there is
        none."""
        value = self.peek(key, _MISSING)  # type: ignore[arg-type]
        if value is not _MISSING:
            return value  # type: ignore[return-value]
        with self._lock:
            value = self.peek(key, _MISSING)  # type: ignore[arg-type]
            if value is _MISSING:
                value = load()
                self._store(key, value)
        return value  # type: ignore[return-value]

    def put(self, key: Hashable, value: V) -> None:
        with self._lock:
            self._store(key, value)

    def _store(self, key: Hashable, value: V) -> None:
        if len(self._entries) >= self.max_entries and key not in self._entries:
            self._entries.clear()
        self._entries[key] = (self.clock() + self.ttl, value)

    def forget(self, key: Hashable = _MISSING) -> None:
        """Drop ``key`` (or every entry), so the next :meth:`get` loads it again."""
        with self._lock:
            if key is _MISSING:
                self._entries.clear()
            else:
                self._entries.pop(key, None)


def app_cache(name: str, ttl: float, *, max_entries: int = 10_000) -> TTLCache:
    """The current app's cache called ``name``, made on first use."""
    clock = current_app.config.get("CLOCK") or time.monotonic
    return app_state(name, lambda: TTLCache(ttl, max_entries=max_entries, clock=clock))
