"""Languages and time zones: Flask-Babel, the catalogs, and the helpers every page and mail uses.

Catalog sources are ``translations/<lang>/LC_MESSAGES/<domain>.po`` (``messages`` for the
service, ``snippet`` for the reader snippet). The compiled ``.mo`` files are never committed:
:func:`compile_catalogs` builds them when the app starts, next to their sources when that
folder is writable (a checkout), else under ``instance/translations`` (a read-only install).
A language is available when its folder has a ``messages.po``; adding one is adding a folder
(docs/i18n.md).

Who sees which language and zone:
- a logged-in person: their own setting (Settings), else the browser's Accept-Language;
- anyone else: Accept-Language, then a fallback a view may set (a site's default language
  on reader-facing pages), then ``ERRATA_DEFAULT_LANGUAGE``;
- mail: the recipient's, set with :func:`speaking` around the rendering.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from io import BytesIO
from pathlib import Path

import pytz
from babel import Locale, UnknownLocaleError
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from flask import Flask, current_app, g, has_request_context, request
from flask_babel import (
    format_datetime,
    format_timedelta,
    get_locale,
    gettext,
    ngettext,
    refresh,
)
from flask_babel.speaklater import LazyString
from flask_login import current_user
from markupsafe import Markup, escape

from service.extensions import babel
from service.models import utcnow

# For Python code; Jinja gets ``_``, ``gettext`` and ``ngettext`` from Flask-Babel itself.
_ = gettext


class _LazyText(LazyString):
    """Flask-Babel's lazy string, escaped like any other text when a template prints it
    (Flask-Babel's own passes itself off as safe markup)."""

    def __html__(self) -> Markup:
        return escape(str(self))


def lazy_gettext(string: str, **variables) -> _LazyText:
    """:func:`gettext` when the text is used, not when it is defined (labels, constants)."""
    return _LazyText(gettext, string, **variables)


def lazy_ngettext(singular: str, plural: str, num: int, **variables) -> _LazyText:
    return _LazyText(ngettext, singular, plural, num, **variables)
__all__ = ["_", "gettext", "lazy_gettext", "lazy_ngettext", "ngettext", "speaking", "when",
           "ago", "languages", "time_zones", "valid_time_zone", "best_language"]


def init_app(app: Flask) -> None:
    """Compile the catalogs if needed and attach Flask-Babel with our selectors."""
    source = Path(app.config["ERRATA_TRANSLATIONS_DIR"])
    compiled = compile_catalogs(source, Path(app.instance_path) / "translations")
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = str(compiled)
    app.config["BABEL_DEFAULT_LOCALE"] = app.config["ERRATA_DEFAULT_LANGUAGE"]
    app.config["BABEL_DEFAULT_TIMEZONE"] = app.config["ERRATA_DEFAULT_TIMEZONE"]
    app.extensions["errata_languages"] = tuple(sorted(
        p.parent.parent.name for p in source.glob("*/LC_MESSAGES/messages.po")))
    babel.init_app(app, locale_selector=_select_locale, timezone_selector=_select_timezone)
    # {% trans %} blocks read as the sentence they are: whitespace inside them is collapsed.
    app.jinja_env.policies["ext.i18n.trimmed"] = True
    app.jinja_env.filters.update(when=when, ago=ago)
    app.jinja_env.globals.update(current_language=current_language, languages=languages,
                                 language_name=language_name, time_tag=time_tag)


# -- catalogs --------------------------------------------------------------------------------

def compile_catalogs(source: Path, fallback: Path) -> Path:
    """Compile every ``.po`` under ``source`` whose ``.mo`` is missing or older.

    The ``.mo`` goes next to its ``.po`` (gitignored) when ``source`` is writable, else under
    ``fallback``. Each file is written under a unique name and renamed into place, so workers
    starting together never read half a catalog. Fuzzy entries are left out, as gettext does.
    Returns the folder Flask-Babel should read.
    """
    target = source if os.access(source, os.W_OK) else fallback
    for po in sorted(source.glob("*/LC_MESSAGES/*.po")):
        mo = target / po.relative_to(source).with_suffix(".mo")
        if mo.exists() and mo.stat().st_mtime >= po.stat().st_mtime:
            continue
        with po.open("rb") as fh:
            catalog = read_po(fh, locale=po.parent.parent.name, domain=po.stem)
        buf = BytesIO()
        write_mo(buf, catalog)
        mo.parent.mkdir(parents=True, exist_ok=True)
        tmp = mo.with_name(f".{mo.name}.{uuid.uuid4().hex}")
        tmp.write_bytes(buf.getvalue())
        os.replace(tmp, mo)
    return target


def languages() -> list[tuple[str, str]]:
    """``(code, name)`` of every language with a catalog, each named in itself: Русский."""
    out = []
    for code in current_app.extensions["errata_languages"]:
        try:
            name = Locale.parse(code).get_display_name(code) or code
        except (UnknownLocaleError, ValueError):
            name = code
        out.append((code, name[:1].upper() + name[1:]))
    return out


def language_name(code: str | None) -> str:
    """A language code as words in the current language: ``ru`` → "Russian" / «русский»."""
    if not code:
        return ""
    try:
        return Locale.parse(code.replace("-", "_")).get_display_name(current_language()) or code
    except (UnknownLocaleError, ValueError):
        return code


def language_choices() -> list[tuple[str, str]]:
    """``(code, label)`` for a select of languages: "Russian (Русский)" on an English page,
    «Русский» on a Russian one."""
    out = []
    for code, own in languages():
        here = language_name(code)
        here = here[:1].upper() + here[1:]
        out.append((code, own if here == own else f"{here} ({own})"))
    return out


def language_codes() -> tuple[str, ...]:
    return current_app.extensions["errata_languages"]


def best_language(accept: str | None = None) -> str | None:
    """The best of our languages for an Accept-Language header (this request's by default)."""
    if accept is None:
        if not has_request_context():
            return None
        return request.accept_languages.best_match(language_codes())
    from werkzeug.datastructures import LanguageAccept
    from werkzeug.http import parse_accept_header

    return parse_accept_header(accept, LanguageAccept).best_match(language_codes())


def normalise_language(code: str | None) -> str | None:
    """``ru-RU`` → ``ru`` when we have ``ru``; None when we have nothing close."""
    if not code:
        return None
    code = code.strip().replace("_", "-").lower()
    codes = language_codes()
    if code in codes:
        return code
    primary = code.split("-", 1)[0]
    return primary if primary in codes else None


def current_language() -> str:
    return str(get_locale() or current_app.config["ERRATA_DEFAULT_LANGUAGE"])


def _select_locale() -> str:
    forced = g.get("errata_language")
    if forced:
        return forced
    if has_request_context():
        own = getattr(current_user, "language", None) if current_user else None
        if own and own in language_codes():
            return own
        best = best_language()
        if best:
            return best
    fallback = normalise_language(g.get("errata_fallback_language"))
    return fallback or current_app.config["ERRATA_DEFAULT_LANGUAGE"]


def _select_timezone() -> str:
    forced = g.get("errata_timezone")
    if forced:
        return forced
    if has_request_context() and current_user:
        own = getattr(current_user, "timezone", None)
        if own and valid_time_zone(own):
            return own
    return current_app.config["ERRATA_DEFAULT_TIMEZONE"]


def fall_back_to(language: str | None) -> None:
    """On a reader-facing page: when the browser names none of our languages, use this one
    (a site's default language) rather than the service's."""
    g.errata_fallback_language = language
    refresh()


@contextmanager
def speaking(language: str | None, timezone: str | None = None) -> Iterator[None]:
    """Render in ``language`` and ``timezone`` inside the block (mail to one person).

    Unknown or empty values keep what the block would have had anyway.
    """
    saved = (g.get("errata_language"), g.get("errata_timezone"))
    g.errata_language = normalise_language(language) or saved[0]
    g.errata_timezone = timezone if timezone and valid_time_zone(timezone) else saved[1]
    refresh()
    try:
        yield
    finally:
        g.errata_language, g.errata_timezone = saved
        refresh()


@contextmanager
def speaking_to(person) -> Iterator[None]:
    """:func:`speaking` in an editor's own language and zone."""
    with speaking(getattr(person, "language", None), getattr(person, "timezone", None)):
        yield


def field_error(label: str, problem: str) -> str:
    """An error under a form field from a plain function's fragment: "Name is required." in
    English, «Название: обязательное поле.» in Russian. A whole sentence stays as it is."""
    problem = str(problem)
    if problem[:1].isupper():
        return problem
    return gettext("%(field)s %(problem)s.", field=label, problem=problem)


# -- time zones ------------------------------------------------------------------------------

def valid_time_zone(name: str | None) -> bool:
    return bool(name) and name in pytz.all_timezones_set


def time_zones(keep: str | None = None) -> list[str]:
    """The zones offered in Settings: the IANA list people recognise (Europe/Moscow…), plus
    ``keep`` when it is a valid zone outside that list (a browser may report one)."""
    zones = list(pytz.common_timezones)
    if keep and keep not in pytz.common_timezones_set and valid_time_zone(keep):
        zones.append(keep)
    return zones


def first_defaults(person, reported_zone: str | None) -> None:
    """At a person's first login: their language from the browser's Accept-Language and their
    zone as the browser reported it. Later logins change nothing; Settings does."""
    if not person.language:
        person.language = best_language() or current_language()
    if not person.timezone and valid_time_zone(reported_zone):
        person.timezone = reported_zone


# -- formatting ------------------------------------------------------------------------------

def when(dt: datetime | None, format: str = "medium") -> str:  # noqa: A002 - Babel's name
    """A moment in the current person's zone and language: «30 нояб. 2026 г., 14:05».

    ``format`` is Babel's: short, medium, long, full, or a pattern such as ``d MMMM, HH:mm``.
    """
    if dt is None:
        return ""
    return format_datetime(dt, format)


def ago(dt: datetime | None) -> str:
    """How long ago, in words: «3 часа назад», "3 hours ago"; the exact moment goes in the
    ``<time>`` element's title (:func:`when`)."""
    if dt is None:
        return ""
    delta = dt - utcnow()
    if abs(delta) < timedelta(minutes=1):
        return gettext("just now")
    return format_timedelta(delta, granularity="minute", add_direction=True, threshold=0.9)


def time_tag(dt: datetime | None) -> Markup:
    """``<time>`` with the age as text and the exact local moment as its title."""
    if dt is None:
        return Markup("")
    return Markup('<time datetime="{iso}" title="{exact}">{age}</time>').format(
        iso=dt.isoformat(), exact=when(dt, "long"), age=escape(ago(dt)))
