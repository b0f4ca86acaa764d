"""Daily counters an admin can see: reports discarded as bots, rate-limited, spam."""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from service.models import Counter, utcnow


def bump(session: Session, site_id: int, name: str, by: int = 1) -> None:
    """Add ``by`` to today's counter ``name`` for a site. The caller commits."""
    day = utcnow().strftime("%Y-%m-%d")
    where = (Counter.site_id == site_id, Counter.name == name, Counter.day == day)
    done = session.execute(update(Counter).where(*where).values(count=Counter.count + by))
    if done.rowcount:
        return
    try:
        with session.begin_nested():
            session.add(Counter(site_id=site_id, name=name, day=day, count=by))
    except IntegrityError:  # another request created today's row first
        session.execute(update(Counter).where(*where).values(count=Counter.count + by))


def totals(session: Session, site_id: int, since_day: str) -> dict[str, int]:
    rows = session.execute(
        select(Counter.name, Counter.count).where(
            Counter.site_id == site_id, Counter.day >= since_day
        )
    )
    out: dict[str, int] = {}
    for name, count in rows:
        out[name] = out.get(name, 0) + count
    return out
