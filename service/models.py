"""The data model: typed SQLAlchemy 2 models on one declarative base.

Every change here needs a migration in ``migrations/versions``; ``tests/test_migrations.py``
fails when the two drift apart.
"""

from __future__ import annotations

import enum
from datetime import UTC, datetime

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, registry, relationship
from sqlalchemy.types import TypeDecorator


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator):
    """Timezone-aware UTC datetimes on every backend (SQLite drops the zone otherwise)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is not None and value.tzinfo is None:
            raise ValueError("naive datetime stored; use service.models.utcnow()")
        return value.astimezone(UTC) if value is not None else None

    def process_result_value(self, value, dialect):
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value


NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    registry = registry(
        metadata=MetaData(naming_convention=NAMING), type_annotation_map={datetime: UTCDateTime()}
    )


class Status(enum.StrEnum):
    NEW = "new"
    IN_PROGRESS = "in_progress"
    FIXED = "fixed"
    REJECTED = "rejected"  # "not an error"
    SPAM = "spam"


OPEN_STATUSES = (Status.NEW.value, Status.IN_PROGRESS.value)
STATUSES = tuple(s.value for s in Status)
KINDS = ("typo", "fact", "other")
ROLES = ("admin", "editor")


site_editors = Table(
    "site_editors",
    Base.metadata,
    Column("site_id", ForeignKey("sites.id", ondelete="CASCADE"), primary_key=True),
    Column("editor_id", ForeignKey("editors.id", ondelete="CASCADE"), primary_key=True),
)


class Site(Base):
    __tablename__ = "sites"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    key: Mapped[str] = mapped_column(String(64), unique=True)
    origins: Mapped[list[str]] = mapped_column(JSON, default=list)
    notify_emails: Mapped[list[str]] = mapped_column(JSON, default=list)
    default_lang: Mapped[str] = mapped_column(String(35), default="en")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Per-site overrides of the global rate limits, in Flask-Limiter notation; NULL = default.
    limit_reader: Mapped[str | None] = mapped_column(String(200))
    limit_site: Mapped[str | None] = mapped_column(String(200))
    # The public corrections log at /p/<key>/corrections (opt-in; service/public/).
    public_log: Mapped[bool] = mapped_column(Boolean, default=False)
    # Close a correction as fixed when a page check finds its quote gone (off by default).
    auto_close: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    editors: Mapped[list[Editor]] = relationship(
        secondary=site_editors, back_populates="sites", order_by="Editor.email"
    )

    def allows_origin(self, origin: str) -> bool:
        return origin in self.origins


class Editor(Base):
    __tablename__ = "editors"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Stored lower-cased, so the unique constraint is case-insensitive.
    email: Mapped[str] = mapped_column(String(254), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255), default="")
    display_name: Mapped[str] = mapped_column(String(120), default="")
    role: Mapped[str] = mapped_column(String(16), default="editor")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Mail preferences: immediate (batched), digest (daily at digest_hour in their zone), off.
    notify_mode: Mapped[str] = mapped_column(String(16), default="immediate")
    digest_hour: Mapped[int] = mapped_column(Integer, default=8)
    # Their interface and mail language ("ru", "en"…) and IANA time zone ("Europe/Moscow").
    # Empty until known: then the browser's Accept-Language and the service's default zone.
    language: Mapped[str] = mapped_column(String(16), default="")
    timezone: Mapped[str] = mapped_column(String(64), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column()

    sites: Mapped[list[Site]] = relationship(
        secondary=site_editors, back_populates="editors", order_by="Site.name"
    )

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    # Flask-Login protocol
    @property
    def is_active(self) -> bool:
        return self.active

    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_anonymous(self) -> bool:
        return False

    def get_id(self) -> str:
        # Which session this browser holds is in the editor_sessions table, not here.
        return str(self.id)

    @property
    def label(self) -> str:
        return self.display_name or self.email


class EditorSession(Base):
    """One signed-in browser. The cookie carries a random id; only its SHA-256 is stored, so
    a leaked database can't be replayed as cookies. Deleting the row ends the session."""

    __tablename__ = "editor_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    editor_id: Mapped[int] = mapped_column(
        ForeignKey("editors.id", ondelete="CASCADE"), index=True
    )
    user_agent: Mapped[str] = mapped_column(String(400), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)

    editor: Mapped[Editor] = relationship()


class Correction(Base):
    """One error on one page: the queue item. Repeated reports of the same spot group here."""

    __tablename__ = "corrections"
    __table_args__ = (
        Index("ix_corrections_site_status_last", "site_id", "status", "last_reported_at", "id"),
        Index("ix_corrections_status_last", "status", "last_reported_at", "id"),
        Index("ix_corrections_site_url", "site_id", "url"),
        # The queue's other sorts and its "mine" filter (service/queue/listing.py).
        Index("ix_corrections_status_count", "status", "report_count", "id"),
        Index("ix_corrections_status_first", "status", "first_reported_at", "id"),
        Index("ix_corrections_assignee_status_last",
              "assignee_id", "status", "last_reported_at", "id"),
        # The mail sender looks for "notified_at IS NULL" every few seconds (mail/notify.py).
        Index("ix_corrections_notified_site", "notified_at", "site_id"),
        # The stats rollup reads each site's new corrections by hour.
        Index("ix_corrections_site_first", "site_id", "first_reported_at"),
        # The token API's keyset order (service/api/): one site's corrections by change.
        Index("ix_corrections_site_updated", "site_id", "updated_at", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id", ondelete="CASCADE"))
    url: Mapped[str] = mapped_column(String(2048))  # normalised
    title: Mapped[str] = mapped_column(String(300), default="")
    exact: Mapped[str] = mapped_column(String(500))
    prefix: Mapped[str] = mapped_column(String(256), default="")
    suffix: Mapped[str] = mapped_column(String(256), default="")
    suggestion: Mapped[str] = mapped_column(String(500), default="")
    link: Mapped[str] = mapped_column(Text, default="")  # Text Fragment jump link
    lang: Mapped[str] = mapped_column(String(35), default="")
    kind: Mapped[str] = mapped_column(String(16), default="typo")
    status: Mapped[str] = mapped_column(String(16), default=Status.NEW.value)
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("editors.id", ondelete="SET NULL"))
    report_count: Mapped[int] = mapped_column(Integer, default=1)
    first_reported_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_reported_at: Mapped[datetime] = mapped_column(default=utcnow)
    resolved_at: Mapped[datetime | None] = mapped_column()
    resolved_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("editors.id", ondelete="SET NULL")
    )
    resolution_note: Mapped[str] = mapped_column(Text, default="")
    # The text actually published, as the editor recorded it on "Fixed" (pre-filled with the
    # suggestion). NULL: not fixed, or fixed without saying how (bulk "Fixed").
    applied_fix: Mapped[str | None] = mapped_column(String(500))
    # Set when editors have been told about it (mail batching); NULL = still to notify.
    notified_at: Mapped[datetime | None] = mapped_column()
    # Every change a person or a tool would care about moves this: a report joining, a
    # status, an assignment, a page check that finds something new. ``onupdate`` covers the
    # ORM; Core updates set it themselves (ingest) or keep it on purpose (mail bookkeeping).
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    # The last page check (service/pagecheck/): present / gone / unknown, NULL = never.
    page_state: Mapped[str | None] = mapped_column(String(16))
    page_checked_at: Mapped[datetime | None] = mapped_column()
    page_reason: Mapped[str] = mapped_column(String(300), default="")
    # The page's validators at that check, for a conditional request next time.
    page_etag: Mapped[str | None] = mapped_column(String(200))
    page_last_modified: Mapped[str | None] = mapped_column(String(64))
    # The page's own title at its last read (service/pagecheck/title.py), the same on every
    # correction of the page; the public log names the article by it. NULL: none known.
    page_title: Mapped[str | None] = mapped_column(String(300))

    site: Mapped[Site] = relationship()
    assignee: Mapped[Editor | None] = relationship(foreign_keys=[assignee_id])
    resolved_by: Mapped[Editor | None] = relationship(foreign_keys=[resolved_by_id])
    reports: Mapped[list[Report]] = relationship(
        back_populates="correction", order_by="Report.id", passive_deletes=True
    )
    events: Mapped[list[Event]] = relationship(
        back_populates="correction", order_by="Event.id", passive_deletes=True
    )

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES


class Report(Base):
    """One reader submission, always kept."""

    __tablename__ = "reports"
    __table_args__ = (Index("ix_reports_site_created", "site_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    correction_id: Mapped[int] = mapped_column(
        ForeignKey("corrections.id", ondelete="CASCADE"), index=True
    )
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id", ondelete="CASCADE"))
    url: Mapped[str] = mapped_column(String(2048))  # as sent
    origin: Mapped[str] = mapped_column(String(300), default="")
    title: Mapped[str] = mapped_column(String(300), default="")
    lang: Mapped[str] = mapped_column(String(35), default="")
    exact: Mapped[str] = mapped_column(String(500))
    prefix: Mapped[str] = mapped_column(String(256), default="")
    suffix: Mapped[str] = mapped_column(String(256), default="")
    start: Mapped[int | None] = mapped_column(Integer)
    end: Mapped[int | None] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(16), default="typo")
    suggestion: Mapped[str] = mapped_column(String(500), default="")
    comment: Mapped[str] = mapped_column(Text, default="")
    email: Mapped[str | None] = mapped_column(String(254))  # only with notify consent
    notify: Mapped[bool] = mapped_column(Boolean, default=False)
    ip_hash: Mapped[str | None] = mapped_column(String(64))
    user_agent: Mapped[str | None] = mapped_column(String(400))
    client: Mapped[str] = mapped_column(String(32), default="")
    elapsed_ms: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    thanked_at: Mapped[datetime | None] = mapped_column()

    correction: Mapped[Correction] = relationship(back_populates="reports")


class Event(Base):
    """The audit trail of a correction."""

    __tablename__ = "events"
    # The stats rollup reads decisions by when they were made.
    __table_args__ = (Index("ix_events_created", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    correction_id: Mapped[int] = mapped_column(
        ForeignKey("corrections.id", ondelete="CASCADE"), index=True
    )
    editor_id: Mapped[int | None] = mapped_column(ForeignKey("editors.id", ondelete="SET NULL"))
    # Who did it when not an editor: "page check", or an API token's name.
    actor: Mapped[str] = mapped_column(String(120), default="")
    action: Mapped[str] = mapped_column(String(32))
    from_status: Mapped[str | None] = mapped_column(String(16))
    to_status: Mapped[str | None] = mapped_column(String(16))
    note: Mapped[str] = mapped_column(Text, default="")
    # On a "fixed" event: the published text recorded with it (Correction.applied_fix then).
    applied_fix: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    correction: Mapped[Correction] = relationship(back_populates="events")
    editor: Mapped[Editor | None] = relationship()


class Channel(Base):
    """Where a site's events go besides mail: a webhook, a Slack/Mattermost incoming webhook
    or a Telegram chat (service/channels/)."""

    __tablename__ = "channels"

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # webhook / slack / telegram
    url: Mapped[str] = mapped_column(String(2048), default="")  # webhook and slack
    chat_id: Mapped[str] = mapped_column(String(64), default="")  # telegram
    # The webhook's signing secret or the Telegram bot token; never shown after it is added.
    secret: Mapped[str] = mapped_column(String(255), default="")
    # The batching window of Slack and Telegram: when the last message was written.
    last_sent_at: Mapped[datetime | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    site: Mapped[Site] = relationship()


class OutboxMail(Base):
    """A mail, or a message to a channel, to deliver. Written in the same transaction as its
    cause; sent by ``errata mail send``."""

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_status_due", "status", "next_attempt_at"),
                      Index("ix_outbox_channel_status", "channel_id", "status"),
                      Index("ix_outbox_correction_status", "correction_id", "status"))

    id: Mapped[int] = mapped_column(primary_key=True)
    template: Mapped[str] = mapped_column(String(64))
    recipient: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(300))
    body_text: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str] = mapped_column(Text, default="")
    headers: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    # A message to a channel instead of a mail; its event id is stable across retries.
    channel_id: Mapped[int | None] = mapped_column(
        ForeignKey("channels.id", ondelete="CASCADE"))
    event_id: Mapped[str | None] = mapped_column(String(64))
    # A reader's thank-you: the correction it is for (withdrawn if the fix is undone in time).
    correction_id: Mapped[int | None] = mapped_column(
        ForeignKey("corrections.id", ondelete="CASCADE"))
    # pending / sending / sent / failed; held = an event waiting for its channel's batch
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    claimed_at: Mapped[datetime | None] = mapped_column()
    claim_token: Mapped[str | None] = mapped_column(String(64))
    last_error: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column()


class MailCursor(Base):
    """When a recipient last got a notification mail for a site (the batching window)."""

    __tablename__ = "mail_cursors"
    __table_args__ = (UniqueConstraint("recipient", "site_id", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    recipient: Mapped[str] = mapped_column(String(254))
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))  # immediate / digest
    last_sent_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Highest correction id already included, so nothing is listed twice.
    last_correction_id: Mapped[int] = mapped_column(Integer, default=0)


HOURS = range(24)  # the hours of a UTC day, 0-23


def _hour_columns() -> dict:
    """``r00``…``r23`` (reports) and ``c00``…``c23`` (new corrections), one per UTC hour."""
    return {f"{prefix}{hour:02d}": mapped_column(Integer, nullable=False, default=0)
            for prefix in "rc" for hour in HOURS}


class StatDayHours(type("_HourColumns", (), _hour_columns()), Base):  # type: ignore[misc]
    """One UTC day of one site, hour by hour, rolled up for the Stats page: the reports
    (``r00``…``r23``) and new corrections (``c00``…``c23``, spam included) of each hour.

    A row per day rather than per hour: a year of 20 sites is 7,300 rows to sum, not
    175,000, and the sums per hour still let the page cut days at the viewer's midnight.
    Hours are final once past; the rollup fills a day's row hour by hour."""

    __tablename__ = "stat_day_hours"
    __table_args__ = (UniqueConstraint("site_id", "day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id", ondelete="CASCADE"))
    day: Mapped[str] = mapped_column(String(10))  # YYYY-MM-DD, UTC

    @classmethod
    def reports_at(cls, hour: int):
        return getattr(cls, f"r{hour:02d}")

    @classmethod
    def corrections_at(cls, hour: int):
        return getattr(cls, f"c{hour:02d}")


class StatDay(Base):
    """Per site and UTC day: new corrections per article or section and by kind, decisions
    by outcome (each named by ``url``), or, with ``url`` empty, editors' decisions whose
    delay fell in a delay bucket."""

    __tablename__ = "stat_days"
    # No unique key: a URL is too long for one on PostgreSQL; the rollup is serialised.
    __table_args__ = (Index("ix_stat_days_site_day", "site_id", "day"),
                      Index("ix_stat_days_bucket_site_day", "bucket", "site_id", "day"))

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id", ondelete="CASCADE"))
    day: Mapped[str] = mapped_column(String(10))  # YYYY-MM-DD, UTC
    # A delay bucket (0…); or -1: an article's row, -2: a section's, -3: a total (a kind or
    # an outcome), each named by ``url``.
    bucket: Mapped[int] = mapped_column(Integer, default=-1)
    url: Mapped[str] = mapped_column(String(2048), default="")
    count: Mapped[int] = mapped_column(Integer, default=0)


class StatTop(Base):
    """Each site's 10 articles and 10 sections with the most new corrections over the last
    30, 90 and 365 UTC days, as of the last rollup. An article or section belongs to one
    site, so the viewer's top 10 over several sites is the top of these lists merged."""

    __tablename__ = "stat_tops"
    __table_args__ = (Index("ix_stat_tops_site_period", "site_id", "period", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id", ondelete="CASCADE"))
    period: Mapped[int] = mapped_column(Integer)  # days
    kind: Mapped[int] = mapped_column(Integer)  # StatDay's article or section code
    name: Mapped[str] = mapped_column(String(2048))
    count: Mapped[int] = mapped_column(Integer)


class StatRollup(Base):
    """How far the stats rollup has got: every hour before ``until`` is in the tables."""

    __tablename__ = "stat_rollups"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    until: Mapped[datetime] = mapped_column()


class Block(Base):
    """A temporary block of a reader (their salted IP hash), set by an admin.

    ``kind`` is always "ip" now: origins are managed on the site itself. The column stays so
    a block of another kind can be added without reshaping the table.
    """

    __tablename__ = "blocks"
    __table_args__ = (Index("ix_blocks_kind_value", "kind", "value"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))  # ip
    value: Mapped[str] = mapped_column(String(300))
    site_id: Mapped[int | None] = mapped_column(ForeignKey("sites.id", ondelete="CASCADE"))
    until: Mapped[datetime] = mapped_column()
    reason: Mapped[str] = mapped_column(String(300), default="")
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("editors.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # The report whose sender is blocked (for the site page's "what"); NULL once deleted.
    report_id: Mapped[int | None] = mapped_column(ForeignKey("reports.id", ondelete="SET NULL"))
    # Reports this block has stopped (answered 202 and dropped).
    stopped: Mapped[int] = mapped_column(Integer, default=0)

    created_by: Mapped[Editor | None] = relationship()
    report: Mapped[Report | None] = relationship()


class Counter(Base):
    """Daily counters the admin can see (reports discarded as bots, spam, rate-limited)."""

    __tablename__ = "counters"
    __table_args__ = (UniqueConstraint("site_id", "name", "day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int | None] = mapped_column(ForeignKey("sites.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(32))
    day: Mapped[str] = mapped_column(String(10))  # YYYY-MM-DD, UTC
    count: Mapped[int] = mapped_column(Integer, default=0)


class Heartbeat(Base):
    """The last round of each background loop (mail, page checks); /healthz reports them."""

    __tablename__ = "heartbeats"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    beat_at: Mapped[datetime] = mapped_column(default=utcnow)
    detail: Mapped[str] = mapped_column(String(300), default="")


class ApiToken(Base):
    """A newsroom tool's key to one site's corrections (service/api/). Only a hash is kept."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    # SHA-256 of the token: it is random and long, so a slow password hash adds nothing.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    hint: Mapped[str] = mapped_column(String(16), default="")  # its first characters
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("editors.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column()

    site: Mapped[Site] = relationship()
