"""The snippet's weight is a feature: ``make test`` fails when a budget is exceeded.

Budgets (gzip -9, what a reader's browser downloads): ``errata.js``, loaded on every page
view, <= 1,200 B; with ``errata-dialog.js`` (fetched on first use) <= 5,000 B. The served
files are built from ``snippet/*.js``; ``snippet/built.json`` says from which version.
"""

from __future__ import annotations

import gzip
import json
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


def gz(path: Path) -> int:
    return len(gzip.compress(path.read_bytes(), compresslevel=9, mtime=0))


def test_loader_fits_its_budget():
    size = gz(JS / "errata.js")
    assert size <= CORE_BUDGET, f"errata.js is {size} B gzip -9, budget {CORE_BUDGET} B"


def test_loader_and_dialog_fit_the_total_budget():
    sizes = {name: gz(JS / name) for name in ("errata.js", "errata-dialog.js")}
    assert sum(sizes.values()) <= TOTAL_BUDGET, f"{sizes}: total budget {TOTAL_BUDGET} B"


def test_served_files_are_built_from_the_current_sources():
    out = subprocess.run([sys.executable, str(SNIPPET / "build.py"), "--check"],
                         capture_output=True, text=True)
    assert out.returncode == 0, out.stdout + out.stderr


@pytest.mark.skipif(not (SNIPPET / "node_modules" / ".bin" / "terser").exists() or
                    not shutil.which("node"),
                    reason="terser not installed (npm ci --prefix snippet)")
def test_rebuilding_gives_the_same_bytes():
    sys.path.insert(0, str(SNIPPET))
    try:
        import build
    finally:
        sys.path.pop(0)
    for name in build.FILES:
        assert build.minify(name) == (JS / name).read_bytes(), f"{name} differs from its build"


def test_snippet_files_are_plain_scripts_with_their_licence():
    for name in ("errata.js", "errata-dialog.js"):
        text = (JS / name).read_text(encoding="utf-8")
        assert text.startswith("/*! Errata 0.1.0"), name
        assert "eval(" not in text and "new Function" not in text, name
    record = json.loads((SNIPPET / "built.json").read_text())
    assert set(record) == {"errata.js", "errata-dialog.js"}


def test_snippet_is_served_cacheable_and_cross_origin(client):
    resp = client.get("/static/js/errata.js")
    assert resp.status_code == 200
    assert resp.headers["Access-Control-Allow-Origin"] == "*"
    assert "max-age=3600" in resp.headers["Cache-Control"]
    assert resp.headers["Cross-Origin-Resource-Policy"] == "cross-origin"
    resp.close()
