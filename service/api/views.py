"""The token API for newsroom tools: ``/api/v1/corrections`` (docs/api.md).

Every answer is JSON; errors are ``{error, message}`` (plus ``fields`` for bad input). A
correction of another site is "not found", never "forbidden". The work is done by the same
functions as the editors' buttons (``queue.actions``, ``pagecheck``), so history, thank-you
mail and page checks behave the same.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from typing import Any

from flask import Blueprint, Response, current_app, g, jsonify, request
from sqlalchemy import and_, or_, select
from sqlalchemy.orm import selectinload

from service.api.serialize import correction_json
from service.api.tokens import authenticate
from service.extensions import db, limiter
from service.models import OPEN_STATUSES, STATUSES, Correction
from service.network import client_network
from service.pagecheck import runner as pagecheck_runner
from service.queue import actions
from service.queue.listing import fits_int

bp = Blueprint("api", __name__, url_prefix="/api/v1")

STATUS_FILTERS: dict[str, tuple[str, ...]] = {
    "open": OPEN_STATUSES, "all": STATUSES, **{s: (s,) for s in STATUSES}}
PAGE_SIZE = 50
MAX_PAGE_SIZE = 200
MAX_NOTE = actions.MAX_NOTE
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _error(status: int, error: str, message: str, **extra: Any) -> Response:
    resp = jsonify({"error": error, "message": message, **extra})
    resp.status_code = status
    if status == 401:
        resp.headers["WWW-Authenticate"] = 'Bearer realm="errata"'
    return resp


def _bad(fields: dict[str, str]) -> Response:
    message = "; ".join(f"{name} {problem}" for name, problem in fields.items())
    return _error(400, "invalid", f"Check the request: {message}.", fields=fields)


def _bearer() -> str:
    header = request.headers.get("Authorization", "")
    scheme, _, raw = header.partition(" ")
    return raw.strip() if scheme.lower() == "bearer" else ""


def _limit_key() -> str:
    """Limits count per token (its hash; no database needed), or per address without one."""
    raw = _bearer()
    if raw:
        return "api-token:" + hashlib.sha256(raw.encode("utf-8", "surrogatepass")).hexdigest()
    return "api-anonymous:" + client_network()


limiter.limit(lambda: current_app.config["ERRATA_API_LIMIT"], key_func=_limit_key,
              error_message="Too many requests with this token; wait a little.")(bp)


@bp.before_request
def _authenticate() -> Response | None:
    raw = _bearer()
    token = authenticate(db.session, raw) if raw else None
    if token is None:
        return _error(401, "unauthorized",
                      "Send a valid API token: Authorization: Bearer TOKEN." if raw
                      else "This API needs a token: Authorization: Bearer TOKEN.")
    g.api_token = token
    return None


def _correction(correction_id: int) -> Correction | None:
    """The token's site's correction, or None (another site's is not found, not forbidden)."""
    if not fits_int(correction_id):
        return None
    c = db.session.get(Correction, correction_id, options=[selectinload(Correction.site)])
    return c if c is not None and c.site_id == g.api_token.site_id else None


def _not_found(correction_id: int) -> Response:
    return _error(404, "not_found", f"There is no correction {correction_id} for this token.")


# -- cursors ---------------------------------------------------------------------------------

def encode_cursor(c: Correction) -> str:
    return f"{(c.updated_at - _EPOCH) // timedelta(microseconds=1)}_{c.id}"


def decode_cursor(cursor: str) -> tuple[datetime, int] | None:
    try:
        raw_key, raw_id = cursor.split("_", 1)
        micros, row_id = int(raw_key), int(raw_id)
        when = _EPOCH + timedelta(microseconds=micros)
    except (ValueError, OverflowError):
        return None
    return (when, row_id) if fits_int(row_id) else None


def parse_time(value: str) -> datetime | None:
    """ISO 8601 with a time zone (``Z`` or an offset); a date or a time without zone is UTC."""
    try:
        when = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    try:
        return when.astimezone(UTC)
    except (OverflowError, ValueError):
        return None


# -- endpoints -------------------------------------------------------------------------------

@bp.get("/corrections")
def list_corrections() -> Response:
    args = request.args
    fields: dict[str, str] = {}
    status = args.get("status", "open")
    if status not in STATUS_FILTERS:
        fields["status"] = "must be one of " + ", ".join(STATUS_FILTERS)
    since = None
    if args.get("updated_since"):
        since = parse_time(args["updated_since"])
        if since is None:
            fields["updated_since"] = ("must be an ISO 8601 date and time, e.g. "
                                       "2026-11-30T08:00:00Z")
    after = None
    if args.get("after"):
        after = decode_cursor(args["after"])
        if after is None:
            fields["after"] = "must be the `next` value of a previous answer"
    limit = PAGE_SIZE
    if args.get("limit"):
        raw = args["limit"]
        limit = int(raw) if raw.isdigit() and len(raw) < 5 else 0
        if not 1 <= limit <= MAX_PAGE_SIZE:
            fields["limit"] = f"must be a whole number from 1 to {MAX_PAGE_SIZE}"
    if fields:
        return _bad(fields)
    c = Correction
    stmt = select(c).where(c.site_id == g.api_token.site_id,
                           c.status.in_(STATUS_FILTERS[status]))
    if since is not None:
        stmt = stmt.where(c.updated_at >= since)
    if after is not None:
        key, row_id = after
        # Written as a range start on (site_id, updated_at, id), as the queue's cursors are.
        stmt = stmt.where(and_(c.updated_at >= key, or_(c.updated_at > key, c.id > row_id)))
    rows = list(db.session.scalars(stmt.options(selectinload(c.site))
                                   .order_by(c.updated_at, c.id).limit(limit + 1)))
    more = len(rows) > limit
    rows = rows[:limit]
    return jsonify({"items": [correction_json(r) for r in rows],
                    "next": encode_cursor(rows[-1]) if more else None})


@bp.get("/corrections/<int:correction_id>")
def get_correction(correction_id: int) -> Response:
    correction = _correction(correction_id)
    if correction is None:
        return _not_found(correction_id)
    return jsonify(correction_json(correction))


API_STATUSES = ("fixed", "rejected", "spam", "new", "in_progress")


def _text(body: dict, name: str, limit: int, fields: dict[str, str]) -> str | None:
    value = body.get(name)
    if value is None:
        return None
    if not isinstance(value, str):
        fields[name] = "must be a string"
        return None
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        fields[name] = "must be valid Unicode text (it has a lone surrogate)"
        return None
    if len(value) > limit:
        fields[name] = f"must be at most {limit} characters"
        return None
    return value


@bp.post("/corrections/<int:correction_id>/status")
def set_status(correction_id: int) -> Response:
    correction = _correction(correction_id)
    if correction is None:
        return _not_found(correction_id)
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        return _bad({"body": 'must be a JSON object, e.g. {"status": "fixed"}'})
    fields: dict[str, str] = {}
    status = body.get("status")
    if status not in API_STATUSES:
        fields["status"] = "must be one of " + ", ".join(API_STATUSES)
    note = _text(body, "note", MAX_NOTE, fields)
    applied_fix = _text(body, "applied_fix", actions.MAX_FIX, fields)
    if applied_fix is not None and status != "fixed":
        fields["applied_fix"] = "goes only with the status fixed"
    if fields:
        return _bad(fields)
    actor = g.api_token.name
    try:
        if status in OPEN_STATUSES:
            event = actions.change_status(db.session, correction, None, "reopen", note or "",
                                          actor=actor, reopen_as=status)
        else:
            event = actions.change_status(db.session, correction, None, status, note or "",
                                          applied_fix, actor=actor)
    except actions.ActionError as exc:
        db.session.rollback()
        return _error(400, "invalid", str(exc), fields={"note": str(exc)})
    db.session.commit()
    if event is not None and status == "fixed" and current_app.config["ERRATA_PAGE_CHECKS"]:
        pagecheck_runner.start_check(correction.id)  # as after an editor's "Fixed"
    return jsonify(correction_json(correction))


@bp.post("/corrections/<int:correction_id>/check")
def check(correction_id: int) -> Response:
    correction = _correction(correction_id)
    if correction is None:
        return _not_found(correction_id)
    done = pagecheck_runner.check_and_wait(correction.id)
    # End this request's read transaction: the check committed on another connection.
    db.session.rollback()
    correction = _correction(correction_id)
    if correction is None:  # deleted meanwhile (a purge)
        return _not_found(correction_id)
    resp = jsonify(correction_json(correction))
    if done is None:
        # Still fetching after 10 s: the previous state, and a check that goes on.
        resp.status_code = 202
        resp.headers["Errata-Check"] = "running"
        resp.headers["Retry-After"] = "10"
    else:
        resp.headers["Errata-Check"] = "done"
    return resp
