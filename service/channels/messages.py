"""What a batch of events looks like in Slack/Mattermost and in Telegram.

Readers wrote the quotes and suggestions, so every piece of their text is escaped for the
format it lands in: Slack's ``&``, ``<``, ``>`` (no ``<!channel>`` from a reader) and an
inline code span (no Markdown, no ``@channel`` in Mattermost); Telegram's HTML parse mode
(``html.escape``). No reader name, email, comment or IP hash is ever in a message.
"""

from __future__ import annotations

import html
import json
from typing import Any
from urllib.parse import quote

from service.i18n import _, lazy_gettext, ngettext
from service.ingest.urls import link_on
from service.mail.messages import absolute
from service.models import Site

LIST_LIMIT = 20
TELEGRAM_LIMIT = 4096
SNIPPET = 120
VERB = {"fixed": lazy_gettext("marked fixed"),
        "rejected": lazy_gettext("marked not an error"),
        "spam": lazy_gettext("marked spam"),
        "new": lazy_gettext("reopened"),
        "in_progress": lazy_gettext("in progress")}


def _verb(status: str) -> str:
    return str(VERB.get(status, status))


def _short(text: str | None, limit: int = SNIPPET) -> str:
    flat = " ".join((text or "").split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def _slack_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _slack_code(text: str) -> str:
    # A backtick would end the code span; U+02CB looks alike and can't.
    return "`" + _slack_escape(_short(text).replace("`", "ˋ")) + "`" if text else "(none)"


def _slack_link(url: str, text: str) -> str:
    safe = quote(url, safe=":/?#[]@!$&'()*+,;=%~")
    return f"<{safe}|{_slack_escape(_short(text, 80)).replace('|', '¦')}>"


def _page(url: str | None, site: Site | None) -> str:
    """The article's address as a link only when it is a page of the site (as on pages)."""
    return link_on(url, site.origins) if site is not None else ""


def _lines(events: list[dict[str, Any]]) -> tuple[list[dict], list[dict]]:
    created = [e["correction"] for e in events if e.get("type") == "correction.created"]
    changed = [e["correction"] for e in events if e.get("type") == "correction.status_changed"]
    return created, changed


def _headline(site: Site | None, created: list, changed: list, test: bool) -> str:
    name = site.name if site is not None else "Errata"
    if test:
        return _("Errata · %(site)s: a test message. This channel is set up.", site=name)
    parts = []
    if created:
        parts.append(ngettext("%(num)d new correction", "%(num)d new corrections",
                              len(created)))
    if changed:
        parts.append(ngettext("%(num)d status change", "%(num)d status changes", len(changed)))
    return _("Errata · %(site)s: %(news)s", site=name, news=", ".join(parts))


def slack_text(site: Site | None, events: list[dict[str, Any]], test: bool = False) -> str:
    created, changed = _lines(events)
    lines = [_slack_escape(_headline(site, created, changed, test))]
    for c in created[:LIST_LIMIT]:
        lines.append(f"• #{c['id']} {_slack_code(c['exact'])} → {_slack_code(c['suggestion'])}"
                     f" ({_slack_escape(c['kind'])})")
        links = [_slack_link(absolute(f"/queue/{c['id']}"), _("open in Errata"))]
        if page := _page(c.get("url"), site):
            links.append(_slack_link(page, c.get("title") or c["url"]))
        lines.append("   " + " · ".join(links))
    for c in changed[:LIST_LIMIT]:
        lines.append(f"• {_slack_link(absolute('/queue/' + str(c['id'])), '#' + str(c['id']))}"
                     f" {_slack_code(c['exact'])} {_verb(c['status'])}")
    more = max(0, len(created) - LIST_LIMIT) + max(0, len(changed) - LIST_LIMIT)
    if more and site is not None:
        queue = _slack_link(absolute(f"/queue?site={site.id}"), _("the queue"))
        lines.append(_slack_escape(_("…and %(num)d more:", num=more)) + " " + queue)
    return "\n".join(lines)


def _tg_link(url: str, text: str) -> str:
    return f'<a href="{html.escape(url)}">{html.escape(_short(text, 80))}</a>'


def telegram_text(site: Site | None, events: list[dict[str, Any]], test: bool = False) -> str:
    created, changed = _lines(events)
    lines = [f"<b>{html.escape(_headline(site, created, changed, test))}</b>"]
    for c in created[:LIST_LIMIT]:
        suggestion = html.escape(_short(c["suggestion"])) if c["suggestion"] else "—"
        lines.append(f"#{c['id']} «{html.escape(_short(c['exact']))}» → «{suggestion}»")
        links = [_tg_link(absolute(f"/queue/{c['id']}"), _("Open in Errata"))]
        if page := _page(c.get("url"), site):
            links.append(_tg_link(page, c.get("title") or c["url"]))
        lines.append(" · ".join(links))
    for c in changed[:LIST_LIMIT]:
        lines.append(f"{_tg_link(absolute('/queue/' + str(c['id'])), '#' + str(c['id']))} "
                     f"«{html.escape(_short(c['exact']))}» "
                     f"{html.escape(_verb(c['status']))}")
    more = max(0, len(created) - LIST_LIMIT) + max(0, len(changed) - LIST_LIMIT)
    if more and site is not None:
        lines.append(html.escape(_("…and %(num)d more:", num=more)) + " "
                     + _tg_link(absolute(f"/queue?site={site.id}"), _("the queue")))
    text = "\n".join(lines)
    while len(text) > TELEGRAM_LIMIT and len(lines) > 2:
        # Drop whole lines (never cut inside a tag) until the message fits.
        lines.pop(-2)
        text = "\n".join(lines)
    return text


def chat_message(kind: str, site: Site | None, events: list[dict[str, Any]],
                 test: bool = False) -> tuple[str, str]:
    """(a one-line subject for the Outbox, the body as the outbox stores it)."""
    created, changed = _lines(events)
    subject = _headline(site, created, changed, test)
    if kind == "slack":
        return subject, json.dumps({"text": slack_text(site, events, test)}, ensure_ascii=False)
    return subject, telegram_text(site, events, test)
