"""Parsing and validating the body of ``POST /api/v1/reports``.

The result is a :class:`ReportInput` with every text field already clean, or a
:class:`ValidationFailed` naming each bad field with a sentence a person can act on.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from email_validator import EmailNotValidError, validate_email

from service.ingest.urls import BadURL, browser_url, normalize_url, origin_of
from service.models import KINDS
from service.sanitize import clean_text, has_lone_surrogate, plain_line

MAX_BODY = 16 * 1024
MAX_INT = 2**31 - 1
# Longer digit runs are no position or duration we could store: they are refused without
# being converted (Python refuses to convert 4,300 digits or more at all).
MAX_DIGITS = 19
SURROGATE = "holds a broken character (half of a UTF-16 surrogate pair)"


class _TooBig(int):
    """A JSON integer with more than ``MAX_DIGITS`` digits, left unconverted."""


def _parse_int(digits: str) -> int:
    return _TooBig(-1) if len(digits.lstrip("-")) > MAX_DIGITS else int(digits)


class ValidationFailed(Exception):
    def __init__(self, fields: dict[str, str]):
        super().__init__("; ".join(f"{k}: {v}" for k, v in fields.items()))
        self.fields = fields


@dataclass(frozen=True)
class ReportInput:
    site: str
    url: str  # as a browser reads it (WHATWG), re-serialised, without the fragment
    page_origin: str
    group_url: str  # normalised canonical (or page) URL: the grouping key
    title: str = ""
    lang: str = ""
    exact: str = ""
    prefix: str = ""
    suffix: str = ""
    start: int | None = None
    end: int | None = None
    kind: str = "typo"
    suggestion: str = ""
    comment: str = ""
    email: str | None = None
    notify: bool = False
    hp: str = ""
    elapsed_ms: int = 0
    client: str = ""


# name -> (max length, required, multiline); prefix and suffix keep an edge space (sanitize.py)
_TEXT_FIELDS: dict[str, tuple[int, bool, bool]] = {
    "site": (64, True, False),
    "url": (2048, True, False),
    "canonical": (2048, False, False),
    "title": (300, False, False),
    "lang": (35, False, False),
    "exact": (500, True, False),
    "prefix": (256, False, False),
    "suffix": (256, False, False),
    "kind": (16, False, False),
    "suggestion": (500, False, False),
    "comment": (2000, False, True),
    "email": (254, False, False),
    "hp": (1000, False, False),
    "client": (32, False, False),
}


def decode_body(raw: bytes) -> dict[str, Any]:
    try:
        data = json.loads(raw.decode("utf-8"), parse_int=_parse_int)
    except UnicodeDecodeError as exc:
        raise ValidationFailed({"body": "is not valid UTF-8"}) from exc
    except (json.JSONDecodeError, RecursionError) as exc:
        raise ValidationFailed({"body": "is not valid JSON"}) from exc
    if not isinstance(data, dict):
        raise ValidationFailed({"body": "must be a JSON object"})
    return data


def _too_long(limit: int, length: int) -> str:
    return f"must be at most {limit} characters (got {length})"


def _raw_texts(data: dict[str, Any], errors: dict[str, str]) -> dict[str, str]:
    """Every text field as sent, checked for type, broken characters and length before any
    cleaning, so a body that can't be stored costs no parsing of its markup."""
    out: dict[str, str] = {}
    for name, (limit, _required, _multiline) in _TEXT_FIELDS.items():
        value = data.get(name)
        if value is None:
            out[name] = ""
            continue
        if not isinstance(value, str):
            errors[name] = "must be a string"
        elif has_lone_surrogate(value):
            errors[name] = SURROGATE
        elif len(value) > limit and len(collapsed := " ".join(value.split())) > limit:
            # Whitespace is collapsed before the limit is applied: a selection spanning
            # indented HTML is not penalised for its source formatting.
            errors[name] = _too_long(limit, len(collapsed))
        else:
            out[name] = value
            continue
        out[name] = ""
    return out


def _text(raw: dict[str, str], name: str, errors: dict[str, str]) -> str:
    if name in errors:
        return ""
    limit, required, multiline = _TEXT_FIELDS[name]
    if name in ("url", "canonical", "hp"):
        # Not text to show: addresses are read by the URL parser (HTML entities mean nothing
        # in a URL, and "&lt=1" is a query), the honeypot only needs to be empty.
        value = raw[name].strip()
    elif name == "email":
        value = plain_line(raw[name])
    else:
        value = clean_text(raw[name], multiline=multiline,
                           keep_edges=name in ("prefix", "suffix"))
    if required and not value:
        errors[name] = "is required"
    elif len(value) > limit:
        errors[name] = _too_long(limit, len(value))
    return value


def _int(data: dict[str, Any], name: str, errors: dict[str, str]) -> int | None:
    value = data.get(name)
    if value is None:
        return None
    if isinstance(value, _TooBig):
        errors[name] = f"must be between 0 and {MAX_INT}"
        return None
    # bool is an int in Python; true/false is not a position.
    if isinstance(value, bool) or not isinstance(value, int):
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        else:
            errors[name] = "must be a whole number"
            return None
    if value < 0 or value > MAX_INT:
        errors[name] = f"must be between 0 and {MAX_INT}"
        return None
    return value


def parse_report(data: dict[str, Any]) -> ReportInput:
    """Validate a decoded body. Unknown fields are ignored."""
    errors: dict[str, str] = {}
    raw = _raw_texts(data, errors)
    start, end = _int(data, "start", errors), _int(data, "end", errors)
    elapsed = _int(data, "elapsed_ms", errors)
    if elapsed is None and "elapsed_ms" not in errors:
        # Without it a report from a person can't be told from a bot's: refused, not dropped.
        errors["elapsed_ms"] = "is required"
    if errors:
        raise ValidationFailed(errors)  # nothing is cleaned in a body already refused
    text = {name: _text(raw, name, errors) for name in _TEXT_FIELDS}

    url = page_origin = group_url = ""
    if text["url"] and "url" not in errors:
        # The URL as the reader's browser reads it: its host is the one checked against the
        # site's origins, and the one every link we build from it goes to.
        try:
            url = browser_url(text["url"])
            page_origin = origin_of(url)
            group_url = normalize_url(url)
        except BadURL as exc:
            errors["url"] = str(exc)
        else:
            encoded = max(len(url), len(group_url))
            if encoded > _TEXT_FIELDS["url"][0]:
                errors["url"] = _too_long(_TEXT_FIELDS["url"][0], encoded) + " once encoded"
    if text["canonical"] and "canonical" not in errors and page_origin:
        # A canonical link groups the same article reached through several URLs, but only
        # within the page's own origin: it can't move a report to another site's page.
        try:
            canonical = normalize_url(text["canonical"])
            if origin_of(canonical) == page_origin and len(canonical) <= _TEXT_FIELDS["url"][0]:
                group_url = canonical
        except BadURL:
            pass

    kind = text["kind"] or "typo"
    if kind not in KINDS and "kind" not in errors:
        errors["kind"] = "must be one of " + ", ".join(KINDS)

    notify = data.get("notify", False)
    if not isinstance(notify, bool):
        errors["notify"] = "must be true or false"
        notify = False
    email = text["email"] or None
    if email and "email" not in errors:
        try:
            email = validate_email(email, check_deliverability=False).normalized
        except EmailNotValidError:
            errors["email"] = "is not a valid email address"
        else:
            # Our mail goes out through Flask-Mail, which cannot address a non-ASCII mailbox
            # name (SMTPUTF8): say so now rather than accept a promise we cannot keep.
            if not email.rsplit("@", 1)[0].isascii():
                errors["email"] = "must use Latin letters before the @ for us to write to it"
    if notify and not email and "email" not in errors:
        errors["email"] = "is needed to tell you when the error is fixed"

    if start is not None and end is not None and end < start:
        errors["end"] = "must not be before start"

    if errors:
        raise ValidationFailed(errors)
    return ReportInput(
        site=text["site"],
        url=url,
        page_origin=page_origin,
        group_url=group_url,
        title=text["title"],
        lang=text["lang"],
        exact=text["exact"],
        prefix=text["prefix"],
        suffix=text["suffix"],
        start=start,
        end=end,
        kind=kind,
        # The snippet pre-fills the suggestion with the selection: sent untouched, it is no
        # suggestion at all, and a later reader's real one must be able to take its place.
        suggestion="" if text["suggestion"] == text["exact"] else text["suggestion"],
        comment=text["comment"],
        # The address is kept only when the reader asked to be told about the fix.
        email=email if notify else None,
        notify=notify,
        hp=text["hp"],
        elapsed_ms=elapsed or 0,
        client=text["client"],
    )
