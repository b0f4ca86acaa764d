"""The `errata` command: clear one-line errors, never a traceback."""

import json
from pathlib import Path

import pytest
from sqlalchemy import select

from service.extensions import db
from service.models import Editor, Site


def test_site_add_prints_key_and_embed_code(app, runner):
    result = runner.invoke(args=[
        "site", "add", "Daily News", "--origin", "https://Daily.Example/",
        "--origin", "https://m.daily.example", "--notify", "ed@daily.example",
    ])
    assert result.exit_code == 0, result.output
    with app.app_context():
        site = db.session.scalar(select(Site))
        assert site.origins == ["https://daily.example", "https://m.daily.example"]
        assert site.notify_emails == ["ed@daily.example"]
    assert f"Key: {site.key}" in result.output
    assert f'src="http://errata.test/static/js/errata.js" data-site="{site.key}"' in result.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["site", "add", "X", "--origin", "ftp://x.example"], "must be an http or https address"),
        (["site", "add", "X", "--origin", "https://x.example/path"], "without a path"),
        (["site", "add", "  ", "--origin", "https://x.example"], "name is required"),
        (["site", "add", "X", "--origin", "https://x.example", "--notify", "nope"],
         "is not a valid email address"),
        (["site", "edit", "missing-key", "--name", "Y"], "no site with key 'missing-key'"),
        (["user", "add", "not-an-email", "--password", "long enough password"],
         "email is not a valid email address"),
        (["user", "add", "a@b.example", "--password", "short"],
         "password must be at least 10 characters"),
        (["user", "add", "a@b.example", "--password", "long enough password", "--site", "nope"],
         "no site with key 'nope'"),
    ],
)
def test_errors_are_one_clear_line(runner, args, message):
    result = runner.invoke(args=args)
    assert result.exit_code != 0
    assert message in result.output
    assert "Traceback" not in result.output
    assert len(result.output.strip().splitlines()) == 1


def test_site_edit_changes_limits_and_state(app, runner, factory):
    site = factory.site()
    result = runner.invoke(args=["site", "edit", site.key, "--limit-site", "5000/hour",
                                 "--inactive"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        changed = db.session.get(Site, site.id)
        assert (changed.limit_site, changed.active) == ("5000/hour", False)
    bad = runner.invoke(args=["site", "edit", site.key, "--limit-site", "lots"])
    assert bad.exit_code != 0 and "limit site must be in the form" in bad.output


def test_site_list(runner, factory):
    site = factory.site(name="Listed")
    result = runner.invoke(args=["site", "list"])
    assert site.key in result.output and "Listed" in result.output


def test_user_add_with_sites_and_prompted_password(app, runner, factory):
    site = factory.site()
    result = runner.invoke(args=["user", "add", "Ed@News.Example", "--site", site.key],
                           input="a long password\na long password\n")
    assert result.exit_code == 0, result.output
    with app.app_context():
        editor = db.session.scalar(select(Editor))
        assert editor.email == "ed@news.example"
        assert [s.id for s in editor.sites] == [site.id]
        assert "a long password" not in editor.password_hash
    dup = runner.invoke(args=["user", "add", "ED@news.example", "--password", "another password"])
    assert dup.exit_code != 0 and "already used" in dup.output


def test_demo_is_idempotent_and_prints_the_same_password(app, runner):
    first = runner.invoke(args=["demo"])
    second = runner.invoke(args=["demo"])
    assert first.exit_code == 0 and second.exit_code == 0, first.output + second.output
    line = [x for x in first.output.splitlines() if "Demo editor" in x][0]
    assert line in second.output
    password = line.rsplit(" / ", 1)[1]
    with app.app_context():
        assert len(db.session.scalars(select(Site)).all()) == 1
        site = db.session.scalar(select(Site))
        assert site.key == "demo"
        assert "http://127.0.0.1:5000" in site.origins
        editor = db.session.scalar(select(Editor))
        assert editor.is_admin and [s.key for s in editor.sites] == ["demo"]
    stored = json.loads((Path(app.instance_path) / "demo.json").read_text())
    assert stored["password"] == password


def test_database_errors_are_explained(tmp_path):
    from service import create_app

    app = create_app({"TESTING": True, "SECRET_KEY": "x", "ERRATA_IP_SALT": "y",
                      "INSTANCE_PATH": str(tmp_path),
                      "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/empty.db"})
    from service.cli import cli

    result = app.test_cli_runner().invoke(cli, args=["site", "list"])
    assert result.exit_code != 0
    assert "errata db upgrade" in result.output
    assert "Traceback" not in result.output


def test_site_keys_never_start_like_an_option():
    from service.sites.core import new_key

    keys = [new_key() for _ in range(2000)]
    assert all(k[0].isalnum() for k in keys)
    assert len(set(keys)) == len(keys)


def test_site_edit_works_with_any_key(app, runner, factory):
    site = factory.site()
    with app.app_context():
        from service.models import Site as SiteRow

        db.session.get(SiteRow, site.id).key = "-dash-first"
        db.session.commit()
    result = runner.invoke(args=["site", "edit", "--name", "Renamed", "--", "-dash-first"])
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize("env, url", [({}, "http://127.0.0.1:5000"),
                                      ({"PORT": ""}, "http://127.0.0.1:5000"),
                                      ({"PORT": "5101"}, "http://127.0.0.1:5101")])
def test_the_default_base_url_follows_port(env, url):
    from service.config import local_base_url

    assert local_base_url(env) == url


@pytest.mark.parametrize("bad", ["abc", "0", "65536", "-1", "٥١٠١", "5101.0", "9" * 40])
def test_a_bad_port_is_named(bad):
    from service.config import ConfigError, local_port

    with pytest.raises(ConfigError, match="PORT=.* is not valid"):
        local_port({"PORT": bad})


def test_a_bad_port_stops_every_command_with_one_line(tmp_path):
    import os
    import subprocess
    import sys

    env = {**os.environ, "PORT": "50OO", "ERRATA_INSTANCE_PATH": str(tmp_path)}
    out = subprocess.run([sys.executable, "-m", "service.cli", "site", "list"], env=env,
                         cwd=Path(__file__).resolve().parent.parent, capture_output=True,
                         text=True, timeout=60)
    assert out.returncode == 1
    assert out.stderr.strip() == "Error: PORT='50OO' is not valid: must be a whole number"
