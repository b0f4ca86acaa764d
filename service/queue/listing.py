"""The queue listing: filters from the URL and keyset pagination.

Pages are cut by the sort key and the id of the last row shown ("after" cursor) or, going
back, of the first row shown ("before" cursor: the same ranges read the other way), never by
OFFSET, so page 1,000 costs what page 1 costs. Each status (and, for an editor of a few
sites, each site) in the filter is read as its own ordered index range (the ``(status, key,
id)`` and ``(site_id, status, last_reported_at, id)`` indexes), each cut at one page, and the
ranges are merged with UNION ALL: an ``IN (...)`` over statuses or sites would make the
database sort every matching correction first.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta

from sqlalchemy import Select, and_, func, or_, select, union_all
from sqlalchemy.orm import Session, joinedload

from service.accounts.access import restrict, visible_site_ids
from service.i18n import _, lazy_gettext, ngettext
from service.models import KINDS, OPEN_STATUSES, STATUSES, Correction, Editor, Site
from service.queue import search

PAGE_SIZE = 50
# An editor of up to this many sites gets one branch per (site, status): robust however small
# their sites are next to the others. Beyond, one branch per status filters by site, which is
# cheaper to plan and fast as long as their sites are a fair share of all corrections.
SITE_BRANCHES = 4
MAX_QUERY = 200

STATUS_FILTERS: dict[str, tuple[str, ...]] = {
    "open": OPEN_STATUSES,
    **{s: (s,) for s in STATUSES},
    "closed": tuple(s for s in STATUSES if s not in OPEN_STATUSES),
    "all": STATUSES,
}
# sort name -> (column, descending)
SORTS = {
    "last": (Correction.last_reported_at, True),
    "most": (Correction.report_count, True),
    "oldest": (Correction.first_reported_at, False),
}
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
# Ids and counts are 32-bit INTEGER columns; PostgreSQL refuses to compare them with larger
# numbers (an error, not "no rows"), so numbers from the URL are checked first.
INT_MIN, INT_MAX = -(2**31), 2**31 - 1
DAMAGED = lazy_gettext("That page link is damaged; start again from the first page.")


def fits_int(n: int) -> bool:
    return INT_MIN <= n <= INT_MAX


class FilterError(ValueError):
    """A filter value in the URL that we don't understand; the message is for people."""


@dataclass(frozen=True)
class Filters:
    status: str = "open"
    site: int | None = None
    kind: str = ""
    mine: bool = False
    looks_fixed: bool = False  # the last page check found the quote gone
    q: str = ""
    sort: str = "last"
    after: str = ""
    before: str = ""

    @property
    def cursor(self) -> str:
        """Where this page starts: after one row, or before one (going back); "" on page 1."""
        return self.after or self.before

    def query_args(self, **changes) -> dict[str, str]:
        """The non-default filters as URL query arguments (for links and redirects)."""
        f = replace(self, **changes)
        args = {
            "status": f.status if f.status != "open" else "",
            "site": str(f.site) if f.site else "",
            "kind": f.kind,
            "mine": "1" if f.mine else "",
            "looks_fixed": "1" if f.looks_fixed else "",
            "q": f.q,
            "sort": f.sort if f.sort != "last" else "",
            "after": f.after,
            "before": f.before,
        }
        return {k: v for k, v in args.items() if v}


def parse_filters(args: Mapping[str, str]) -> Filters:
    """Read filters from query arguments; raise FilterError for values we can't honour."""
    status = (args.get("status") or "open").strip()
    if status not in STATUS_FILTERS:
        raise FilterError(_("There is no status called “%(value)s”.", value=status))
    site_raw = (args.get("site") or "").strip()
    try:
        site = int(site_raw) if site_raw else None
    except ValueError:
        site = INT_MAX + 1
    if site is not None and not fits_int(site):
        raise FilterError(_("The site filter must be a site number."))
    kind = (args.get("kind") or "").strip()
    if kind and kind not in KINDS:
        raise FilterError(_("There is no kind called “%(value)s”.", value=kind))
    sort = (args.get("sort") or "last").strip()
    if sort not in SORTS:
        raise FilterError(_("The queue can't be sorted by “%(value)s”.", value=sort))
    q = " ".join((args.get("q") or "").split())
    if len(q) > MAX_QUERY:
        raise FilterError(ngettext("The search text is too long (at most %(num)d character).",
                                   "The search text is too long (at most %(num)d characters).",
                                   MAX_QUERY))
    after = (args.get("after") or "").strip()
    before = (args.get("before") or "").strip()
    if after and before:
        raise FilterError(DAMAGED)
    filters = Filters(status=status, site=site, kind=kind, mine=args.get("mine") in ("1", "on"),
                      looks_fixed=args.get("looks_fixed") in ("1", "on"),
                      q=q, sort=sort, after=after, before=before)
    if filters.cursor:
        decode_cursor(filters.sort, filters.cursor)  # validate early
    return filters


def _key_to_int(value) -> int:
    if isinstance(value, datetime):
        return (value - _EPOCH) // timedelta(microseconds=1)
    return int(value)


def encode_cursor(sort: str, correction: Correction) -> str:
    column, _ = SORTS[sort]
    return f"{_key_to_int(getattr(correction, column.key))}_{correction.id}"


def decode_cursor(sort: str, cursor: str) -> tuple[object, int]:
    try:
        raw_key, raw_id = cursor.split("_", 1)
        key_int, row_id = int(raw_key), int(raw_id)
    except ValueError:
        raise FilterError(DAMAGED) from None
    if not fits_int(row_id) or (sort == "most" and not fits_int(key_int)):
        raise FilterError(DAMAGED)
    if sort == "most":
        return key_int, row_id
    try:
        return _EPOCH + timedelta(microseconds=key_int), row_id
    except OverflowError:
        raise FilterError(DAMAGED) from None


def _including(sort: str, cursor: str) -> str:
    """A "before" cursor whose page ends with the row of ``cursor`` itself (ids are whole
    numbers, so one id further along in the sort's order lets that row in)."""
    key, row_id = cursor.split("_", 1)
    _, descending = SORTS[sort]
    return f"{key}_{int(row_id) - 1 if descending else int(row_id) + 1}"


@dataclass
class Page:
    rows: list[Correction]
    next_after: str | None
    filters: Filters
    sites: dict[int, Site] = field(default_factory=dict)
    prev_before: str | None = None  # the "before" cursor of the page above; None on the first


def _search_hit(session: Session, filters: Filters):
    """The search condition, made once so every branch shares one read of the index."""
    return search.matches(filters.q, session.get_bind().dialect.name) if filters.q else None


def _conditions(editor: Editor, filters: Filters, search_hit) -> list:
    cond = []
    if filters.kind:
        cond.append(Correction.kind == filters.kind)
    if filters.mine:
        cond.append(Correction.assignee_id == editor.id)
    if filters.looks_fixed:
        cond.append(Correction.page_state == "gone")
    if filters.q:
        cond.append(search_hit)
    return cond


def _after(column, descending: bool, key, row_id: int):
    # "key <= k AND (key < k OR id < i)" rather than a row-value comparison: both SQLite and
    # PostgreSQL turn the first half into an index range start.
    if descending:
        return and_(column <= key, or_(column < key, Correction.id < row_id))
    return and_(column >= key, or_(column > key, Correction.id > row_id))


def _branch(status: str, sites, editor: Editor, filters: Filters, limit: int,
            search_hit) -> Select:
    """One ordered index range: a status, and a site (int), a set of sites, or every site.

    With a "before" cursor the range is read backwards, from the cursor towards the top."""
    column, descending = SORTS[filters.sort]
    descending ^= bool(filters.before)
    stmt = select(Correction.id.label("id"), column.label("k")).where(
        Correction.status == status, *_conditions(editor, filters, search_hit)
    )
    if isinstance(sites, int):
        stmt = stmt.where(Correction.site_id == sites)
    elif sites is not None:
        stmt = stmt.where(Correction.site_id.in_(sorted(sites)))
    if filters.cursor:
        key, row_id = decode_cursor(filters.sort, filters.cursor)
        stmt = stmt.where(_after(column, descending, key, row_id))
    order = (column.desc(), Correction.id.desc()) if descending else (column, Correction.id)
    return stmt.order_by(*order).limit(limit)


def _visible_sites(session: Session, editor: Editor, filters: Filters) -> set[int] | None:
    """The site ids to list (None: every site). Resolved up front, so each branch can read
    a (site, status) index range instead of filtering a subquery row by row."""
    subquery = visible_site_ids(editor)
    sites = None if subquery is None else set(session.scalars(subquery))
    if filters.site:
        return {filters.site} if sites is None or filters.site in sites else set()
    return sites


def list_corrections(
    session: Session, editor: Editor, filters: Filters, limit: int = PAGE_SIZE
) -> Page:
    """One page of the queue as ``editor`` sees it, plus the cursors of the pages next to it.

    Going back past the first rows lands on the first page itself, full, rather than on a
    short page that merely ends where the previous one began."""
    statuses = STATUS_FILTERS[filters.status]
    sites = _visible_sites(session, editor, filters)
    if sites is not None and not sites:
        return Page(rows=[], next_after=None, filters=filters)
    hit = None
    if filters.q:
        # The rows this page's walk would read, whatever the cursor: its index ranges (sites,
        # statuses, "mine"). Not kind or "looks fixed": the walk checks those on each row it
        # reads, so they make it no shorter (and counting the rows they keep would read
        # every row of the ranges when few are kept).
        scope = select(Correction.id).where(Correction.status.in_(statuses))
        if filters.mine:
            scope = scope.where(Correction.assignee_id == editor.id)
        if sites is not None:
            scope = scope.where(Correction.site_id.in_(sorted(sites)))
        # One that may walk the page's order instead, weighed on those rows.
        hit = search.page_condition(session, filters.q, limit + 1, scope)
    return _list(session, editor, filters, limit, sites, hit)


def _list(session: Session, editor: Editor, filters: Filters, limit: int,
          sites: set[int] | None, hit) -> Page:
    _, descending = SORTS[filters.sort]
    backwards = bool(filters.before)
    descending ^= backwards
    statuses = STATUS_FILTERS[filters.status]
    if sites is not None and len(sites) <= SITE_BRANCHES:
        parts = [(st, site) for site in sorted(sites) for st in statuses]
    else:
        parts = [(st, sites) for st in statuses]
    branches = [_branch(st, site, editor, filters, limit + 1, hit) for st, site in parts]
    if len(branches) == 1:
        merged = branches[0].subquery()
    else:
        merged = union_all(*[select(b.subquery()) for b in branches]).subquery()
    order = (merged.c.k.desc(), merged.c.id.desc()) if descending else (merged.c.k, merged.c.id)
    # One round trip: the merged ids, joined back to their rows, assignees and sites.
    stmt = (
        select(Correction)
        .join(merged, merged.c.id == Correction.id)
        .options(joinedload(Correction.assignee), joinedload(Correction.site))
        .order_by(*order)
        .limit(limit + 1)
    )
    rows = list(session.scalars(stmt).unique())
    more = len(rows) > limit
    rows = rows[:limit]
    if backwards:
        if not more:
            # The first page, full; the search's way was weighed once for this request.
            return _list(session, editor, replace(filters, before=""), limit, sites, hit)
        rows.reverse()
        next_after = encode_cursor(filters.sort, rows[-1])
        prev_before = encode_cursor(filters.sort, rows[0])
    else:
        next_after = encode_cursor(filters.sort, rows[-1]) if more and rows else None
        # An empty page after a cursor (its rows were all just resolved) still leads back.
        prev_before = None
        if filters.after:
            prev_before = (encode_cursor(filters.sort, rows[0]) if rows
                           else _including(filters.sort, filters.after))
    return Page(rows=rows, next_after=next_after, filters=filters, prev_before=prev_before,
                sites={c.site_id: c.site for c in rows})


def open_counts(session: Session, editor: Editor) -> list[tuple[Site, int]]:
    """Open corrections per site ``editor`` sees, for the navigation (sites with none too).

    One query; each count is a range of the ``(site_id, status, ...)`` index.
    """
    count = (
        select(func.count())
        .where(Correction.site_id == Site.id, Correction.status.in_(OPEN_STATUSES))
        .correlate(Site)
        .scalar_subquery()
    )
    stmt = restrict(select(Site, count), editor, Site.id).where(Site.active.is_(True))
    return [(site, n) for site, n in session.execute(stmt.order_by(Site.name))]


def matching(session: Session, editor: Editor, filters: Filters) -> Select | None:
    """Every correction the filters select that ``editor`` sees, in the queue's order, with no
    page cut (the CSV export); None when they see none of the filtered sites."""
    column, descending = SORTS[filters.sort]
    sites = _visible_sites(session, editor, filters)
    if sites is not None and not sites:
        return None
    stmt = select(Correction).where(Correction.status.in_(STATUS_FILTERS[filters.status]),
                                    *_conditions(editor, filters,
                                                 _search_hit(session, filters)))
    if sites is not None:
        stmt = stmt.where(Correction.site_id.in_(sorted(sites)))
    order = (column.desc(), Correction.id.desc()) if descending else (column, Correction.id)
    return stmt.options(joinedload(Correction.assignee), joinedload(Correction.site)) \
        .order_by(*order)


def same_article(session: Session, correction: Correction) -> list[Correction]:
    """Every correction of ``correction``'s page (same site, same normalised URL), whatever
    its status, newest first; read from the ``(site_id, url)`` index."""
    return list(session.scalars(
        select(Correction).options(joinedload(Correction.assignee))
        .where(Correction.site_id == correction.site_id, Correction.url == correction.url)
        .order_by(Correction.first_reported_at.desc(), Correction.id.desc())).unique())
