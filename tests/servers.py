"""Real servers for the scale-out and fault tests: gunicorn processes, a load generator and a
TCP proxy that can cut the database off. Loopback only, every wait bounded.
"""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from tests.conftest import IN_CI, ORIGIN, PG_URL

ROOT = Path(__file__).resolve().parent.parent
GUNICORN = str(Path(sys.executable).parent / "gunicorn")
REDIS_URI = "redis://127.0.0.1:6379/0"

needs_postgres = pytest.mark.skipif(
    not PG_URL,
    reason="several app servers need one shared PostgreSQL: set ERRATA_TEST_DATABASE_URL"
    + (" (CI runs these in its PostgreSQL pass)" if IN_CI else ""),
)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def server_env(database_url: str, tmp_path: Path, **extra: str) -> dict[str, str]:
    """Environment for an app server on the test database, with shared Redis rate limits.

    A fresh IP salt keeps this test's Redis counters apart from every other run's.
    """
    env = {k: v for k, v in os.environ.items() if not k.startswith("ERRATA_")}
    env.update({
        "ERRATA_DATABASE_URL": database_url,
        "ERRATA_INSTANCE_PATH": str(tmp_path / "instance"),
        "ERRATA_SECRET_KEY": "scaleout-secret",
        "ERRATA_IP_SALT": uuid.uuid4().hex,
        "ERRATA_BASE_URL": "http://127.0.0.1",
        "ERRATA_RATELIMIT_STORAGE_URI": REDIS_URI,
        "ERRATA_PROXY_HOPS": "1",  # the tests play a load balancer: X-Forwarded-For is the reader
        "ERRATA_MIN_ELAPSED_MS": "0",
        "ERRATA_LIMIT_READER": "1000000/hour",
        "ERRATA_LIMIT_SITE": "1000000/hour",
        "ERRATA_LIMIT_IP": "1000000/hour",
    })
    env.update(extra)
    return env


@dataclass
class Gunicorn:
    env: dict[str, str]
    workers: int = 2
    port: int = field(default_factory=free_port)
    proc: subprocess.Popen | None = None
    log: Path | None = None
    threads: int = 8
    config: Path | None = None  # a gunicorn config file (deploy/gunicorn.conf.py)

    def start(self) -> Gunicorn:
        # The log goes to a file, never a pipe nobody reads: a full pipe blocks the workers.
        self.log = Path(self.env["ERRATA_INSTANCE_PATH"]).with_name(f"gunicorn-{self.port}.log")
        self.log.parent.mkdir(parents=True, exist_ok=True)
        with open(self.log, "wb") as log:
            self.proc = subprocess.Popen(
                # Threaded workers, as docs/deploy.md recommends: concurrent reports of a
                # worker are stored in shared transactions (service/ingest/batch.py).
                [GUNICORN, *(["-c", str(self.config)] if self.config else []),
                 "-w", str(self.workers), "-k", "gthread", "--threads", str(self.threads),
                 "-b", f"127.0.0.1:{self.port}",
                 "--log-level", "warning", "--timeout", "30", "--graceful-timeout", "5",
                 "service:create_app()"],
                cwd=ROOT, env=self.env, start_new_session=True,
                stdout=log, stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"gunicorn exited: {self.log.read_text()[-2000:]}")
            status, _ = request(self.port, "GET", "/healthz", timeout=2)
            if status == 200:
                return self
            time.sleep(0.2)
        self.stop()
        raise RuntimeError("gunicorn did not answer /healthz within 30 s")

    def worker_pids(self) -> list[int]:
        assert self.proc is not None
        path = Path(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children")
        return [int(p) for p in path.read_text().split()]

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        try:
            os.killpg(self.proc.pid, signal.SIGTERM)
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=5)

    def __enter__(self) -> Gunicorn:
        return self.start()

    def __exit__(self, *_exc) -> None:
        self.stop()


def request(port: int, method: str, path: str, body: dict | None = None,
            headers: dict[str, str] | None = None, timeout: float = 15):
    """(status, parsed JSON or None); (None, None) when the connection failed."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        data = json.dumps(body).encode() if body is not None else None
        conn.request(method, path, body=data, headers=headers or {})
        resp = conn.getresponse()
        raw = resp.read()
        try:
            parsed = json.loads(raw) if raw else None
        except ValueError:
            parsed = None
        if isinstance(parsed, dict) and resp.getheader("Retry-After"):
            parsed["_retry_after"] = resp.getheader("Retry-After")
        return resp.status, parsed
    except (OSError, http.client.HTTPException):
        return None, None
    finally:
        conn.close()


def report(site_key: str, *, page: int = 0, spot: int = 0, token: str = "",
           **fields) -> dict:
    body = {
        "site": site_key, "url": f"{ORIGIN}/news/{page}", "title": f"Story {page}",
        "exact": f"mistake{spot}", "prefix": f"the text before spot {spot} ",
        "suffix": f" and after spot {spot}.", "suggestion": "fixed", "comment": token,
        "elapsed_ms": 4000, "client": "scaleout-test",
    }
    body.update(fields)
    return body


def send(port: int, body: dict, reader: str = "203.0.113.10"):
    return request(port, "POST", "/api/v1/reports", body, {
        "Content-Type": "text/plain;charset=UTF-8", "Origin": ORIGIN,
        "X-Forwarded-For": reader,
    })


@dataclass
class Sent:
    body: dict
    port: int
    status: int | None
    answer: dict | None


def load(jobs: Iterable[tuple[int, dict, str]], concurrency: int = 64) -> list[Sent]:
    """Send every (port, body, reader) with ``concurrency`` connections at a time."""

    def one(job):
        port, body, reader = job
        status, answer = send(port, body, reader)
        return Sent(body, port, status, answer)

    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        return list(pool.map(one, jobs))


class TcpProxy:
    """A loopback TCP forwarder that can be cut (every connection dropped, new ones closed at
    once) and restored: the database going away for a moment, without touching the shared
    PostgreSQL server."""

    def __init__(self, target_host: str, target_port: int):
        self.target = (target_host, target_port)
        self.listener = socket.socket()
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(128)
        self.port = self.listener.getsockname()[1]
        self.down = False
        self.closed = False
        self._lock = threading.Lock()
        self._sockets: set[socket.socket] = set()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while not self.closed:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            if self.down:
                client.close()
                continue
            try:
                upstream = socket.create_connection(self.target, timeout=5)
                upstream.settimeout(None)
            except OSError:
                client.close()
                continue
            with self._lock:  # atomic with cut(): a connection made meanwhile is not kept
                if self.down:
                    client.close()
                    upstream.close()
                    continue
                self._sockets.update((client, upstream))
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    def _pump(self, src: socket.socket, dst: socket.socket) -> None:
        try:
            while True:
                chunk = src.recv(65536)
                if not chunk:
                    break
                dst.sendall(chunk)
        except OSError:
            pass
        finally:
            for s in (src, dst):
                self._drop(s)

    def _drop(self, s: socket.socket) -> None:
        with self._lock:
            self._sockets.discard(s)
        try:
            s.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        s.close()

    def cut(self) -> None:
        with self._lock:
            self.down = True
            live = list(self._sockets)
        for s in live:
            self._drop(s)

    def restore(self) -> None:
        self.down = False

    def close(self) -> None:
        self.closed = True
        self.cut()
        self.listener.close()

    def url_for(self, database_url: str) -> str:
        u = make_url(database_url).set(host="127.0.0.1", port=self.port)
        return u.render_as_string(hide_password=False)


def target_of(database_url: str) -> tuple[str, int]:
    u = make_url(database_url)
    return u.host or "127.0.0.1", u.port or 5432
