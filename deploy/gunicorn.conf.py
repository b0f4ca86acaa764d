"""gunicorn settings for an Errata app host (docs/deploy.md):

    gunicorn -c deploy/gunicorn.conf.py 'service:create_app()'

Behind nginx on the same host (deploy/nginx.conf), which buffers each request before it
reaches a worker, so slow clients never hold one. Any setting can still be given on the
command line, which wins over this file (``--workers 8``). ``errata run`` (one process, for
trying Errata out) needs none of this.
"""

import multiprocessing
import os

bind = os.environ.get("ERRATA_BIND", "127.0.0.1:8000")
# 1–2 workers per core, each with threads: reports arriving at one worker together share a
# transaction (service/ingest/batch.py).
workers = int(os.environ.get("WEB_CONCURRENCY", 2 * multiprocessing.cpu_count()))
worker_class = "gthread"
threads = 8
timeout = 30
graceful_timeout = 20
keepalive = 5
max_requests = 10000
max_requests_jitter = 1000


def memory_limits_warning(workers: int, storage: str | None) -> str | None:
    """The warning to log when every worker would count rate limits on its own, else None."""
    storage = storage or "memory://"
    if workers > 1 and storage.startswith("memory://"):
        return (
            f"ERRATA_RATELIMIT_STORAGE_URI is {storage} with {workers} workers: each worker "
            f"counts rate limits on its own, so every limit (ERRATA_LIMIT_READER, "
            f"ERRATA_LIMIT_SITE, ERRATA_LIMIT_IP) lets through {workers} times what it says. "
            "Set ERRATA_RATELIMIT_STORAGE_URI=redis://host:6379/0 (docs/deploy.md).")
    return None


def on_starting(server) -> None:  # noqa: ANN001 - gunicorn's Arbiter
    warning = memory_limits_warning(server.cfg.workers,
                                    os.environ.get("ERRATA_RATELIMIT_STORAGE_URI"))
    if warning:
        server.log.warning(warning)
