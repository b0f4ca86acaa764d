"""``errata channel``: add, list, test and remove a site's channels.

A Telegram bot token is read from a file (``--token-file``) or a hidden prompt, never from
the command line, where ``ps`` and shell history would keep it.
"""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import with_appcontext

from service.channels.core import KINDS, add_channel, label, send, site_channels
from service.channels.events import test_message
from service.channels.http import DeliveryError
from service.extensions import db
from service.models import Channel
from service.sites.core import site_by_key


@click.group("channel")
def channel_group() -> None:
    """Channels: webhooks, Slack/Mattermost and Telegram, per site."""


def _site(key: str):
    site = site_by_key(db.session, key)
    if site is None:
        raise click.ClickException(f"no site with key {key!r} (see `errata site list`)")
    return site


def _channel(channel_id: int) -> Channel:
    channel = db.session.get(Channel, channel_id) if 0 < channel_id < 2**31 else None
    if channel is None:
        raise click.ClickException(f"no channel #{channel_id} (see `errata channel list`)")
    return channel


@channel_group.command("add")
@click.option("--site", "site_key", required=True, help="Key of the site.")
@click.argument("kind", type=click.Choice(KINDS))
@click.argument("url", required=False, default="")
@click.option("--chat", "chat_id", default="", help="Telegram: the chat id (or @channel).")
@click.option("--token-file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Telegram: a file holding the bot token (else you are asked for it).")
@with_appcontext
def channel_add(site_key: str, kind: str, url: str, chat_id: str,
                token_file: Path | None) -> None:
    """Add a channel: `webhook URL`, `slack URL` or `telegram --chat ID`.

    A webhook's signing secret is printed alone on the last line, once.
    """
    site = _site(site_key)
    token = ""
    if kind == "telegram":
        if url:
            raise click.UsageError("telegram takes --chat and --token-file, not a URL")
        if not chat_id:
            raise click.UsageError("telegram needs --chat CHAT_ID")
        if token_file is not None:
            token = token_file.read_text(encoding="utf-8", errors="replace").strip()
        else:
            token = click.prompt("Bot token", hide_input=True, err=True).strip()
    elif not url:
        raise click.UsageError(f"{kind} needs the URL to post to")
    channel = add_channel(db.session, site, kind, url=url, chat_id=chat_id, token=token)
    db.session.commit()
    click.echo(f"Channel #{channel.id} added to {site.name}: {label(channel)}")
    if kind == "webhook":
        click.echo("Signing secret (shown only now; keep it with the receiver):")
        click.echo(channel.secret)


@channel_group.command("list")
@click.option("--site", "site_key", help="Only this site's channels.")
@with_appcontext
def channel_list(site_key: str | None) -> None:
    """One line per channel: id, site key, kind, where it posts (no secrets)."""
    site_id = _site(site_key).id if site_key else None
    channels = site_channels(db.session, site_id)
    if not channels:
        click.echo("No channels. Add one with: errata channel add --site KEY webhook URL")
    for channel in channels:
        click.echo(f"{channel.id}\t{channel.site.key}\t{channel.kind}\t{label(channel)}")


@channel_group.command("remove")
@click.argument("channel_id", type=int)
@with_appcontext
def channel_remove(channel_id: int) -> None:
    """Remove a channel; its undelivered messages go with it."""
    channel = _channel(channel_id)
    name = label(channel)
    db.session.delete(channel)
    db.session.commit()
    click.echo(f"Channel #{channel_id} removed ({name}).")


@channel_group.command("test")
@click.argument("channel_id", type=int)
@with_appcontext
def channel_test(channel_id: int) -> None:
    """Send a test message now and say how it went."""
    channel = _channel(channel_id)
    try:
        reply = send(channel, test_message(channel, channel.site))
    except DeliveryError as exc:
        raise click.ClickException(f"test message to #{channel_id} failed: {exc}") from None
    click.echo(f"Test message delivered to #{channel_id} ({label(channel)}): "
               f"HTTP {reply.status}.")
