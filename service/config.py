"""Every setting in one table: its environment variable, type, default and meaning.

``create_app`` reads the defaults, then the environment, then a test mapping, and checks the
result against :data:`SETTINGS`: a bad value stops the start with one line naming the
setting (:class:`ConfigError`). Features read ``app.config`` only, never ``os.environ``.

Secrets are never constants in the code: when ``ERRATA_SECRET_KEY`` or ``ERRATA_IP_SALT`` are
unset, a random value is generated once and kept in ``instance/secrets.json`` (mode 0600).

README's settings table is made from this one: ``python -m service.config`` rewrites it, and
``tests/test_config.py`` fails when they differ. To add a setting, add a line below.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from limits import parse_many


class ConfigError(SystemExit, RuntimeError):
    """A setting with a bad value. A ``RuntimeError`` to code that catches one (the ``errata``
    command prints it as one line); uncaught, a ``SystemExit``, so a server's start stops with
    only this line rather than a traceback."""


# -- value types: each parses the environment's text and checks the final value ----------------

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


@dataclass(frozen=True)
class Kind:
    name: str  # as README shows it
    parse: Callable[[str], Any]  # environment text -> value; ValueError with a reason
    accepts: tuple[type, ...]  # Python types a test mapping may give


def _bool(raw: str) -> bool:
    low = raw.strip().lower()
    if low in _TRUE:
        return True
    if low in _FALSE:
        return False
    raise ValueError("must be 1/0, true/false, yes/no or on/off")


def _int(raw: str) -> int:
    raw = raw.strip()
    if not re.fullmatch(r"[+-]?[0-9]+", raw):  # int() would take "٥١٠١" and "1_000"
        raise ValueError("must be a whole number")
    return int(raw)


def _float(raw: str) -> float:
    try:
        return float(raw.strip())
    except ValueError:
        raise ValueError("must be a number") from None


def _limits(raw: str) -> str:
    try:
        if parse_many(raw):
            return raw
    except ValueError:
        pass
    raise ValueError('must be rate limits such as "300/hour" or "5/5 minutes;30/day"')


TEXT = Kind("text", str, (str,))
BOOL = Kind("boolean", _bool, (bool,))
INT = Kind("integer", _int, (int,))
FLOAT = Kind("number", _float, (int, float))
LIMITS = Kind("rate limits", _limits, (str,))


def at_least(low: float) -> Callable[[Any], str | None]:
    return lambda v: None if v >= low else f"must be at least {low}"


def between(low: float, high: float) -> Callable[[Any], str | None]:
    return lambda v: None if low <= v <= high else f"must be between {low} and {high}"


def url(*schemes: str) -> Callable[[Any], str | None]:
    def check(v: str) -> str | None:
        scheme, sep, rest = v.partition("://")
        if sep and rest and scheme.split("+")[0] in schemes:
            return None
        return "must be a URL starting with " + " or ".join(f"{s}://" for s in schemes)
    return check


def _time_zone(name: str) -> str | None:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return "must be a time zone such as UTC or Europe/Moscow"
    return None


# The snippet never sends before this long after its dialog opened (snippet/errata-dialog.js);
# the server may ask for less, never more, or it would drop people as bots.
SNIPPET_MIN_ELAPSED_MS = 800


@dataclass(frozen=True)
class Setting:
    env: str  # the environment variable
    kind: Kind
    default: Any  # None: computed at start (shown as ``shown``)
    meaning: str
    key: str = ""  # the app.config key, when it is not ``env``
    check: Callable[[Any], str | None] | None = None  # None when fine, else the reason
    shown: str = ""  # the default as README shows it, when ``repr`` would mislead

    @property
    def config_key(self) -> str:
        return self.key or self.env


SETTINGS: tuple[Setting, ...] = (
    # -- where things are -------------------------------------------------------------------
    Setting("ERRATA_INSTANCE_PATH", TEXT, None,
            "where the SQLite file and generated secrets live", key="INSTANCE_PATH",
            shown="`./instance`"),
    Setting("ERRATA_DATABASE_URL", TEXT, None,
            "SQLAlchemy URL. SQLite runs with WAL and a busy timeout; for production use "
            "PostgreSQL: `postgresql://user:pass@host/errata` (psycopg 3)",
            key="SQLALCHEMY_DATABASE_URI", check=url("sqlite", "postgresql", "postgres"),
            shown="`sqlite:///instance/errata.db`"),
    Setting("ERRATA_SECRET_KEY", TEXT, None,
            "signs sessions, CSRF tokens and mail links; set the same value on every host",
            key="SECRET_KEY", shown="generated once into `instance/secrets.json`"),
    Setting("ERRATA_IP_SALT", TEXT, None,
            "salt of the readers' IP hashes (we never store an IP); rotate it to unlink old "
            "hashes", shown="generated once into `instance/secrets.json`"),
    Setting("ERRATA_BASE_URL", TEXT, None,
            "public URL of the service, used in the embed code and in mail links; set it in "
            "production (unset, the development server's, so the server, every `errata` "
            "command and the mail agree)",
            check=url("http", "https"), shown="`http://127.0.0.1:$PORT`"),
    Setting("PORT", INT, 5000, "where `errata run` listens, and so the default "
            "`ERRATA_BASE_URL`", check=between(1, 65535)),
    Setting("ERRATA_PROXY_HOPS", INT, 0,
            "trusted reverse proxies in front of Errata (Werkzeug ProxyFix); "
            "`X-Forwarded-For` is ignored while 0", check=at_least(0)),
    Setting("ERRATA_SECURE_COOKIES", BOOL, False,
            "set `1` behind HTTPS (also on when `ERRATA_BASE_URL` is https)",
            key="SESSION_COOKIE_SECURE"),
    # -- reports -----------------------------------------------------------------------------
    Setting("ERRATA_RATELIMIT_STORAGE_URI", TEXT, "memory://",
            "Flask-Limiter storage; `redis://host:6379/0` when running several processes or "
            "hosts (with `memory://` each gunicorn worker counts alone; "
            "`deploy/gunicorn.conf.py` warns at start)", key="RATELIMIT_STORAGE_URI"),
    # Mistape's per-reader figures; per site and per IP across all sites.
    Setting("ERRATA_LIMIT_READER", LIMITS, "5/5 minutes;15/30 minutes;30/day",
            "reports per reader (site + IP hash); per-site overrides on the site page"),
    Setting("ERRATA_LIMIT_SITE", LIMITS, "300/hour",
            "reports per site; per-site overrides on the site page"),
    Setting("ERRATA_LIMIT_IP", LIMITS, "60/hour",
            "requests to the ingest endpoint per reader (IPv4 address, IPv6 /64) across all "
            "sites, valid or not, counted before the body is read"),
    Setting("ERRATA_MIN_ELAPSED_MS", INT, SNIPPET_MIN_ELAPSED_MS,
            "reports sent faster than this after the dialog opened are treated as bots; at "
            "most 800, the time the snippet waits before sending",
            check=lambda v: None if 0 <= v <= SNIPPET_MIN_ELAPSED_MS else (
                f"must be between 0 and {SNIPPET_MIN_ELAPSED_MS}, the time the snippet waits "
                "before sending; a higher value would discard people's reports as a bot's")),
    Setting("ERRATA_LOCK_TIMEOUT_SECONDS", FLOAT, 10.0,
            "the longest a report waits for a database lock (SQLite's busy timeout; "
            "PostgreSQL's `lock_timeout` while storing reports) before it is answered 503 and "
            "the snippet retries", check=at_least(0.1)),
    Setting("ERRATA_SITE_CACHE_SECONDS", FLOAT, 10.0,
            "how long each process keeps a site's key, origins and limits for ingest; an edit "
            "made in another process takes effect within this time", check=at_least(0)),
    Setting("ERRATA_BLOCK_CACHE_SECONDS", FLOAT, 5.0,
            "how long each process keeps its copy of the admins' blocks of readers (IP hashes)",
            check=at_least(0)),
    # -- editors -----------------------------------------------------------------------------
    Setting("ERRATA_LOGIN_LIMIT_ACCOUNT", LIMITS, "5/15 minutes",
            "failed logins allowed per account"),
    Setting("ERRATA_LOGIN_LIMIT_IP", LIMITS, "30/15 minutes",
            "failed logins allowed per network address"),
    Setting("ERRATA_PURGE_DAYS", INT, 0,
            "when set, the mail sender removes reader emails, IP hashes and user agents older "
            "than this daily (0: off)", check=at_least(0)),
    # -- page checks, the API, channels -------------------------------------------------------
    Setting("ERRATA_PAGE_CHECKS", BOOL, True,
            "background page checks (is the mistake still on the page?); off, no page is "
            "fetched unless someone asks (the button, `errata check`, the API)"),
    Setting("ERRATA_PAGE_CHECK_EVERY_MINUTES", INT, 60,
            "each open correction's page is checked at most this often", check=at_least(1)),
    Setting("ERRATA_PAGE_CHECK_DAYS", INT, 30,
            "only corrections reported in this many days are checked in the background",
            check=at_least(1)),
    Setting("ERRATA_PAGE_CHECK_ORIGIN_SECONDS", FLOAT, 1.0,
            "at most one page check per origin in this many seconds", check=at_least(0)),
    Setting("ERRATA_API_LIMIT", LIMITS, "120/minute;5000/hour", "requests per API token"),
    Setting("ERRATA_TELEGRAM_API", TEXT, "https://api.telegram.org",
            "the Telegram Bot API base used by Telegram channels (tests point it at a local "
            "fake)", check=url("http", "https")),
    # -- languages and times (docs/i18n.md) --------------------------------------------------
    Setting("ERRATA_DEFAULT_LANGUAGE", TEXT, "en",
            "pages for people whose browser names none of our languages, and mail to people "
            "who never chose one"),
    Setting("ERRATA_DEFAULT_TIMEZONE", TEXT, "UTC",
            "times for people who never chose a zone", check=_time_zone),
    Setting("ERRATA_TRANSLATIONS_DIR", TEXT, None,
            "the catalogs' sources (`translations/<lang>/LC_MESSAGES/*.po`)",
            shown="`translations/` of the package"),
    # -- mail (docs/mail.md) -----------------------------------------------------------------
    Setting("ERRATA_MAIL_WINDOW_MINUTES", INT, 10,
            "at most one notification per recipient per site in this many minutes",
            check=at_least(0)),
    Setting("ERRATA_MAIL_SETTLE_SECONDS", INT, 60,
            "a burst of reports is mailed once quiet this long (never later than the window)",
            check=at_least(0)),
    Setting("ERRATA_MAIL_THANKS_DELAY_SECONDS", INT, 120,
            "a reader's thank-you waits this long, so a mis-click on Fixed can be undone",
            check=at_least(0)),
    Setting("ERRATA_MAIL_KEEP_DAYS", INT, 30,
            "sent mail is deleted after this many days (it holds reader addresses)",
            check=at_least(1)),
    Setting("ERRATA_MAIL_MAX_ATTEMPTS", INT, 10, "attempts before a mail is `failed`",
            check=at_least(1)),
    Setting("ERRATA_MAIL_RETRY_SECONDS", INT, 60, "first retry delay; doubles each time",
            check=at_least(1)),
    Setting("ERRATA_MAIL_RETRY_MAX_SECONDS", INT, 3600, "longest delay between attempts",
            check=at_least(1)),
    Setting("ERRATA_MAIL_LEASE_SECONDS", INT, 600,
            "a sender's claim older than this belongs to a dead sender; the mail is handed out "
            "again", check=at_least(1)),
    Setting("ERRATA_MAIL_BATCH", INT, 50, "mails claimed per round trip", check=at_least(1)),
    Setting("ERRATA_MAIL_TIMEOUT_SECONDS", INT, 30, "SMTP socket timeout", check=at_least(1)),
    Setting("ERRATA_MAIL_LIST_LIMIT", INT, 100,
            "corrections listed in one mail; the rest are counted with a link to the queue",
            check=at_least(1)),
    Setting("MAIL_SERVER", TEXT, "",
            "SMTP host (Flask-Mail). Unset: mail is printed by the sender instead of sent",
            shown="unset"),
    Setting("MAIL_PORT", INT, 25, "SMTP port", check=between(1, 65535)),
    Setting("MAIL_USE_TLS", BOOL, False, "STARTTLS after connecting"),
    Setting("MAIL_USE_SSL", BOOL, False, "TLS from the start (usually port 465)"),
    Setting("MAIL_USERNAME", TEXT, None, "SMTP login", shown="unset"),
    Setting("MAIL_PASSWORD", TEXT, None, "SMTP password", shown="unset"),
    Setting("MAIL_DEFAULT_SENDER", TEXT, "Errata <errata@localhost>", "the From of every mail"),
)

BY_KEY: dict[str, Setting] = {s.config_key: s for s in SETTINGS}
BY_ENV: dict[str, Setting] = {s.env: s for s in SETTINGS}


def flask_defaults(instance_path: str) -> dict[str, Any]:
    """Every setting's default, plus the Flask and extension options that are not settings."""
    out: dict[str, Any] = {s.config_key: s.default for s in SETTINGS if s.default is not None}
    from service import asset_dir

    out["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{Path(instance_path) / 'errata.db'}"
    out["ERRATA_TRANSLATIONS_DIR"] = asset_dir("translations")
    out.update({
        "RATELIMIT_HEADERS_ENABLED": False,
        "RATELIMIT_IN_MEMORY_FALLBACK_ENABLED": True,
        "RATELIMIT_SWALLOW_ERRORS": True,
        "MAX_CONTENT_LENGTH": 1024 * 1024,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "WTF_CSRF_TIME_LIMIT": None,
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
        # Not settings (never read from the environment); tests change them in their mapping:
        # the password hash (werkzeug's scrypt), and the caches' clock (time.monotonic).
        "PASSWORD_HASH_METHOD": None,
        "CLOCK": None,
    })
    return out


def _parse(setting: Setting, raw: str) -> Any:
    try:
        value = setting.kind.parse(raw)
    except ValueError as exc:
        raise ConfigError(f"{setting.env}={raw!r} is not valid: {exc}") from None
    reason = setting.check(value) if setting.check else None
    if reason:
        raise ConfigError(f"{setting.env}={raw!r} is not valid: {reason}")
    return value


def from_environment(environ: Mapping[str, str] = os.environ) -> dict[str, Any]:
    """The settings present in the environment, parsed, by config key."""
    return {s.config_key: _parse(s, environ[s.env]) for s in SETTINGS
            if environ.get(s.env, "") != ""}


def instance_path(fallback: str, environ: Mapping[str, str] = os.environ) -> str:
    """``ERRATA_INSTANCE_PATH``: read before the app exists, since the app is made there."""
    return environ.get("ERRATA_INSTANCE_PATH") or fallback


def validate(config: dict[str, Any]) -> None:
    """Check every setting's final value (defaults, environment and test mapping merged);
    raise :class:`ConfigError` naming the first bad one. Text from a mapping is parsed as the
    environment's would be."""
    for s in SETTINGS:
        value = config.get(s.config_key)
        if value is None:
            continue
        if isinstance(value, str) and s.kind is not TEXT:
            value = config[s.config_key] = _parse(s, value)
        if isinstance(value, bool) and s.kind is not BOOL or not isinstance(
                value, s.kind.accepts):
            raise ConfigError(f"{s.env}={value!r} is not valid: must be a {s.kind.name}")
        if s.kind is LIMITS:
            _parse(s, value)
        reason = s.check(value) if s.check else None
        if reason:
            raise ConfigError(f"{s.env}={value!r} is not valid: {reason}")


def derive(config: dict[str, Any]) -> None:
    """Values that follow from others, once the settings are checked."""
    if not config.get("ERRATA_BASE_URL"):
        config["ERRATA_BASE_URL"] = f"http://127.0.0.1:{config['PORT']}"
    if str(config["ERRATA_BASE_URL"]).startswith("https://"):
        # Behind https the session cookie must never travel over plain http.
        config["SESSION_COOKIE_SECURE"] = True
    config["REMEMBER_COOKIE_SECURE"] = config["SESSION_COOKIE_SECURE"]


def local_port(environ: Mapping[str, str] = os.environ) -> int:
    """``PORT`` (default 5000): where ``errata run`` listens (read before any app exists)."""
    raw = environ.get("PORT", "")
    return _parse(BY_ENV["PORT"], raw) if raw.strip() else BY_ENV["PORT"].default


def local_base_url(environ: Mapping[str, str] = os.environ) -> str:
    """``ERRATA_BASE_URL``'s default: the development server, ``http://127.0.0.1:$PORT``."""
    return f"http://127.0.0.1:{local_port(environ)}"


def readme_table() -> str:
    """The settings as README's markdown table."""
    lines = ["| Variable | Type | Default | Meaning |", "|---|---|---|---|"]
    for s in SETTINGS:
        if s.shown:
            default = s.shown
        elif isinstance(s.default, bool):
            default = "`1`" if s.default else "`0`"
        else:
            default = f"`{s.default:g}`" if isinstance(s.default, float) else f"`{s.default}`"
        lines.append(f"| `{s.env}` | {s.kind.name} | {default} | {s.meaning} |")
    return "\n".join(lines) + "\n"


README_START = "<!-- settings: made by `python -m service.config` from service/config.py -->\n"
README_END = "<!-- /settings -->\n"


def readme_with_table(readme: str) -> str:
    head, start, rest = readme.partition(README_START)
    _old, end, tail = rest.partition(README_END)
    if not (start and end):
        raise ValueError("README.md has no settings markers")
    return head + start + readme_table() + end + tail


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


if __name__ == "__main__":  # python -m service.config: rewrite README's settings table
    readme = Path(__file__).resolve().parent.parent / "README.md"
    readme.write_text(readme_with_table(readme.read_text(encoding="utf-8")), encoding="utf-8")
    sys.stdout.write(f"{readme}: settings table rewritten\n")
