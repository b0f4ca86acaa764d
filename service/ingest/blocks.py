"""Admin blocks of a reader's IP hash or of a page origin, honoured by ingest.

Ingest asks :func:`is_blocked` for every report, so the answer comes from a small
per-process copy of the active blocks, reloaded from the database at most every few
seconds (``ERRATA_BLOCK_CACHE_SECONDS``, default 5): one query per process per interval
rather than one per report. A block set in this process is seen at once; one set
elsewhere (another worker, another host, a row written directly) within that interval.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import Session

from service.caches import TTLCache, app_cache
from service.i18n import _
from service.ingest.urls import BadURL, normalize_origin
from service.models import Block, Editor, utcnow

KINDS = ("ip", "origin")
MAX_HOURS = 24 * 365


class BlockError(ValueError):
    def __init__(self, fields: dict[str, str]):
        super().__init__("; ".join(f"{k} {v}" for k, v in fields.items()))
        self.fields = fields


# (kind, value) -> [(site_id or None for every site, until)]
Entries = dict[tuple[str, str], list[tuple[int | None, datetime]]]


def _cache() -> TTLCache[Entries]:
    return app_cache("errata_blocks", current_app.config["ERRATA_BLOCK_CACHE_SECONDS"])


def _load(session: Session) -> Entries:
    rows = session.execute(
        select(Block.kind, Block.value, Block.site_id, Block.until).where(Block.until > utcnow())
    )
    entries: Entries = {}
    for kind, value, site_id, until in rows:
        entries.setdefault((kind, value), []).append((site_id, until))
    return entries


def is_blocked(session: Session, site_id: int, ip_hash: str | Iterable[str] | None,
               origin: str | None) -> bool:
    """Whether reports from this reader or page origin are blocked on this site.

    ``ip_hash`` may be several hashes of one reader (``privacy.ip_hashes``): a block of any
    of them applies."""
    entries = _cache().get("active", lambda: _load(session))
    if not entries:
        return False
    now = utcnow()
    hashes = (ip_hash,) if isinstance(ip_hash, str) or ip_hash is None else tuple(ip_hash)
    keys = [("ip", h) for h in hashes] + [("origin", origin)]
    for key in keys:
        if key[1] is None:
            continue
        for block_site, until in entries.get(key, ()):  # type: ignore[arg-type]
            if until > now and (block_site is None or block_site == site_id):
                return True
    return False


def forget_cache() -> None:
    """Make the next :func:`is_blocked` in this process read the database again."""
    _cache().forget()


def block(session: Session, kind: str, value: str, site_id: int | None, hours: float,
          editor: Editor | None = None, reason: str = "") -> Block:
    """Block an IP hash or an origin (on one site, or on all when ``site_id`` is None).

    ``hours`` is how long the block lasts. The caller commits; this process sees the block
    from its next report, other processes within ``ERRATA_BLOCK_CACHE_SECONDS``.
    """
    errors: dict[str, str] = {}
    value = (value or "").strip()
    if kind not in KINDS:
        errors["kind"] = _("must be one of %(values)s", values=", ".join(KINDS))
    elif not value:
        errors["value"] = _("is required")
    elif kind == "origin":
        try:
            value = normalize_origin(value)
        except BadURL as exc:
            errors["value"] = _("%(value)s %(problem)s", value=repr(value), problem=_(str(exc)))
    elif len(value) > 64:
        errors["value"] = _("must be an IP hash as shown in the queue")
    try:
        hours = float(hours)
    except (TypeError, ValueError):
        hours = -1
    if not 0 < hours <= MAX_HOURS:
        errors["hours"] = _("must be between 0 and %(num)s", num=MAX_HOURS)
    reason = " ".join((reason or "").split())
    if len(reason) > 300:
        errors["reason"] = _("must be at most %(num)d characters", num=300)
    if errors:
        raise BlockError(errors)
    row = Block(kind=kind, value=value, site_id=site_id,
                until=utcnow() + timedelta(hours=hours), reason=reason,
                created_by_id=editor.id if editor is not None else None)
    session.add(row)
    session.flush()
    forget_cache()
    return row


def lift(session: Session, row: Block) -> None:
    """End a block now. The caller commits."""
    row.until = utcnow()
    session.flush()
    forget_cache()


def active_blocks(session: Session, site_id: int | None = None) -> list[Block]:
    """Blocks still in force, newest first; those of one site plus the global ones."""
    stmt = select(Block).where(Block.until > utcnow()).order_by(Block.created_at.desc())
    if site_id is not None:
        stmt = stmt.where((Block.site_id == site_id) | (Block.site_id.is_(None)))
    return list(session.scalars(stmt))
