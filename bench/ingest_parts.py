"""The real app with the later parts of ingest switched off, for ``bench/ingest.py --breakdown``.

Each factory builds the real app (every hook, extension and check as in production) and
replaces one step of the ingest path, so that serving it side by side with the full app shows
what that step costs under the same load. Benchmark code only: the service never imports it.

- ``validated_only``: content type, size, JSON and every field validated and cleaned, then
  a 201 answer. What the framework and validation cost before any ingest work.
- ``without_store``: everything (site lookup, origin and block checks, IP hash, the rate limits
  in Redis, the group-commit hand-off) except the database transaction that stores the batch.
"""

from __future__ import annotations

from flask import Flask

from service import create_app
from service.ingest import batch, views
from service.ingest.reports import Outcome


def validated_only() -> Flask:
    views._accept = lambda data, hashed: views._json(
        201, {"id": 1, "correction": 1, "status": "new"})
    return create_app()


def without_store() -> Flask:
    def _write(jobs, breaches) -> None:
        for job, breach in zip(jobs, breaches, strict=True):
            job.result = breach or Outcome(report_id=1, correction_id=1, created=True, count=1,
                                           status="new")

    batch._write = _write
    return create_app()
