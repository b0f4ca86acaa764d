"""Liveness of the background loops: each records a heartbeat per round; /healthz shows them.

A loop whose last heartbeat is older than ``STALE_AFTER`` is reported as stale, so a dead
mail sender or page checker is noticed by whoever watches /healthz.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from service.api.serialize import iso
from service.extensions import begin_write
from service.models import Heartbeat, utcnow

STALE_AFTER = timedelta(minutes=2)
# The loops /healthz expects, and what to call them.
LOOPS = {"mail": "mail sender", "page_checks": "page checker"}


def beat(session: Session, name: str, detail: str = "", now: datetime | None = None) -> None:
    """Record that loop ``name`` finished a round now. Commits."""
    now = now or utcnow()
    values = {"beat_at": now, "detail": detail[:300]}
    # On SQLite a read snapshot left open by the round cannot become a write once the other
    # loop has committed ("database is locked" at once, no busy wait): end it, and take the
    # write lock at BEGIN, where the busy timeout applies. PostgreSQL ignores the option.
    session.commit()
    begin_write(session)
    done = session.execute(update(Heartbeat).where(Heartbeat.name == name).values(**values))
    if not done.rowcount:
        try:
            session.execute(insert(Heartbeat).values(name=name, **values))
        except IntegrityError:  # another process inserted it first
            session.rollback()
            session.execute(update(Heartbeat).where(Heartbeat.name == name).values(**values))
    session.commit()


def report(session: Session, now: datetime | None = None) -> tuple[dict, list[str]]:
    """Each loop's last heartbeat and age, and a plain warning for each stale or missing
    one."""
    now = now or utcnow()
    rows = {h.name: h for h in session.scalars(select(Heartbeat))}
    loops: dict[str, dict] = {}
    warnings: list[str] = []
    for name, label in LOOPS.items():
        row = rows.get(name)
        if row is None:
            loops[name] = {"last_heartbeat": None, "age_seconds": None, "stale": True,
                           "detail": ""}
            warnings.append(f"The {label} has never run (start `errata mail send --loop`).")
            continue
        age = max(0, int((now - row.beat_at).total_seconds()))
        stale = now - row.beat_at > STALE_AFTER
        loops[name] = {"last_heartbeat": iso(row.beat_at), "age_seconds": age, "stale": stale,
                       "detail": row.detail}
        if stale:
            warnings.append(f"The {label} is stale: its last heartbeat was {age} s ago "
                            f"(more than {int(STALE_AFTER.total_seconds())} s).")
    return loops, warnings
