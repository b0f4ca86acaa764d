"""The newsroom's words for statuses and kinds, defined once; translated when shown."""

from __future__ import annotations

from service.i18n import lazy_gettext

STATUS_LABELS = {
    "new": lazy_gettext("New"),
    "in_progress": lazy_gettext("In progress"),
    "fixed": lazy_gettext("Fixed"),
    "rejected": lazy_gettext("Not an error"),
    "spam": lazy_gettext("Spam"),
}
KIND_LABELS = {
    "typo": lazy_gettext("Typo"),
    "fact": lazy_gettext("Fact"),
    "other": lazy_gettext("Other"),
}
