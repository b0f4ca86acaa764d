"""Languages and zones: catalogs compiled at start, who gets which language, Babel formatting."""

from __future__ import annotations

import os
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

from service import create_app
from service.i18n import ago, compile_catalogs, speaking, when
from tests.conftest import base_config

ROOT = Path(__file__).resolve().parent.parent


def _sources(tmp_path: Path) -> Path:
    """A copy of the catalogs' sources without any compiled file."""
    src = tmp_path / "translations"
    shutil.copytree(ROOT / "translations", src, ignore=shutil.ignore_patterns("*.mo", "*.pot"))
    return src


def test_a_fresh_checkout_gets_compiled_catalogs_at_start(_schema, tmp_path):
    src = _sources(tmp_path)
    assert not list(src.rglob("*.mo"))
    create_app(base_config(_schema, str(tmp_path / "instance"), ERRATA_TRANSLATIONS_DIR=str(src)))
    assert (src / "ru" / "LC_MESSAGES" / "messages.mo").stat().st_size > 0
    assert (src / "en" / "LC_MESSAGES" / "messages.mo").exists()


def test_a_changed_source_is_compiled_again(tmp_path):
    src = _sources(tmp_path)
    target = compile_catalogs(src, tmp_path / "fallback")
    mo = src / "ru" / "LC_MESSAGES" / "messages.mo"
    assert target == src and mo.exists()
    first = mo.read_bytes()
    po = src / "ru" / "LC_MESSAGES" / "messages.po"
    po.write_text(po.read_text().replace('msgstr "только что"', 'msgstr "сейчас"'))
    os.utime(po, (mo.stat().st_mtime + 5, mo.stat().st_mtime + 5))
    compile_catalogs(src, tmp_path / "fallback")
    assert mo.read_bytes() != first and "сейчас".encode() in mo.read_bytes()



def test_moments_are_shown_in_the_persons_zone_and_language(app):
    moment = datetime(2026, 11, 30, 9, 5, tzinfo=UTC)
    with app.app_context():
        with speaking("ru", "Europe/Moscow"):
            assert "12:05" in when(moment) and "нояб" in when(moment)
            assert ago(datetime.now(UTC) - timedelta(hours=3)) == "3 часа назад"
            assert ago(datetime.now(UTC)) == "только что"
        with speaking("en", "America/New_York"):
            assert "4:05" in when(moment) and "Nov" in when(moment)
            assert ago(datetime.now(UTC) - timedelta(hours=5)) == "5 hours ago"
