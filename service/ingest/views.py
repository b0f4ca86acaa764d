"""``POST /api/v1/reports`` (the snippet's endpoint) and ``GET /healthz``.

The view only parses the request and answers; the work is in plain functions
(``validation.parse_report``, ``batch.group_commit``, ``reports.submit_reports``,
``limits.check_many``).
"""

from __future__ import annotations

import logging

from flask import Blueprint, Response, current_app, g, jsonify, request
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError, OperationalError

from service import counters
from service.extensions import db
from service.ingest import limits
from service.ingest.batch import Job, StoreFailed, group_commit, write_transaction
from service.ingest.messages import message
from service.ingest.reports import Pending
from service.ingest.sitecache import get_site
from service.ingest.urls import BadURL, origin_of
from service.ingest.validation import MAX_BODY, ValidationFailed, decode_body, parse_report
from service.moderation import blocks
from service.privacy import ip_hash, ip_hashes
from service.sanitize import clean_text

log = logging.getLogger(__name__)
bp = Blueprint("ingest", __name__)

ACCEPTED_TYPES = {"text/plain", "application/json"}
PREFLIGHT_MAX_AGE = "86400"
DB_RETRY_AFTER = "5"


def error(status: int, code: str, fields: dict[str, str] | None = None,
          headers: dict[str, str] | None = None) -> Response:
    """A JSON error: ``message`` is one sentence for the reader, in the page's language."""
    body: dict[str, object] = {"error": code, "message": message(code, g.get("report_lang"))}
    if fields:
        body["fields"] = fields
    resp = jsonify(body)
    resp.status_code = status
    for k, v in (headers or {}).items():
        resp.headers[k] = v
    return resp


def _request_origin() -> str | None:
    origin = request.headers.get("Origin")
    if origin:
        return None if origin == "null" else origin
    referer = request.headers.get("Referer")
    if referer:
        try:
            return origin_of(referer)
        except BadURL:
            return None
    return None


@bp.after_request
def _cors(resp: Response) -> Response:
    if request.endpoint not in ("ingest.create_report", "ingest.preflight"):
        return resp
    origin = request.headers.get("Origin")
    if origin:
        # Echoed on errors too, so the snippet can show the reader our message. Nothing on
        # this endpoint depends on cookies (the snippet sends none), so this grants nothing.
        resp.headers["Access-Control-Allow-Origin"] = origin
        resp.headers["Access-Control-Expose-Headers"] = "Retry-After"
    resp.vary.add("Origin")
    resp.headers["Cache-Control"] = "no-store"
    return resp


@bp.route("/api/v1/reports", methods=["OPTIONS"])
def preflight() -> Response:
    resp = Response(status=204)
    resp.headers["Access-Control-Allow-Methods"] = "POST, OPTIONS"
    resp.headers["Access-Control-Allow-Headers"] = "Content-Type"
    resp.headers["Access-Control-Max-Age"] = PREFLIGHT_MAX_AGE
    return resp


@bp.post("/api/v1/reports")
def create_report() -> Response:
    if request.mimetype not in ACCEPTED_TYPES:
        return error(415, "unsupported_media_type")
    if request.content_length is not None and request.content_length > MAX_BODY:
        return error(413, "too_large", {"body": f"must be at most {MAX_BODY // 1024} KiB"})
    raw = request.stream.read(MAX_BODY + 1)
    if len(raw) > MAX_BODY:
        return error(413, "too_large", {"body": f"must be at most {MAX_BODY // 1024} KiB"})
    # Every request counts toward the per-IP budget before its body is parsed or cleaned:
    # valid or not, from a person or a bot, a flood meets 429.
    hashed = ip_hash()
    breach = limits.check_ip(hashed)
    if breach is not None:
        return error(429, "rate_limited", headers={"Retry-After": str(breach.retry_after)})
    try:
        body = decode_body(raw)
        if isinstance(body.get("lang"), str):
            g.report_lang = body["lang"]
        data = parse_report(body)
    except ValidationFailed as exc:
        return error(400, "invalid", exc.fields)

    try:
        return _accept(data, hashed)
    except (OperationalError, DBAPIError, StoreFailed) as exc:
        if isinstance(exc, StoreFailed) and not exc.database:
            raise  # a bug, not the database: a 500, with the cause in the log
        db.session.rollback()
        log.exception("database unavailable during ingest")
        return error(503, "unavailable", headers={"Retry-After": DB_RETRY_AFTER})


def _accept(data, hashed: str) -> Response:
    site = get_site(db.session, data.site)
    if site is None or not site.active:
        return error(404, "unknown_site", {"site": "is not a known, active site key"})
    origin = _request_origin()
    if origin is None or not site.allows_origin(origin):
        return error(403, "origin_not_allowed",
                     {"origin": f"{origin or 'missing'} is not an allowed origin of this site"})
    if not site.allows_origin(data.page_origin):
        return error(403, "origin_not_allowed",
                     {"url": f"{data.page_origin} is not an allowed origin of this site"})

    min_elapsed = current_app.config["ERRATA_MIN_ELAPSED_MS"]
    discard = None
    block_id = blocks.is_blocked(db.session, site.id, ip_hashes())
    if block_id is not None:
        discard = "blocked"  # like the bots below: told nothing, and nothing is kept
    elif data.hp:
        discard = "honeypot"
    elif data.elapsed_ms < min_elapsed:
        discard = "too_fast"
    # The site and block lookups may have read the database: end that read, so the write
    # below (or the batch's) begins fresh (BEGIN IMMEDIATE on SQLite).
    db.session.commit()
    if discard:
        # Answered like a success so a bot learns nothing; only counted.
        with write_transaction(db.session):
            counters.bump(db.session, site.id, discard)
            if block_id is not None:
                blocks.count_stopped(db.session, block_id)
        return _json(202, {"status": "accepted"})

    pending = Pending(site_id=site.id, data=data, origin=origin, ip_hash=hashed,
                      user_agent=_user_agent())
    result = group_commit().submit(Job(site=site, pending=pending))
    if isinstance(result, limits.Breach):
        return error(429, "rate_limited", headers={"Retry-After": str(result.retry_after)})
    body: dict[str, object] = {"id": result.report_id, "correction": result.correction_id}
    if result.created:
        body["status"] = "new"
    else:
        body.update(status="grouped", count=result.count)
    return _json(201 if result.created else 200, body)


def _user_agent() -> str | None:
    # A header is attacker-chosen text like any field: a NUL byte in it would make
    # PostgreSQL refuse the row (and the reader be told to retry forever).
    raw = request.headers.get("User-Agent")
    return clean_text(raw)[:400] or None if raw else None


def _json(status: int, body: dict[str, object]) -> Response:
    resp = jsonify(body)
    resp.status_code = status
    return resp


@bp.get("/healthz")
def healthz() -> Response:
    try:
        db.session.execute(text("SELECT 1"))
        db.session.rollback()
    except Exception:  # noqa: BLE001 - any failure means "not healthy"
        log.exception("health check: database unreachable")
        return _json(503, {"status": "unhealthy", "database": "unreachable"})
    from service.heartbeats import report

    loops, warnings = report(db.session)
    db.session.rollback()
    # The web process is healthy either way (200): a stale loop is a warning for whoever
    # watches, not a reason to take this server out of a load balancer.
    return _json(200, {"status": "ok", "database": "ok", "loops": loops,
                       "warnings": warnings})


@bp.get("/api/v1/openapi.json")
def openapi_document() -> Response:
    """The OpenAPI 3 description of this API (service/ingest/openapi.py)."""
    from service.ingest.openapi import spec

    resp = jsonify(spec(current_app.config["ERRATA_BASE_URL"]))
    resp.headers["Access-Control-Allow-Origin"] = "*"
    resp.headers["Cache-Control"] = "public, max-age=3600"
    return resp
