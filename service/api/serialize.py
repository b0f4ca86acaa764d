"""The one JSON shape of a correction, shared by the token API and webhooks.

``FIELDS`` is the documented field list (docs/api.md, the OpenAPI schema); every answer
has exactly these keys, in this order.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from service.models import Correction

FIELDS = (
    "id", "site", "status", "url", "title", "exact", "prefix", "suffix", "suggestion", "kind",
    "updated_at", "report_count", "first_reported_at", "last_reported_at", "page_state",
    "page_checked_at", "link", "applied_fix",
)


def iso(when: datetime | None) -> str | None:
    """RFC 3339 in UTC with a ``Z``, to the microsecond (the keyset cursor needs it exact)."""
    if when is None:
        return None
    return when.astimezone(UTC).isoformat().replace("+00:00", "Z")


def correction_json(correction: Correction) -> dict[str, Any]:
    """``correction`` as the API and webhooks send it. Reads ``correction.site`` (its key)."""
    c = correction
    return {
        "id": c.id,
        "site": c.site.key,
        "status": c.status,
        "url": c.url,
        "title": c.title,
        "exact": c.exact,
        "prefix": c.prefix,
        "suffix": c.suffix,
        "suggestion": c.suggestion or None,
        "kind": c.kind,
        "updated_at": iso(c.updated_at),
        "report_count": c.report_count,
        "first_reported_at": iso(c.first_reported_at),
        "last_reported_at": iso(c.last_reported_at),
        "page_state": c.page_state,
        "page_checked_at": iso(c.page_checked_at),
        "link": c.link or None,
        # Added by the "what was changed" feature; null until an editor records one.
        "applied_fix": getattr(c, "applied_fix", None) or None,
    }
