"""Sites: creating and changing them, and the embed code an owner pastes."""

from __future__ import annotations

import secrets
from collections.abc import Iterable

from email_validator import EmailNotValidError, validate_email
from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import Session

from service.errors import FieldErrors
from service.i18n import _, language_codes, ngettext
from service.ingest.limits import valid_limit
from service.ingest.sitecache import forget
from service.ingest.urls import BadURL, normalize_origin
from service.models import Site


def new_key() -> str:
    """A random, URL-safe site key that starts with a letter or digit.

    A key starting with "-" would read as an option on the command line
    (`errata site edit -Xy…`), so those are drawn again.
    """
    while True:
        key = secrets.token_urlsafe(12)
        if key[0].isalnum():
            return key


def clean_origins(values: Iterable[str]) -> list[str]:
    out: list[str] = []
    for value in values:
        value = value.strip()
        if not value:
            continue
        try:
            origin = normalize_origin(value)
        except BadURL as exc:
            raise FieldErrors({"origins": _("%(value)s %(problem)s", value=repr(value),
                                             problem=_(str(exc)))}) from exc
        if origin not in out:
            out.append(origin)
    return out


def clean_emails(values: Iterable[str]) -> list[str]:
    out: list[str] = []
    for value in values:
        value = value.strip()
        if not value:
            continue
        try:
            email = validate_email(value, check_deliverability=False).normalized
        except EmailNotValidError as exc:
            raise FieldErrors({"notify_emails": _("%(value)s is not a valid email address",
                                                  value=repr(value))}) from exc
        if email not in out:
            out.append(email)
    return out


def apply_changes(
    site: Site,
    *,
    name: str | None = None,
    origins: Iterable[str] | None = None,
    notify_emails: Iterable[str] | None = None,
    default_lang: str | None = None,
    active: bool | None = None,
    limit_reader: str | None = None,
    limit_site: str | None = None,
    public_log: bool | None = None,
    auto_close: bool | None = None,
) -> Site:
    """Validate and set the given fields; ``""`` for a limit restores the default."""
    errors: dict[str, str] = {}
    if name is not None:
        name = " ".join(name.split())
        if not name:
            errors["name"] = _("is required")
        elif len(name) > 200:
            errors["name"] = ngettext("must be at most %(num)d character",
                                      "must be at most %(num)d characters", 200)
        else:
            site.name = name
    try:
        if origins is not None:
            site.origins = clean_origins(origins)
        if notify_emails is not None:
            site.notify_emails = clean_emails(notify_emails)
    except FieldErrors as exc:
        errors.update(exc.fields)
    if default_lang is not None:
        if default_lang not in language_codes():
            errors["default_lang"] = _("must be one of %(values)s",
                                       values=", ".join(language_codes()))
        else:
            site.default_lang = default_lang
    if active is not None:
        site.active = active
    if public_log is not None:
        site.public_log = public_log
    if auto_close is not None:
        site.auto_close = auto_close
    for field, value in (("limit_reader", limit_reader), ("limit_site", limit_site)):
        if value is None:
            continue
        value = value.strip()
        if value and not valid_limit(value):
            errors[field] = _('must be in the form "300/hour" or "5/5 minutes;30/day"')
        else:
            setattr(site, field, value or None)
    if errors:
        raise FieldErrors(errors)
    forget(site.key)  # ingest in this process sees the change at once (others within its TTL)
    return site


def create_site(session: Session, name: str, origins: Iterable[str],
                notify_emails: Iterable[str] = (), default_lang: str = "en") -> Site:
    site = Site(key=new_key(), origins=[], notify_emails=[])
    apply_changes(site, name=name, origins=origins, notify_emails=notify_emails,
                  default_lang=default_lang)
    if not site.origins:
        raise FieldErrors({"origins": _("at least one origin (https://example.org) is required")})
    session.add(site)
    session.flush()
    return site


def site_by_key(session: Session, key: str) -> Site | None:
    return session.scalar(select(Site).where(Site.key == key))


def snippet_url() -> str:
    return current_app.config["ERRATA_BASE_URL"].rstrip("/") + "/static/js/errata.js"


def embed_code(site: Site) -> str:
    """The one line a site owner pastes before ``</body>``.

    It carries the site's default language, so the reader dialog knows it without asking
    us (a page's own ``lang`` and an owner's ``data-lang`` still come first).
    """
    return (f'<script src="{snippet_url()}" data-site="{site.key}" '
            f'data-default-lang="{site.default_lang}" defer></script>')
