"""Flask extensions, created once at module level and attached in ``create_app``."""

import copy
from collections.abc import Callable
from typing import TypeVar

from flask import Flask, current_app, request
from flask_babel import Babel
from flask_limiter import Limiter
from flask_login import LoginManager
from flask_mail import Mail
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from limits.storage import MemoryStorage

from service.models import Base
from service.network import client_network

db = SQLAlchemy(model_class=Base)
login_manager = LoginManager()
csrf = CSRFProtect()
babel = Babel()
mailer = Mail()


def begin_write(session) -> None:
    """Begin ``session``'s transaction as a writer. Call it with no transaction open.

    On SQLite the transaction takes the database's write lock at BEGIN (BEGIN IMMEDIATE,
    ``service._tune_sqlite``), where the busy timeout applies. A transaction that reads
    first and writes later is refused at once ("database is locked", no busy wait) when
    another connection committed in between: the mail sender, the page checker, an editor.
    On PostgreSQL it is an ordinary BEGIN.
    """
    session.connection(execution_options={"immediate": True})


class AppLimiter(Limiter):
    """Flask-Limiter, set up afresh from the config of each app it is attached to.

    One limiter outlives every app of the process: the ``@limiter.limit`` decorators are
    applied when the views are imported. Flask-Limiter's ``init_app`` keeps much of what the
    first app set (``self._key_prefix = self._key_prefix or config[...]``): the key prefix,
    whether storage errors are swallowed, the strategy, the in-memory fallback. A later app
    (a test's, or a second one in a process) then counted under the first one's key prefix
    and ignored its own ``RATELIMIT_*`` settings. Here each ``init_app`` starts from the
    values the constructor set, and the storage is the new app's. The last app attached is
    the one the limiter counts for (one app per process in production).
    """

    # What Flask-Limiter's init_app reads from the app's config or keeps between requests.
    PER_APP = ("enabled", "_default_limits_per_method", "_default_limits_exempt_when",
               "_default_limits_deduct_when", "_default_limits_cost",
               "_application_limits_per_method", "_application_limits_exempt_when",
               "_application_limits_deduct_when", "_application_limits_cost",
               "_swallow_errors", "_fail_on_first_breach", "_headers_enabled",
               "_header_mapping", "_retry_after", "_strategy", "_storage_options",
               "_key_prefix", "_request_identifier", "_on_breach", "_on_meta_breach",
               "_meta_limits", "_in_memory_fallback", "_in_memory_fallback_enabled",
               "_fallback_limiter", "_storage_dead")

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        missing = [name for name in self.PER_APP if name not in vars(self)]
        if missing:  # a Flask-Limiter that keeps its settings elsewhere: look again
            raise RuntimeError(f"Flask-Limiter has no {', '.join(missing)}")
        self._as_constructed = {name: copy.copy(vars(self)[name]) for name in self.PER_APP}

    def init_app(self, app: Flask) -> None:
        for name, value in self._as_constructed.items():
            setattr(self, name, copy.copy(value))
        super().init_app(app)
        if self._in_memory_fallback_enabled:  # the fallback is built as a plain MemoryStorage
            self._fallback_storage = ThreadSafeMemoryStorage()
            self._fallback_limiter = type(self._fallback_limiter)(self._fallback_storage)


class ThreadSafeMemoryStorage(MemoryStorage):
    """The ``memory://`` rate-limit storage (and Flask-Limiter's fallback when Redis is down),
    with its expiry sweep safe under threads.

    limits 5.8 sweeps expired counters on short-lived timer threads and reads
    ``expirations[key]`` for a key that a request thread (or another sweep) may have just
    removed. Under gunicorn's gthread workers the sweep then dies with a KeyError, and an
    "Exception in thread" traceback lands in the log (tests/test_rate_limits.py). Counting
    was never wrong, since each read checks expiry itself; a sweep cut short is finished by
    the next one. Declaring the ``memory`` scheme makes ``memory://`` mean this class.
    """

    STORAGE_SCHEME = ["memory"]

    def _MemoryStorage__expire_events(self) -> None:  # the timer's target, name-mangled
        try:
            super()._MemoryStorage__expire_events()  # type: ignore[misc]
        except KeyError:
            pass  # removed meanwhile: that is what the sweep was going to do


# Ingest keys its limits by site + salted IP hash itself (service/ingest/limits.py); the
# decorator-style limits elsewhere (login) key by remote address, which ProxyFix has resolved.
limiter = AppLimiter(key_func=client_network)


@limiter.request_filter
def _ingest_counts_its_own_limits() -> bool:
    # Flask-Limiter's per-request hook has nothing to check on the ingest API, and skipping
    # it keeps the hot path short. Registered once here: the limiter outlives every app.
    return request.blueprint == "ingest"


T = TypeVar("T")


def app_state(name: str, make: Callable[[], T]) -> T:
    """The current app's ``name`` object (a cache, a lock), made by ``make`` on first use.

    Kept on the app rather than the module, so each app (each test) has its own. ``make``
    runs only when the object is missing, not on every call as ``setdefault(name, make())``
    would; if two threads race, both build one and the first stored wins.
    """
    state = current_app.extensions.get(name)
    if state is None:
        state = current_app.extensions.setdefault(name, make())
    return state
