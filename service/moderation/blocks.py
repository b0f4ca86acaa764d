"""Blocks of a reader (their salted IP hash) on a site, set by an admin, honoured by ingest.

A block stops one reader, never a whole site: the only kind is "ip". (Origins are managed on
the site page; a removed origin is refused with a 403 the site's developers can see.)
A blocked reader's reports are answered 202 like a success and dropped, so a bot learns
nothing; each block counts the reports it stopped.

Ingest asks :func:`is_blocked` for every report, so the answer comes from a small
per-process copy of the active blocks, reloaded from the database at most every few
seconds (``ERRATA_BLOCK_CACHE_SECONDS``, default 5): one query per process per interval
rather than one per report. A block set or lifted in this process is seen at once; one set
elsewhere (another worker, another host, the CLI) within that interval.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import select, update
from sqlalchemy.orm import Session, selectinload

from service.caches import TTLCache, app_cache
from service.errors import FieldErrors
from service.i18n import _, ngettext
from service.models import Block, Editor, Event, Report, utcnow

KINDS = ("ip",)
MAX_HOURS = 24 * 365
MAX_REASON = 300
# What an admin may choose on the confirmation page, in hours.
DURATIONS = (1, 24, 24 * 7, 24 * 30)
DEFAULT_HOURS = 24


# IP hash -> [(block id, site_id or None for every site, until)]
Entries = dict[str, list[tuple[int, int | None, datetime]]]


def _cache() -> TTLCache[Entries]:
    return app_cache("errata_blocks", current_app.config["ERRATA_BLOCK_CACHE_SECONDS"])


def _load(session: Session) -> Entries:
    rows = session.execute(
        select(Block.id, Block.value, Block.site_id, Block.until)
        .where(Block.until > utcnow(), Block.kind == "ip"))
    entries: Entries = {}
    for block_id, value, site_id, until in rows:
        entries.setdefault(value, []).append((block_id, site_id, until))
    return entries


def is_blocked(session: Session, site_id: int,
               ip_hash: str | Iterable[str] | None) -> int | None:
    """The id of a block in force on this reader for this site, or None.

    ``ip_hash`` may be several hashes of one reader (``privacy.ip_hashes``): a block of any
    of them applies."""
    entries = _cache().get("active", lambda: _load(session))
    if ip_hash is None or not entries:
        return None
    now = utcnow()
    for value in (ip_hash,) if isinstance(ip_hash, str) else ip_hash:
        for block_id, block_site, until in entries.get(value, ()):
            if until > now and (block_site is None or block_site == site_id):
                return block_id
    return None


def count_stopped(session: Session, block_id: int) -> None:
    """One more report stopped by this block (ingest, in its own write). The caller commits."""
    session.execute(update(Block).where(Block.id == block_id)
                    .values(stopped=Block.stopped + 1))


def forget_cache() -> None:
    """Make the next :func:`is_blocked` in this process read the database again."""
    _cache().forget()


def block(session: Session, kind: str, value: str, site_id: int | None, hours: float,
          editor: Editor | None = None, reason: str = "",
          report: Report | None = None) -> Block:
    """Block a reader's IP hash (on one site, or on all when ``site_id`` is None).

    ``hours`` is how long the block lasts. The caller commits; this process sees the block
    from its next report, other processes within ``ERRATA_BLOCK_CACHE_SECONDS``.
    """
    errors: dict[str, str] = {}
    value = (value or "").strip()
    if kind not in KINDS:
        errors["kind"] = _("must be one of %(values)s", values=", ".join(KINDS))
    elif not value:
        errors["value"] = _("is required")
    elif len(value) > 64:
        errors["value"] = _("must be an IP hash as shown in the queue")
    try:
        hours = float(hours)
    except (TypeError, ValueError):
        hours = -1
    if not 0 < hours <= MAX_HOURS:
        errors["hours"] = _("must be between 0 and %(num)s", num=MAX_HOURS)
    reason = " ".join((reason or "").split())
    if len(reason) > MAX_REASON:
        errors["reason"] = ngettext("must be at most %(num)d character",
                                    "must be at most %(num)d characters", MAX_REASON)
    if errors:
        raise FieldErrors(errors)
    row = Block(kind=kind, value=value, site_id=site_id,
                until=utcnow() + timedelta(hours=hours), reason=reason,
                created_by_id=editor.id if editor is not None else None,
                report_id=report.id if report is not None else None)
    session.add(row)
    session.flush()
    forget_cache()
    return row


def block_reader(session: Session, editor: Editor, report: Report,
                 hours: float = DEFAULT_HOURS, reason: str = "") -> Block:
    """Stop new reports from the reader who sent ``report``, on its site, for ``hours``.

    Admins only (the caller checks who may see the correction). Writes an event on the
    correction, so its history says who blocked whom and for how long. The caller commits.
    """
    if not editor.is_admin:
        raise FieldErrors({"editor": _("Only admins can block readers.")})
    if not report.ip_hash:
        raise FieldErrors({"report": _("This report has nothing to block by.")})
    row = block(session, "ip", report.ip_hash, report.site_id, hours, editor,
                reason=reason, report=report)
    session.add(Event(correction_id=report.correction_id, editor_id=editor.id,
                      action="block_ip",
                      note=f"Blocked the reader of report #{report.id} for {_hours(hours)}"))
    session.flush()
    return row


def lift(session: Session, row: Block, editor: Editor | None = None) -> bool:
    """End a block now; False if it had already ended. The caller commits."""
    if row.until <= utcnow():
        return False
    row.until = utcnow()
    if row.report is not None:
        session.add(Event(correction_id=row.report.correction_id,
                          editor_id=editor.id if editor else None, action="unblock",
                          note=f"Lifted the block of the reader of report #{row.report.id}"))
    session.flush()
    forget_cache()
    return True


def active_blocks(session: Session, site_id: int | None = None) -> list[Block]:
    """Blocks still in force, newest first; those of one site plus the every-site ones."""
    stmt = (select(Block).where(Block.until > utcnow())
            .options(selectinload(Block.created_by), selectinload(Block.report))
            .order_by(Block.created_at.desc(), Block.id.desc()))
    if site_id is not None:
        stmt = stmt.where((Block.site_id == site_id) | (Block.site_id.is_(None)))
    return list(session.scalars(stmt))


def _hours(hours: float) -> str:
    hours = float(hours)
    if hours % 24 == 0:
        days = int(hours // 24)
        return f"{days} day{'s' if days != 1 else ''}"
    return f"{hours:g} h"
