"""Signed tokens for links in mail, keyed with ``SECRET_KEY``: one place that knows the key
and how a purpose becomes a salt, for the mail feature's never-expiring links
(service/mail/tokens.py) and the accounts feature's one-time ones (service/accounts/links.py).
"""

from __future__ import annotations

from flask import current_app
from itsdangerous import URLSafeSerializer, URLSafeTimedSerializer


def secret_key() -> str:
    return str(current_app.config["SECRET_KEY"])


def serializer(purpose: str) -> URLSafeSerializer:
    """Tokens for ``purpose`` that never expire (a link in an old mail must still work)."""
    return URLSafeSerializer(secret_key(), salt=f"errata.{purpose}")


def timed_serializer(purpose: str) -> URLSafeTimedSerializer:
    """Tokens for ``purpose`` whose reader gives a ``max_age``."""
    return URLSafeTimedSerializer(secret_key(), salt=f"errata.{purpose}")
