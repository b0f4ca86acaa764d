"""The ``errata`` command: database, sites, users, the demo and the server."""

from __future__ import annotations

import json
import os
import secrets
import signal
import subprocess
import sys
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import FlaskGroup, with_appcontext
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from service.accounts.core import create_editor, editor_by_email, set_password
from service.api.cli import token_group
from service.channels.cli import channel_group
from service.config import ConfigError, local_port
from service.errors import FieldErrors
from service.extensions import db
from service.mail.cli import mail_group
from service.models import Site, utcnow
from service.moderation.cli import block_group
from service.pagecheck import cli as pagecheck_cli
from service.sites.core import apply_changes, create_site, embed_code, site_by_key

DEMO_KEY = "demo"
# `errata run`'s mail timings (docs/mail.md): settle 5 s, undo window for "Fixed" 10 s.
DEV_MAIL_TIMINGS = {"ERRATA_MAIL_SETTLE_SECONDS": "5", "ERRATA_MAIL_THANKS_DELAY_SECONDS": "10"}
DEMO_EMAIL = "demo@errata.example"


class ErrataGroup(FlaskGroup):
    """Turns the errors people can cause into one clear line and exit status 1."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except FieldErrors as exc:
            raise click.ClickException(_fields_sentence(exc.fields)) from None
        except SQLAlchemyError as exc:
            msg = str(exc.orig if getattr(exc, "orig", None) else exc).splitlines()[0]
            raise click.ClickException(
                f"database error: {msg} (is the database reachable and upgraded? "
                "run `errata db upgrade`)"
            ) from None


def _fields_sentence(fields: dict[str, str]) -> str:
    """"email is not valid; role must be admin or editor": a fragment after its field's name,
    a whole sentence (capitalised) as it is."""
    return "; ".join(v if v[:1].isupper() else f"{k.replace('_', ' ')} {v}"
                     for k, v in fields.items())


def _create_app(*_args) -> Flask:
    from service import create_app

    try:
        return create_app()
    except ConfigError as exc:  # a setting in the environment that can't be used
        raise click.ClickException(str(exc)) from None


@click.group(cls=ErrataGroup, create_app=_create_app, add_default_commands=False,
             add_version_option=False)
def cli() -> None:
    """Errata: reader error reports for news sites."""


cli.add_command(mail_group)
cli.add_command(channel_group)
cli.add_command(pagecheck_cli.check)
cli.add_command(token_group)
cli.add_command(block_group)


def main() -> None:
    cli(prog_name="errata")


def register_cli(app: Flask) -> None:
    """Also expose the commands under ``flask`` (and to app.test_cli_runner in tests)."""
    for name, command in cli.commands.items():
        app.cli.add_command(command, name)


# -- database ---------------------------------------------------------------------------------

@cli.group("db")
def db_group() -> None:
    """Database schema (Alembic migrations)."""


@db_group.command("upgrade")
@click.option("--revision", default="head", show_default=True)
@with_appcontext
def db_upgrade(revision: str) -> None:
    """Create the database or bring it up to date."""
    from service.migrate import upgrade

    upgrade(current_app._get_current_object(), revision)  # type: ignore[attr-defined]
    click.echo("Database is up to date.")


@db_group.command("current")
@with_appcontext
def db_current() -> None:
    """Show the schema revision of the database."""
    from service.migrate import current_revision, head_revision

    app = current_app._get_current_object()  # type: ignore[attr-defined]
    click.echo(f"database: {current_revision(app) or 'empty'}; code: {head_revision(app)}")


# -- sites ------------------------------------------------------------------------------------

@cli.group("site")
def site_group() -> None:
    """Sites that embed the snippet."""


@site_group.command("add")
@click.argument("name")
@click.option("--origin", "origins", multiple=True, required=True,
              help="Allowed page origin, e.g. https://news.example (repeatable).")
@click.option("--notify", "notify", multiple=True, help="Address told about new reports.")
@click.option("--lang", default="en", show_default=True, help="Default language: en or ru.")
@with_appcontext
def site_add(name: str, origins: tuple[str, ...], notify: tuple[str, ...], lang: str) -> None:
    """Add a site; prints its key and the line to paste into its pages."""
    site = create_site(db.session, name, origins, notify, lang)
    db.session.commit()
    click.echo(f"Site {site.name!r} added. Key: {site.key}")
    click.echo("Paste this line before </body> on every page:")
    click.echo("  " + embed_code(site))
    from service.sites.snippet import integrity

    sri = integrity()
    if sri:
        click.echo(f"Optional Subresource Integrity (add to the tag): integrity=\"{sri}\" "
                   'crossorigin="anonymous"')


@site_group.command("list")
@with_appcontext
def site_list() -> None:
    """List sites with their keys and origins."""
    sites = db.session.scalars(select(Site).order_by(Site.name)).all()
    if not sites:
        click.echo("No sites yet. Add one with: errata site add NAME --origin https://…")
    for site in sites:
        state = "active" if site.active else "inactive"
        click.echo(f"{site.key}\t{site.name}\t{state}\t{' '.join(site.origins)}")


@site_group.command("edit")
@click.argument("key")
@click.option("--name")
@click.option("--origin", "origins", multiple=True, help="Replaces the allowed origins.")
@click.option("--notify", "notify", multiple=True, help="Replaces the notification addresses.")
@click.option("--lang")
@click.option("--active/--inactive", default=None)
@click.option("--limit-reader", help='Per-reader limit, e.g. "10/5 minutes;50/day"; "" = default.')
@click.option("--limit-site", help='Per-site limit, e.g. "5000/hour"; "" = default.')
@click.option("--public-log/--no-public-log", default=None,
              help="Publish the fixed corrections at /p/KEY/corrections (or stop).")
@with_appcontext
def site_edit(key: str, name, origins, notify, lang, active, limit_reader, limit_site,
              public_log) -> None:
    """Change a site."""
    site = site_by_key(db.session, key)
    if site is None:
        raise click.ClickException(f"no site with key {key!r} (see `errata site list`)")
    apply_changes(site, name=name, origins=origins or None, notify_emails=notify or None,
                  default_lang=lang, active=active, limit_reader=limit_reader,
                  limit_site=limit_site, public_log=public_log)
    db.session.commit()
    click.echo(f"Site {site.name!r} updated.")


# -- users ------------------------------------------------------------------------------------

@cli.group("user")
def user_group() -> None:
    """Editors and admins."""


@user_group.command("add")
@click.argument("email")
@click.option("--role", type=click.Choice(["admin", "editor"]), default="editor",
              show_default=True)
@click.option("--site", "site_keys", multiple=True, help="Key of a site the editor sees.")
@click.option("--name", "display_name", default="")
@click.option("--password", help="Prompted for when not given.")
@with_appcontext
def user_add(email: str, role: str, site_keys: tuple[str, ...], display_name: str,
             password: str | None) -> None:
    """Add an editor or admin."""
    sites = []
    for key in site_keys:
        site = site_by_key(db.session, key)
        if site is None:
            raise click.ClickException(f"no site with key {key!r} (see `errata site list`)")
        sites.append(site)
    if password is None:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    editor = create_editor(db.session, email, role=role, password=password,
                           display_name=display_name, sites=sites)
    db.session.commit()
    click.echo(f"{editor.role.capitalize()} {editor.email} added.")


# -- demo and server --------------------------------------------------------------------------

def ensure_demo(port: int) -> tuple[Site, str, str]:
    """The demo site, article and editor; creating what is missing. Returns the password."""
    origins = [f"http://127.0.0.1:{port}", f"http://localhost:{port}"]
    site = site_by_key(db.session, DEMO_KEY)
    if site is None:
        site = create_site(db.session, "Demo: Belarus Today", origins, [DEMO_EMAIL], "en")
        site.key = DEMO_KEY
    else:
        apply_changes(site, origins=sorted(set(site.origins) | set(origins)))
    secrets_file = Path(current_app.instance_path) / "demo.json"
    stored = json.loads(secrets_file.read_text()) if secrets_file.exists() else {}
    editor = editor_by_email(db.session, DEMO_EMAIL)
    password = stored.get("password")
    if editor is None or not password:
        password = secrets.token_urlsafe(9)
        if editor is None:
            editor = create_editor(db.session, DEMO_EMAIL, role="admin", password=password,
                                   display_name="Demo Editor", sites=[site])
        else:
            set_password(editor, password)
        secrets_file.write_text(json.dumps({"password": password}))
        os.chmod(secrets_file, 0o600)
    if site not in editor.sites:
        editor.sites.append(site)
    db.session.commit()
    return site, DEMO_EMAIL, password


@cli.command("demo")
@click.option("--port", type=click.IntRange(1, 65535), default=lambda: local_port(),
              help="Default: $PORT, else 5000.")
@with_appcontext
def demo(port: int) -> None:
    """Create (or refresh) the demo site, article and editor. Safe to run again."""
    _site, email, password = ensure_demo(port)
    base = f"http://127.0.0.1:{port}"
    click.echo("Demo ready.")
    click.echo(f"  Article with the snippet: {base}/demo")
    click.echo(f"  The same in Russian:      {base}/demo/ru")
    click.echo(f"  Editors' queue:           {base}/queue")
    click.echo(f"  Demo editor:              {email} / {password}")


@cli.command("run")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", type=click.IntRange(1, 65535), default=lambda: local_port(),
              help="Default: $PORT, else 5000.")
@click.option("--with-mail-sender", is_flag=True,
              help="Also run `errata mail send --loop` in the background.")
def run(host: str, port: int, with_mail_sender: bool) -> None:
    """Serve Errata (a development server; use gunicorn in production)."""
    from werkzeug.serving import run_simple

    from service import create_app

    # The app, the mail sender below and their links (ERRATA_BASE_URL's default) all
    # follow the port actually served.
    os.environ["PORT"] = str(port)
    # The development server is for trying Errata: mail within seconds rather than after
    # production's settle time and undo window, unless they are set. The web process sets a
    # thank-you's due time and the sender the settle time, so both get the same values.
    for name, value in DEV_MAIL_TIMINGS.items():
        os.environ.setdefault(name, value)
    app = create_app()
    sender = None
    if with_mail_sender:
        sender = subprocess.Popen([sys.executable, "-m", "service.cli", "mail", "send", "--loop"],
                                  env=dict(os.environ))

    def _terminate(_signum, _frame):
        raise SystemExit(0)  # unwinds through the finally below, which stops the sender

    signal.signal(signal.SIGTERM, _terminate)
    click.echo(f"Errata is serving on http://{host}:{port}  (Ctrl+C to stop)")
    try:
        run_simple(host, port, app, threaded=True, use_reloader=False)
    finally:
        if sender is not None:
            sender.terminate()  # it finishes the mail in flight and exits
            try:
                sender.wait(30)
            except subprocess.TimeoutExpired:
                sender.kill()


# -- privacy ----------------------------------------------------------------------------------

@cli.command("purge")
@click.option("--older-than", "older_than", metavar="AGE",
              help="Age like 90d, 12w or 36h (default: ERRATA_PURGE_DAYS days).")
@with_appcontext
def purge(older_than: str | None) -> None:
    """Erase reader emails, IP hashes and user agents from old reports (corrections stay)."""
    from datetime import timedelta

    from service.mail.sender import purge_mail
    from service.privacy import parse_age, purge_reader_data

    if older_than:
        try:
            age = parse_age(older_than)
        except ValueError as exc:
            raise click.BadParameter(str(exc), param_hint="--older-than") from None
    else:
        days = current_app.config["ERRATA_PURGE_DAYS"]
        if days <= 0:
            raise click.UsageError("say how old, e.g. --older-than 90d "
                                   "(or set ERRATA_PURGE_DAYS)")
        age = timedelta(days=days)
    count = purge_reader_data(db.session, age)
    mails = purge_mail(db.session, utcnow() - age, ("sent", "failed"))
    db.session.commit()
    click.echo(f"Erased reader data from {count} report(s) older than {_age_words(age)}; "
               f"deleted {mails} delivered mail(s).")


def _age_words(age) -> str:
    if age.days and not age.seconds:
        return f"{age.days} day{'s' if age.days != 1 else ''}"
    hours = int(age.total_seconds() // 3600)
    return f"{hours} hour{'s' if hours != 1 else ''}"


if __name__ == "__main__":
    main()
