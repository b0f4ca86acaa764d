"""`pip install .` elsewhere works: the wheel carries static/, templates/ and migrations/."""

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(out), str(ROOT)],
        check=True, capture_output=True,
    )
    (path,) = out.glob("errata-*.whl")
    return path


def test_wheel_contains_assets_and_migrations(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    for expected in ["service/__init__.py", "service/static/js/errata.js",
                     "service/templates/base.html", "service/migrations/env.py",
                     "service/migrations/versions/0001_initial_schema.py",
                     "service/demo/seed-article.html", "service/demo/article-ru.html",
                     "service/translations/ru/LC_MESSAGES/messages.po"]:
        assert expected in names, f"{expected} missing from the wheel"
    entry_points = [n for n in names if n.endswith("entry_points.txt")]
    text = zipfile.ZipFile(wheel).read(entry_points[0]).decode()
    assert "errata = service.cli:main" in text


def test_installed_package_finds_its_own_assets(wheel, tmp_path):
    zipfile.ZipFile(wheel).extractall(tmp_path)
    code = ("import service, sys; "
            "print(service.asset_dir('static')); print(service.asset_dir('migrations'))")
    out = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, check=True,
                         capture_output=True, text=True,
                         env={"PYTHONPATH": str(tmp_path), "PATH": "/usr/bin:/bin"}).stdout
    static, migrations = out.split()
    assert static == str(tmp_path / "service" / "static")
    assert migrations == str(tmp_path / "service" / "migrations")
