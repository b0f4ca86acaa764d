"""``errata token``: API tokens for newsroom tools (add, list, revoke)."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from service.api.tokens import create_token, revoke, site_tokens
from service.errors import FieldErrors
from service.extensions import db
from service.sites.core import site_by_key


@click.group("token")
def token_group() -> None:
    """API tokens: each reads and closes one site's corrections (docs/api.md)."""


def _site(key: str):
    site = site_by_key(db.session, key)
    if site is None:
        raise click.ClickException(f"there is no site with the key {key!r}")
    return site


@token_group.command("add")
@click.option("--site", "site_key", required=True, help="The site's key.")
@click.option("--name", required=True, help="Who uses it, e.g. “CMS sync”; shown in history.")
@with_appcontext
def add(site_key: str, name: str) -> None:
    """Create a token; it is printed once, alone on the last line."""
    site = _site(site_key)
    try:
        token, raw = create_token(db.session, site, name)
    except FieldErrors as exc:
        raise click.ClickException(str(exc)) from None
    db.session.commit()
    click.echo(f"Token #{token.id} “{token.name}” for {site.name}. It is shown only now; "
               "store it where your tool reads its secrets:")
    click.echo(raw)


@token_group.command("list")
@click.option("--site", "site_key", required=True, help="The site's key.")
@with_appcontext
def list_(site_key: str) -> None:
    """One line per token: id, name, created, last used."""
    site = _site(site_key)
    for t in site_tokens(db.session, site.id):
        used = t.last_used_at.strftime("%Y-%m-%d %H:%M UTC") if t.last_used_at else "never used"
        click.echo(f"{t.id}\t{t.name}\t{t.hint}…\tcreated {t.created_at:%Y-%m-%d %H:%M UTC}"
                   f"\t{used}")


@token_group.command("revoke")
@click.argument("token_id", type=click.IntRange(1, 2**31 - 1))
@with_appcontext
def revoke_(token_id: int) -> None:
    """Revoke a token by its id (from `errata token list`); it stops working at once."""
    token = revoke(db.session, token_id)
    if token is None:
        raise click.ClickException(f"there is no token #{token_id}")
    db.session.commit()
    click.echo(f"Token #{token_id} “{token.name}” revoked.")
