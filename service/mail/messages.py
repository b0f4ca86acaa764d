"""Email is data: a message is rendered from templates into a small object, then written to
the outbox in the caller's transaction. Sending is a separate, retried step (``sender.py``).

Templates live in ``templates/mail/<name>/`` as ``subject.txt``, ``body.txt`` and
``body.html``. Jinja escapes the ``.html`` part (autoescape by file extension) and leaves
the text part as text, so reader-supplied strings can't inject markup into either.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from flask import current_app, render_template
from sqlalchemy.orm import Session

from service.i18n import speaking
from service.models import OutboxMail, utcnow


@dataclass(frozen=True)
class MailMessage:
    template: str
    recipient: str
    subject: str
    text: str
    html: str
    headers: dict[str, str] = field(default_factory=dict)


def base_url() -> str:
    return str(current_app.config["ERRATA_BASE_URL"]).rstrip("/")


def absolute(path: str) -> str:
    """A link for a mail: mails are read outside the app, so every link is absolute."""
    return base_url() + path


def link(endpoint: str, **values) -> str:
    """An absolute link to one of our pages; works in a request and in the sender alike
    (``url_for`` needs a request or SERVER_NAME, which a background sender has neither)."""
    path = current_app.url_map.bind("errata.invalid").build(endpoint, values)
    return absolute(path)


def one_line(text: str, limit: int = 300) -> str:
    """Header values are one line: no CR/LF can smuggle in another header."""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def render(name: str, recipient: str, *, reply_to: str | None = None,
           unsubscribe_url: str | None = None, language: str | None = None,
           timezone: str | None = None, **context) -> MailMessage:
    """Render ``templates/mail/<name>/`` for ``recipient`` into a :class:`MailMessage`, in
    the recipient's ``language`` and ``timezone`` (when not given: the current page's, or
    the service's defaults outside a request)."""
    context.update(recipient=recipient, base_url=base_url(), unsubscribe_url=unsubscribe_url)
    with speaking(language, timezone):
        subject = one_line(render_template(f"mail/{name}/subject.txt", **context))
        text = render_template(f"mail/{name}/body.txt", **context).strip() + "\n"
        html = render_template(f"mail/{name}/body.html", subject=subject, **context)
    headers: dict[str, str] = {}
    if reply_to:
        headers["Reply-To"] = one_line(reply_to, 254)
    if unsubscribe_url:
        # RFC 2369 and RFC 8058: mail clients show an "Unsubscribe" button that POSTs here.
        headers["List-Unsubscribe"] = f"<{unsubscribe_url}>"
        headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    return MailMessage(template=name, recipient=recipient, subject=subject, text=text,
                       html=html, headers=headers)


def enqueue(session: Session, message: MailMessage, *, due: datetime | None = None) -> OutboxMail:
    """Write ``message`` to the outbox (status pending). The caller commits."""
    row = OutboxMail(
        template=message.template,
        recipient=message.recipient,
        subject=message.subject,
        body_text=message.text,
        body_html=message.html,
        headers=dict(message.headers),
        status="pending",
        attempts=0,
        next_attempt_at=due or utcnow(),
    )
    session.add(row)
    return row
