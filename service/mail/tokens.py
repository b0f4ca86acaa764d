"""Signed links in mail that need no login: a reader unsubscribing, an editor stopping
notification mail. They never expire: a link in an old mail must still work.

Tokens are signed with ``SECRET_KEY`` (service/signing.py) and carry only what they must. The
one-time links of invitations and password resets are the accounts feature's
(service/accounts/links.py).
"""

from __future__ import annotations

from itsdangerous import BadSignature

from service.signing import serializer


def unsubscribe_token(email: str) -> str:
    """Never expires: an unsubscribe link in an old mail must still work."""
    return serializer("unsubscribe").dumps(email.strip().lower())


def read_unsubscribe_token(token: str) -> str | None:
    try:
        email = serializer("unsubscribe").loads(token)
    except BadSignature:
        return None
    return email if isinstance(email, str) and "@" in email else None


def notify_stop_token(email: str, site_id: int | None) -> str:
    """For editors' notification mail: stop it for this address (``site_id``: the site the
    mail was about; None for a digest). Never expires either."""
    return serializer("notify-stop").dumps(
        {"e": email.strip().lower(), "s": site_id})


def read_notify_stop_token(token: str) -> tuple[str, int | None] | None:
    try:
        data = serializer("notify-stop").loads(token)
    except BadSignature:
        return None
    if not isinstance(data, dict) or "@" not in str(data.get("e", "")):
        return None
    site_id = data.get("s")
    return str(data["e"]), site_id if isinstance(site_id, int) else None
