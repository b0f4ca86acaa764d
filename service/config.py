"""Configuration: defaults, then the environment (``ERRATA_*``, ``MAIL_*``), then a test mapping.

Secrets are never constants in the code: when ``ERRATA_SECRET_KEY`` or ``ERRATA_IP_SALT`` are
unset, a random value is generated once and kept in ``instance/secrets.json`` (mode 0600).
"""

from __future__ import annotations

import json
import os
import secrets
from pathlib import Path
from typing import Any

# (environment name, config key, parser)
_ENV: list[tuple[str, str, Any]] = [
    ("ERRATA_DATABASE_URL", "SQLALCHEMY_DATABASE_URI", str),
    ("ERRATA_SECRET_KEY", "SECRET_KEY", str),
    ("ERRATA_IP_SALT", "ERRATA_IP_SALT", str),
    ("ERRATA_BASE_URL", "ERRATA_BASE_URL", str),
    ("ERRATA_RATELIMIT_STORAGE_URI", "RATELIMIT_STORAGE_URI", str),
    ("ERRATA_PROXY_HOPS", "ERRATA_PROXY_HOPS", int),
    ("ERRATA_LIMIT_READER", "ERRATA_LIMIT_READER", str),
    ("ERRATA_LIMIT_SITE", "ERRATA_LIMIT_SITE", str),
    ("ERRATA_LIMIT_IP", "ERRATA_LIMIT_IP", str),
    ("ERRATA_MIN_ELAPSED_MS", "ERRATA_MIN_ELAPSED_MS", int),
    ("ERRATA_BLOCK_CACHE_SECONDS", "ERRATA_BLOCK_CACHE_SECONDS", float),
    ("ERRATA_SITE_CACHE_SECONDS", "ERRATA_SITE_CACHE_SECONDS", float),
    ("ERRATA_LOCK_TIMEOUT_SECONDS", "ERRATA_LOCK_TIMEOUT_SECONDS", float),
    ("ERRATA_SECURE_COOKIES", "SESSION_COOKIE_SECURE", lambda v: v.lower() in {"1", "true", "yes"}),
    ("ERRATA_MAIL_WINDOW_MINUTES", "ERRATA_MAIL_WINDOW_MINUTES", int),
    ("ERRATA_PURGE_DAYS", "ERRATA_PURGE_DAYS", int),
    ("ERRATA_PAGE_CHECKS", "ERRATA_PAGE_CHECKS", lambda v: v.lower() in {"1", "true", "yes"}),
    ("ERRATA_PAGE_CHECK_EVERY_MINUTES", "ERRATA_PAGE_CHECK_EVERY_MINUTES", int),
    ("ERRATA_PAGE_CHECK_DAYS", "ERRATA_PAGE_CHECK_DAYS", int),
    ("ERRATA_PAGE_CHECK_ORIGIN_SECONDS", "ERRATA_PAGE_CHECK_ORIGIN_SECONDS", float),
    ("ERRATA_API_LIMIT", "ERRATA_API_LIMIT", str),
    ("ERRATA_DEFAULT_LANGUAGE", "ERRATA_DEFAULT_LANGUAGE", str),
    ("ERRATA_DEFAULT_TIMEZONE", "ERRATA_DEFAULT_TIMEZONE", str),
    ("ERRATA_TRANSLATIONS_DIR", "ERRATA_TRANSLATIONS_DIR", str),
    ("ERRATA_TELEGRAM_API", "ERRATA_TELEGRAM_API", str),
    ("MAIL_SERVER", "MAIL_SERVER", str),
    ("MAIL_PORT", "MAIL_PORT", int),
    ("MAIL_USE_TLS", "MAIL_USE_TLS", lambda v: v.lower() in {"1", "true", "yes"}),
    ("MAIL_USE_SSL", "MAIL_USE_SSL", lambda v: v.lower() in {"1", "true", "yes"}),
    ("MAIL_USERNAME", "MAIL_USERNAME", str),
    ("MAIL_PASSWORD", "MAIL_PASSWORD", str),
    ("MAIL_DEFAULT_SENDER", "MAIL_DEFAULT_SENDER", str),
]


def local_port(environ: os._Environ[str] | dict[str, str] = os.environ) -> int:
    """``PORT`` (default 5000): where ``errata run`` listens."""
    raw = environ.get("PORT", "").strip() or "5000"
    if not (raw.isascii() and raw.isdigit() and 0 < int(raw) < 65536):
        raise RuntimeError(f"PORT={raw!r} is not valid: a port is a number from 1 to 65535")
    return int(raw)


def local_base_url(environ: os._Environ[str] | dict[str, str] = os.environ) -> str:
    """ERRATA_BASE_URL's default: the development server, ``http://127.0.0.1:$PORT``, so the
    server, every ``errata`` command and the mail agree on one address."""
    return f"http://127.0.0.1:{local_port(environ)}"


def defaults(instance_path: str) -> dict[str, Any]:
    from service import asset_dir

    db_path = Path(instance_path) / "errata.db"
    return {
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{db_path}",
        "ERRATA_BASE_URL": local_base_url(),
        "RATELIMIT_STORAGE_URI": "memory://",
        "RATELIMIT_HEADERS_ENABLED": False,
        "RATELIMIT_IN_MEMORY_FALLBACK_ENABLED": True,
        "RATELIMIT_SWALLOW_ERRORS": True,
        "ERRATA_PROXY_HOPS": 0,
        # Mistape's per-reader figures; per site and per IP across all sites.
        "ERRATA_LIMIT_READER": "5/5 minutes;15/30 minutes;30/day",
        "ERRATA_LIMIT_SITE": "300/hour",
        "ERRATA_LIMIT_IP": "60/hour",
        # Reports sent faster than a human could read the dialog are discarded as bots.
        "ERRATA_MIN_ELAPSED_MS": 800,
        # The longest a report's transaction waits for a lock before it is answered 503.
        "ERRATA_LOCK_TIMEOUT_SECONDS": 10.0,
        "ERRATA_BLOCK_CACHE_SECONDS": 5.0,
        "ERRATA_SITE_CACHE_SECONDS": 10.0,
        "ERRATA_MAIL_WINDOW_MINUTES": 10,
        "ERRATA_PURGE_DAYS": 0,
        # Background page checks: each open correction reported in the last DAYS days at
        # most once every EVERY minutes, and each origin at most once per ORIGIN seconds.
        # Off: no page is fetched unless someone asks (the button, `errata check`, the API).
        "ERRATA_PAGE_CHECKS": True,
        "ERRATA_PAGE_CHECK_EVERY_MINUTES": 60,
        "ERRATA_PAGE_CHECK_DAYS": 30,
        "ERRATA_PAGE_CHECK_ORIGIN_SECONDS": 1.0,
        # Requests per API token (Flask-Limiter notation).
        "ERRATA_API_LIMIT": "120/minute;5000/hour",
        # Pages for people whose browser names none of our languages, and for mail to
        # people who never chose one; times for people who never chose a zone.
        "ERRATA_DEFAULT_LANGUAGE": "en",
        "ERRATA_DEFAULT_TIMEZONE": "UTC",
        # The catalogs' sources (translations/<lang>/LC_MESSAGES/*.po); see docs/i18n.md.
        "ERRATA_TRANSLATIONS_DIR": asset_dir("translations"),
        # The Telegram Bot API base; tests point it at a local fake.
        "ERRATA_TELEGRAM_API": "https://api.telegram.org",
        "MAX_CONTENT_LENGTH": 1024 * 1024,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": False,
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "WTF_CSRF_TIME_LIMIT": None,
        "MAIL_SERVER": "",
        "MAIL_PORT": 25,
        "MAIL_DEFAULT_SENDER": "Errata <errata@localhost>",
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
    }


# The snippet never sends before this long after its dialog opened (snippet/errata-dialog.js);
# the server may ask for less, never more, or it would drop people as bots.
SNIPPET_MIN_ELAPSED_MS = 800


def check(config: dict[str, Any]) -> None:
    """Refuse to start on settings that would make the app misbehave. Names the setting."""
    min_elapsed = config["ERRATA_MIN_ELAPSED_MS"]
    if not 0 <= min_elapsed <= SNIPPET_MIN_ELAPSED_MS:
        raise RuntimeError(
            f"ERRATA_MIN_ELAPSED_MS={min_elapsed} is not valid: it must be between 0 and "
            f"{SNIPPET_MIN_ELAPSED_MS}, the time the snippet waits before sending; a higher "
            "value would discard people's reports as a bot's")


def from_environment(environ: os._Environ[str] | dict[str, str] = os.environ) -> dict[str, Any]:
    """The settings present in the environment, parsed. A bad value names the variable."""
    out: dict[str, Any] = {}
    for env_name, key, parse in _ENV:
        raw = environ.get(env_name)
        if raw is None or raw == "":
            continue
        try:
            out[key] = parse(raw)
        except ValueError as exc:
            raise RuntimeError(f"{env_name}={raw!r} is not valid: {exc}") from exc
    return out


def instance_secrets(instance_path: str) -> dict[str, str]:
    """Secrets generated once per installation and kept in ``instance/secrets.json``."""
    path = Path(instance_path) / "secrets.json"
    stored: dict[str, str] = {}
    if path.exists():
        stored = json.loads(path.read_text())
    wanted = {"SECRET_KEY": 48, "ERRATA_IP_SALT": 24}
    if all(k in stored for k in wanted):
        return stored
    for key, nbytes in wanted.items():
        stored.setdefault(key, secrets.token_urlsafe(nbytes))
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        json.dump(stored, fh)
    os.replace(tmp, path)
    return stored
