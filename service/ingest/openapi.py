"""The OpenAPI 3 description of the public ingest API, served at ``/api/v1/openapi.json``.

It documents what the snippet (or any other client) may send and every answer it can get,
so integrators need not read our code, and the fuzz test (tests/test_api_fuzz.py) can
generate requests from it. Field limits come from the validator, so the two cannot drift.
"""

from __future__ import annotations

from typing import Any

from service import __version__
from service.api import openapi as api_openapi
from service.ingest.validation import _TEXT_FIELDS, MAX_BODY, MAX_INT
from service.models import KINDS

_DESCRIPTIONS = {
    "site": "The site's key, from the embed code.",
    "url": "The page's address (an allowed origin of the site); the fragment is ignored.",
    "canonical": "The page's canonical link; groups reports of one article under several URLs.",
    "title": "The page's title.",
    "lang": "The page's language (BCP 47).",
    "exact": "The selected text: the error.",
    "prefix": "Text just before the selection.",
    "suffix": "Text just after the selection.",
    "kind": "What is wrong.",
    "suggestion": "The reader's correction; one identical to exact is no suggestion.",
    "comment": "A note from the reader; several lines allowed.",
    "email": "Kept only when notify is true, to tell the reader about the fix.",
    "hp": "Honeypot: left empty by people. Filled in, the report is accepted and discarded.",
    "client": "Name and version of the sending script.",
}


def _report_schema() -> dict[str, Any]:
    props: dict[str, Any] = {}
    for name, (limit, _required, _multiline) in _TEXT_FIELDS.items():
        prop: dict[str, Any] = {"type": "string", "maxLength": limit,
                                "description": _DESCRIPTIONS.get(name, "")}
        if name in ("url", "canonical"):
            prop["format"] = "uri"
        if name == "email":
            prop["format"] = "email"
        if name == "kind":
            prop["enum"] = list(KINDS)
            prop["default"] = "typo"
        props[name] = prop
    for name in ("start", "end"):
        props[name] = {"type": "integer", "minimum": 0, "maximum": MAX_INT,
                       "description": f"Character offset of the selection's {name} in the text."}
    props["elapsed_ms"] = {
        "type": "integer", "minimum": 0, "maximum": MAX_INT,
        "description": "Milliseconds between opening the dialog and sending. Required: "
                       "below the server's minimum (at most 800, what the snippet waits) the "
                       "report is taken for a bot's and discarded with a 202.",
    }
    props["notify"] = {"type": "boolean", "default": False,
                       "description": "Tell me when it is fixed (needs email)."}
    return {
        "type": "object",
        "required": ["site", "url", "exact", "elapsed_ms"],
        "properties": props,
        "additionalProperties": True,
        "description": f"At most {MAX_BODY // 1024} KiB of UTF-8 JSON. Unknown fields are "
                       "ignored; HTML in text fields is stripped before storing. A text "
                       "field holding a lone UTF-16 surrogate is refused (400).",
    }


def _error(description: str, retry_after: bool = False) -> dict[str, Any]:
    out: dict[str, Any] = {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
    }
    if retry_after:
        out["headers"] = {"Retry-After": {"description": "Seconds to wait before retrying.",
                                          "schema": {"type": "integer"}}}
    return out


def _ok(description: str) -> dict[str, Any]:
    return {"description": description,
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Stored"}}}}


def spec(base_url: str = "") -> dict[str, Any]:
    report = {"$ref": "#/components/schemas/Report"}
    doc: dict[str, Any] = {
        "openapi": "3.0.3",
        "info": {
            "title": "Errata API",
            "version": __version__,
            "description": "Reader error reports from the Errata snippet (public, CORS-enabled, "
                           "cookie-free, rate-limited per reader, per site and per IP), and "
                           "the corrections API for newsroom tools (a site's bearer token, "
                           "rate-limited per token). See docs/api.md.",
        },
        "paths": {
            "/api/v1/reports": {
                "post": {
                    "operationId": "createReport",
                    "summary": "Send one reader's error report",
                    "description": "The request must come from a page on one of the site's "
                                   "allowed origins (Origin or Referer header).",
                    "parameters": [{
                        "name": "Origin", "in": "header", "required": False,
                        "schema": {"type": "string"},
                        "description": "The page's origin; set by the browser.",
                    }],
                    "requestBody": {"required": True, "content": {
                        # text/plain keeps the snippet's request "simple": no preflight.
                        "text/plain": {"schema": report},
                        "application/json": {"schema": report},
                    }},
                    "responses": {
                        "201": _ok("Stored; a new correction was opened."),
                        "200": _ok("Stored and grouped with earlier reports of the same spot."),
                        "202": {"description": "Accepted (answer given to bots and blocked "
                                               "readers too; nothing is stored for them).",
                                "content": {"application/json": {"schema": {
                                    "type": "object",
                                    "properties": {"status": {"type": "string"}}}}}},
                        "400": _error("A field is not valid (too long, a broken character, "
                                      "a number too large, missing); `fields` names each "
                                      "one."),
                        "403": _error("The page is not on an allowed origin of this site."),
                        "404": _error("No active site has this key."),
                        "413": _error(f"The body is over {MAX_BODY // 1024} KiB."),
                        "415": _error("The body is not text/plain or application/json."),
                        "429": _error("Too many reports, or too many requests from this "
                                      "IP (every request counts, valid or not); retry after "
                                      "Retry-After seconds.",
                                      retry_after=True),
                        "503": _error("The database is unavailable; retry after Retry-After "
                                      "seconds.", retry_after=True),
                    },
                },
                "options": {
                    "operationId": "preflightReport",
                    "summary": "CORS preflight",
                    "responses": {"204": {"description": "Allowed methods and headers."}},
                },
            },
            "/healthz": {
                "get": {
                    "operationId": "health",
                    "summary": "Health check for load balancers",
                    "responses": {
                        "200": {"description": "Serving, database reachable.",
                                "content": {"application/json": {"schema": {
                                    "$ref": "#/components/schemas/Health"}}}},
                        "503": {"description": "The database is unreachable.",
                                "content": {"application/json": {"schema": {
                                    "$ref": "#/components/schemas/Health"}}}},
                    },
                },
            },
            "/api/v1/openapi.json": {
                "get": {
                    "operationId": "openapi",
                    "summary": "This description",
                    "responses": {"200": {"description": "OpenAPI 3 document.",
                                          "content": {"application/json": {}}}},
                },
            },
        },
        "components": {"schemas": {
            "Report": _report_schema(),
            "Stored": {
                "type": "object",
                "required": ["id", "correction", "status"],
                "properties": {
                    "id": {"type": "integer", "description": "The report."},
                    "correction": {"type": "integer", "description": "Its correction."},
                    "status": {"type": "string", "enum": ["new", "grouped"]},
                    "count": {"type": "integer", "description": "Reports of this spot so far."},
                },
            },
            "Error": {
                "type": "object",
                "required": ["error", "message"],
                "properties": {
                    "error": {"type": "string", "description": "Machine-readable code."},
                    "message": {"type": "string", "description": "A sentence for people."},
                    "fields": {"type": "object", "additionalProperties": {"type": "string"}},
                },
            },
            "Health": {
                "type": "object",
                "properties": {
                    "status": {"type": "string"},
                    "database": {"type": "string"},
                    "loops": {"type": "object", "description": "Each background loop's last "
                              "heartbeat; stale after 2 minutes.",
                              "additionalProperties": {"type": "object", "properties": {
                                  "last_heartbeat": {"type": "string", "nullable": True},
                                  "age_seconds": {"type": "integer", "nullable": True},
                                  "stale": {"type": "boolean"},
                                  "detail": {"type": "string"}}}},
                    "warnings": {"type": "array", "items": {"type": "string"}},
                },
            },
            **api_openapi.schemas(),
        }, "securitySchemes": api_openapi.SECURITY_SCHEMES},
    }
    doc["paths"].update(api_openapi.paths())
    if base_url:
        doc["servers"] = [{"url": base_url}]
    return doc
