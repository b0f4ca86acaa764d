"""The token API's part of ``/api/v1/openapi.json`` (merged by ``service.ingest.openapi``).

The ``Correction`` schema is built from ``serialize.FIELDS``, so the document and the
answers cannot drift apart.
"""

from __future__ import annotations

from typing import Any

from service.api.serialize import FIELDS
from service.api.views import API_STATUSES, MAX_PAGE_SIZE, PAGE_SIZE, STATUS_FILTERS
from service.models import KINDS, STATUSES

_TS = {"type": "string", "format": "date-time"}
_NULLABLE_TS = {"type": "string", "nullable": True, "format": "date-time"}
_FIELD_SCHEMAS: dict[str, dict[str, Any]] = {
    "id": {"type": "integer", "description": "The correction's number (as in the queue)."},
    "site": {"type": "string", "description": "The site's key."},
    "status": {"type": "string", "enum": list(STATUSES)},
    "url": {"type": "string", "description": "The article's address (normalised)."},
    "title": {"type": "string", "description": "The article's title as readers saw it."},
    "exact": {"type": "string", "description": "The reported text: the error."},
    "prefix": {"type": "string", "description": "Text just before it on the page."},
    "suffix": {"type": "string", "description": "Text just after it on the page."},
    "suggestion": {"type": "string", "nullable": True,
                   "description": "The first reader's correction."},
    "kind": {"type": "string", "enum": list(KINDS)},
    "updated_at": {**_TS, "description": "The last change: a report, a status, an "
                                         "assignment, a page check with a new result."},
    "report_count": {"type": "integer", "minimum": 1},
    "first_reported_at": _TS,
    "last_reported_at": _TS,
    "page_state": {"type": "string", "nullable": True, "enum": ["present", "gone", "unknown", None],
                   "description": "The last page check: is the quote still on the page? "
                                  "null: never checked."},
    "page_checked_at": _NULLABLE_TS,
    "link": {"type": "string", "nullable": True, "description": "A link that opens the article at "
                                                        "the error (Text Fragment)."},
    "applied_fix": {"type": "string", "nullable": True,
                    "description": "The text published as the fix, when recorded."},
}
assert set(_FIELD_SCHEMAS) == set(FIELDS)

_ERRORS = {
    "401": "A missing or unknown token.",
    "404": "No such correction for this token's site.",
    "429": "Too many requests with this token; wait and try again.",
}


def _error_responses(*codes: str) -> dict[str, Any]:
    out = {}
    for code in codes:
        description = {"400": "Bad input; `fields` names each problem."}.get(code) or _ERRORS[code]
        out[code] = {"description": description, "content": {"application/json": {
            "schema": {"$ref": "#/components/schemas/Error"}}}}
    return out


def _id_param() -> dict[str, Any]:
    return {"name": "correction_id", "in": "path", "required": True,
            "schema": {"type": "integer", "minimum": 1, "maximum": 2**31 - 1}}


def _one(description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {
        "schema": {"$ref": "#/components/schemas/Correction"}}}}


def paths() -> dict[str, Any]:
    secured = [{"token": []}]
    return {
        "/api/v1/corrections": {"get": {
            "operationId": "listCorrections",
            "summary": "The token's site's corrections, oldest change first",
            "description": "Keyset-paginated on (updated_at, id): pass `next` as `after` "
                           "to get the following page; `next` is null on the last one.",
            "security": secured,
            "parameters": [
                {"name": "status", "in": "query", "schema": {
                    "type": "string", "enum": list(STATUS_FILTERS), "default": "open"},
                 "description": "open = new and in progress."},
                {"name": "updated_since", "in": "query", "schema": {
                    "type": "string", "format": "date-time"},
                 "description": "Only corrections changed at or after this moment "
                                "(ISO 8601; without a zone, UTC)."},
                {"name": "after", "in": "query", "schema": {"type": "string"},
                 "description": "The `next` value of the previous page."},
                {"name": "limit", "in": "query", "schema": {
                    "type": "integer", "minimum": 1, "maximum": MAX_PAGE_SIZE,
                    "default": PAGE_SIZE}},
            ],
            "responses": {
                "200": {"description": "One page.", "content": {"application/json": {
                    "schema": {"$ref": "#/components/schemas/CorrectionPage"}}}},
                **_error_responses("400", "401", "429"),
            },
        }},
        "/api/v1/corrections/{correction_id}": {"get": {
            "operationId": "getCorrection",
            "summary": "One correction",
            "security": secured,
            "parameters": [_id_param()],
            "responses": {"200": _one("The correction."),
                          **_error_responses("401", "404", "429")},
        }},
        "/api/v1/corrections/{correction_id}/status": {"post": {
            "operationId": "setCorrectionStatus",
            "summary": "Change the status, as an editor's button does",
            "description": "History (the token's name as the actor), the readers' thank-you "
                           "on fixed and the editors' mail work as for an editor. new and "
                           "in_progress reopen a decided correction. Setting the status it "
                           "already has changes nothing.",
            "security": secured,
            "parameters": [_id_param()],
            "requestBody": {"required": True, "content": {"application/json": {
                "schema": {"$ref": "#/components/schemas/StatusChange"}}}},
            "responses": {"200": _one("The correction after the change."),
                          **_error_responses("400", "401", "404", "429")},
        }},
        "/api/v1/corrections/{correction_id}/check": {"post": {
            "operationId": "checkCorrectionPage",
            "summary": "Check the article page now",
            "description": "Waits up to 10 s. 200 with the result; 202 with the previous "
                           "state when the page is still being fetched (the check goes on; "
                           "the header Errata-Check says done or running).",
            "security": secured,
            "parameters": [_id_param()],
            "responses": {"200": _one("Checked; page_state is the new result."),
                          "202": _one("Still checking; the previous state."),
                          **_error_responses("401", "404", "429")},
        }},
    }


def schemas() -> dict[str, Any]:
    return {
        "Correction": {"type": "object", "required": list(FIELDS),
                       "additionalProperties": False,
                       "properties": {name: _FIELD_SCHEMAS[name] for name in FIELDS}},
        "CorrectionPage": {"type": "object", "required": ["items", "next"], "properties": {
            "items": {"type": "array", "items": {"$ref": "#/components/schemas/Correction"}},
            "next": {"type": "string", "nullable": True,
                     "description": "Pass as `after` for the next page; null at the end."},
        }},
        "StatusChange": {"type": "object", "required": ["status"], "properties": {
            "status": {"type": "string", "enum": list(API_STATUSES)},
            "note": {"type": "string", "maxLength": 2000,
                     "description": "Kept with the decision in the history."},
            "applied_fix": {"type": "string", "maxLength": 500,
                            "description": "With fixed: the text now published; readers who "
                                           "asked to hear back are sent it."},
        }},
    }


SECURITY_SCHEMES = {"token": {"type": "http", "scheme": "bearer",
                              "description": "An API token of one site (errata token add)."}}
