"""Settings: one table (service/config.py), read from the environment at start, a bad value
refused with one line naming it, and README's table made from the same table."""

import re
import subprocess
import sys
from pathlib import Path

import pytest

from service import create_app
from service.config import SETTINGS, ConfigError, readme_with_table

ROOT = Path(__file__).resolve().parent.parent


def start(monkeypatch, tmp_path, **env):
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return create_app({"TESTING": True, "INSTANCE_PATH": str(tmp_path / "instance")})


def test_every_setting_has_a_default_or_a_reason_and_a_meaning():
    names = [s.env for s in SETTINGS]
    assert len(names) == len(set(names))
    for s in SETTINGS:
        assert s.env.startswith(("ERRATA_", "MAIL_")) or s.env == "PORT"
        assert s.meaning
        assert s.default is not None or s.shown, s.env


def test_defaults_start_the_app(monkeypatch, tmp_path):
    app = start(monkeypatch, tmp_path)
    for s in SETTINGS:
        if s.default is not None:
            assert app.config[s.config_key] == s.default, s.env


@pytest.mark.parametrize(("env", "raw", "value"), [
    ("ERRATA_MAIL_BATCH", " 7 ", 7),
    ("ERRATA_LOCK_TIMEOUT_SECONDS", "2.5", 2.5),
    ("ERRATA_SECURE_COOKIES", "yes", True),
    ("MAIL_USE_TLS", "off", False),
    ("ERRATA_LIMIT_IP", "10/minute;100/day", "10/minute;100/day"),
    ("PORT", "8000", 8000),
    ("ERRATA_DATABASE_URL", "sqlite:////tmp/x.db", "sqlite:////tmp/x.db"),
])
def test_the_environment_sets_a_typed_value(monkeypatch, tmp_path, env, raw, value):
    app = start(monkeypatch, tmp_path, **{env: raw})
    key = next(s.config_key for s in SETTINGS if s.env == env)
    assert app.config[key] == value


@pytest.mark.parametrize(("env", "raw", "reason"), [
    ("ERRATA_MAIL_BATCH", "fifty", "must be a whole number"),
    ("ERRATA_MAIL_BATCH", "0", "must be at least 1"),
    ("ERRATA_LOCK_TIMEOUT_SECONDS", "soon", "must be a number"),
    ("ERRATA_SECURE_COOKIES", "maybe", "must be 1/0"),
    ("ERRATA_LIMIT_READER", "lots", "must be rate limits"),
    ("ERRATA_PROXY_HOPS", "-1", "must be at least 0"),
    ("PORT", "70000", "must be between 1 and 65535"),
    ("MAIL_PORT", "smtp", "must be a whole number"),
    ("ERRATA_BASE_URL", "errata.example.org", "must be a URL starting with http://"),
    ("ERRATA_DATABASE_URL", "mysql://db/errata", "must be a URL starting with sqlite://"),
    ("ERRATA_DEFAULT_TIMEZONE", "Mars/Olympus", "must be a time zone"),
])
def test_a_bad_value_stops_the_start_naming_the_setting(monkeypatch, tmp_path, env, raw, reason):
    with pytest.raises(ConfigError) as exc:
        start(monkeypatch, tmp_path, **{env: raw})
    message = str(exc.value)
    assert message.startswith(f"{env}=") and reason in message
    assert "\n" not in message


def test_the_errata_command_says_one_line_and_fails(tmp_path):
    env = {"PATH": "/usr/bin:/bin", "ERRATA_INSTANCE_PATH": str(tmp_path / "instance"),
           "ERRATA_MAIL_RETRY_SECONDS": "a minute"}
    done = subprocess.run([sys.executable, "-m", "service.cli", "db", "upgrade"], env=env,
                          capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert done.returncode == 1
    assert done.stderr.strip() == ("Error: ERRATA_MAIL_RETRY_SECONDS='a minute' is not valid: "
                                   "must be a whole number")
    assert not (tmp_path / "instance" / "errata.db").exists()


def test_a_bad_value_in_the_test_mapping_is_refused_too(tmp_path):
    with pytest.raises(ConfigError, match="ERRATA_MAIL_KEEP_DAYS=0 is not valid: must be at"):
        create_app({"TESTING": True, "INSTANCE_PATH": str(tmp_path), "ERRATA_MAIL_KEEP_DAYS": 0})


def test_https_base_url_makes_cookies_secure(monkeypatch, tmp_path):
    app = start(monkeypatch, tmp_path, ERRATA_BASE_URL="https://errata.example.org")
    assert app.config["SESSION_COOKIE_SECURE"] and app.config["REMEMBER_COOKIE_SECURE"]


def test_readme_table_is_made_from_the_settings():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert readme == readme_with_table(readme), (
        "README.md's settings table is out of date: run `python -m service.config`")
    for s in SETTINGS:
        assert f"| `{s.env}` |" in readme


def test_no_feature_reads_the_environment():
    """Settings are read once, in service/config.py; everything else reads app.config."""
    # Reads only: `errata run` hands its port and timings on to the app and its sender.
    reads = re.compile(r"os\.environ\.get\(|getenv\(|os\.environ\[[^\]]+\](?!\s*=)")
    offenders = []
    for path in (ROOT / "service").rglob("*.py"):
        if path.name == "config.py" and path.parent.name == "service":
            continue
        for line in path.read_text(encoding="utf-8").splitlines():
            if reads.search(line):
                offenders.append(f"{path.relative_to(ROOT)}: {line.strip()}")
    assert offenders == []
