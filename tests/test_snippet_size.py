"""The snippet's weight is a feature: ``make test`` fails when a budget is exceeded.

Budgets (gzip -9, what a reader's browser downloads, no file name in the gzip header as a
server sends it): ``errata.js``, loaded on every page view, <= 1,200 B; with the largest
language's ``errata-dialog.<lang>.js`` (fetched on first use) <= 5,000 B (issue 15). The
served files are built from ``snippet/*.js`` and ``translations/*/LC_MESSAGES/snippet.po`` by
``snippet/build.py``; ``snippet/built.json`` says from which versions. ``make test`` installs
UglifyJS first (``npm ci --prefix snippet``), so the rebuild test runs everywhere.
"""

from __future__ import annotations

import gzip
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
JS = ROOT / "static" / "js"
SNIPPET = ROOT / "snippet"
CORE_BUDGET = 1200
TOTAL_BUDGET = 5000


@pytest.fixture(scope="module")
def build():
    sys.path.insert(0, str(SNIPPET))
    try:
        import build
    finally:
        sys.path.pop(0)
    return build


def gz(path: Path) -> int:
    return len(gzip.compress(path.read_bytes(), compresslevel=9, mtime=0))


def dialogs() -> list[Path]:
    return sorted(JS.glob("errata-dialog.*.js"))


def test_loader_fits_its_budget():
    size = gz(JS / "errata.js")
    assert size <= CORE_BUDGET, f"errata.js is {size} B gzip -9, budget {CORE_BUDGET} B"


def test_loader_and_each_language_dialog_fit_the_total_budget(build):
    langs = build.languages()
    assert {p.name for p in dialogs()} == {f"errata-dialog.{lang}.js" for lang in langs}
    assert {"en", "ru"} <= set(langs)
    loader = gz(JS / "errata.js")
    for path in dialogs():
        total = loader + gz(path)
        assert total <= TOTAL_BUDGET, f"errata.js + {path.name}: {total} B, {TOTAL_BUDGET} B"


def test_served_files_are_built_from_the_current_sources():
    out = subprocess.run([sys.executable, str(SNIPPET / "build.py"), "--check"],
                         capture_output=True, text=True)
    assert out.returncode == 0, out.stdout + out.stderr


def test_rebuilding_gives_the_same_bytes(build):
    assert build.MINIFIER.exists() and shutil.which("node"), (
        "UglifyJS is missing: `make test` runs npm ci --prefix snippet")
    built = build.outputs()
    assert set(built) == {p.name for p in JS.glob("*.js")}
    for name, data in built.items():
        assert data == (JS / name).read_bytes(), f"{name} differs from its build"


def test_every_reader_string_is_translated_in_every_catalog(build):
    wanted = build.source_msgids()
    assert len(wanted) > 15
    for lang in build.languages():
        if lang == build.SOURCE_LANG:
            continue
        have = build.translations_for(lang)
        missing = [m for m in wanted if m not in have]
        assert not missing, f"{lang}/snippet.po: untranslated or fuzzy: {missing}"


def test_loader_carries_only_the_pre_load_strings_and_a_dialog_one_language(build):
    """Adding a language grows no reader's dialog download: each dialog holds one."""
    loader = (JS / "errata.js").read_text(encoding="utf-8")
    en, ru = ((JS / f"errata-dialog.{lang}.js").read_text(encoding="utf-8")
              for lang in ("en", "ru"))
    assert "Правильный текст" in ru and "Correct text" not in ru
    assert "Correct text" in en and "Правильный текст" not in en
    assert "Правильный текст" not in loader and "Correct text" not in loader
    assert "Выделите её" in loader and "Select it and" in loader
    legacy = (JS / "errata-dialog.js").read_text(encoding="utf-8")
    assert "Правильный текст" in legacy and "Correct text" in legacy


def test_snippet_files_are_plain_scripts_with_their_licence():
    for path in JS.glob("*.js"):
        text = path.read_text(encoding="utf-8")
        assert text.startswith("/*! Errata 0.1.0"), path.name
        assert "eval(" not in text and "new Function" not in text, path.name
        assert "L10N" not in text, path.name


def test_snippet_is_served_cacheable_and_cross_origin(client):
    for name in ("errata.js", "errata-dialog.ru.js", "errata-dialog.js"):
        resp = client.get(f"/static/js/{name}")
        assert resp.status_code == 200
        assert resp.headers["Access-Control-Allow-Origin"] == "*"
        assert "max-age=3600" in resp.headers["Cache-Control"]
        assert resp.headers["Cross-Origin-Resource-Policy"] == "cross-origin"
        resp.close()
