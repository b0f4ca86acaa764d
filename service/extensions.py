"""Flask extensions, created once at module level and attached in ``create_app``."""

from collections.abc import Callable
from typing import TypeVar

from flask import current_app, request
from flask_babel import Babel
from flask_limiter import Limiter
from flask_login import LoginManager
from flask_mail import Mail
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect

from service.models import Base
from service.network import client_network

db = SQLAlchemy(model_class=Base)
login_manager = LoginManager()
csrf = CSRFProtect()
babel = Babel()
mailer = Mail()
# Ingest keys its limits by site + salted IP hash itself (service/ingest/limits.py); the
# decorator-style limits elsewhere (login) key by remote address, which ProxyFix has resolved.
limiter = Limiter(key_func=client_network)


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
