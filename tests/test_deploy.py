"""What deploy/ ships (issue 13, §4 and §5), run for real:

- deploy/gunicorn.conf.py warns, naming the setting, when several workers would each count
  rate limits in their own memory;
- deploy/nginx.conf in front of gunicorn (2 workers x 4 threads) keeps /healthz answering
  while 50 clients dribble request bodies. Like the browser tests, this skips where nginx is
  not installed and fails under CI=true (.ci/run installs Debian's nginx).
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import threading
import time
from pathlib import Path

import pytest

from tests.conftest import IN_CI
from tests.servers import ROOT, Gunicorn, free_port, request, server_env

pytestmark = pytest.mark.slow

CONFIG = ROOT / "deploy" / "gunicorn.conf.py"
NGINX_SITE = ROOT / "deploy" / "nginx.conf"
NGINX = shutil.which("nginx") or next(
    (p for p in ("/usr/sbin/nginx", "/usr/local/sbin/nginx") if os.access(p, os.X_OK)), None)
WARNING = "ERRATA_RATELIMIT_STORAGE_URI is memory:// with 2 workers"


@pytest.mark.parametrize(("workers", "storage", "warned"), [
    (2, "memory://", True),
    (2, "", True),  # unset: the default is memory://
    (1, "memory://", False),
    (2, "redis://127.0.0.1:6379/0", False),
])
def test_gunicorn_config_warns_when_each_worker_would_count_limits_alone(
        _schema, tmp_path, workers, storage, warned):
    env = server_env(_schema, tmp_path, ERRATA_RATELIMIT_STORAGE_URI=storage)
    if not storage:
        del env["ERRATA_RATELIMIT_STORAGE_URI"]
    with Gunicorn(env, workers=workers, config=CONFIG) as server:
        assert request(server.port, "GET", "/healthz")[0] == 200
        assert len(server.worker_pids()) == workers
    log = server.log.read_text()
    if warned:
        assert log.count(WARNING) == 1, log
        assert "every limit (ERRATA_LIMIT_READER, ERRATA_LIMIT_SITE, ERRATA_LIMIT_IP) lets " \
               "through 2 times what it says" in log
    else:
        assert "ERRATA_RATELIMIT_STORAGE_URI" not in log, log


# -- nginx in front of gunicorn ---------------------------------------------------------------

SLOW_CLIENTS = 50


def _nginx_conf(tmp: Path, port: int, app_port: int) -> Path:
    """A main nginx.conf with its own pid, logs and temp dirs, including deploy/nginx.conf
    with only its listen address and upstream port changed."""
    site = NGINX_SITE.read_text()
    assert "listen 80;" in site and "server 127.0.0.1:8000;" in site
    site = (site.replace("listen 80;", f"listen 127.0.0.1:{port};")
            .replace("listen [::]:80;", "")
            .replace("server 127.0.0.1:8000;", f"server 127.0.0.1:{app_port};"))
    (tmp / "site.conf").write_text(site)
    for name in ("body", "proxy", "fastcgi", "uwsgi", "scgi"):
        (tmp / name).mkdir()
    user = "user root root;" if os.geteuid() == 0 else ""
    conf = tmp / "nginx.conf"
    conf.write_text(f"""
{user}
daemon off;
worker_processes 1;
pid {tmp}/nginx.pid;
error_log {tmp}/error.log warn;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    client_body_temp_path {tmp}/body;
    proxy_temp_path {tmp}/proxy;
    fastcgi_temp_path {tmp}/fastcgi;
    uwsgi_temp_path {tmp}/uwsgi;
    scgi_temp_path {tmp}/scgi;
    include {tmp}/site.conf;
}}
""")
    return conf


@pytest.fixture
def nginx_binary():
    if NGINX is None:
        if IN_CI:
            pytest.fail("nginx is not installed; .ci/run must `apt-get install -y nginx`")
        pytest.skip("nginx is not installed (Debian: apt-get install nginx)")
    return NGINX


def _dribble(port: int, stop: threading.Event, opened: list) -> None:
    """Send a report's headers, then one byte of its body every second until told to stop."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=5)
    try:
        sock.sendall(b"POST /api/v1/reports HTTP/1.1\r\nHost: errata.test\r\n"
                     b"Content-Type: text/plain\r\nOrigin: https://news.example\r\n"
                     b"Content-Length: 4000\r\n\r\n{")
        opened.append(sock)
        while not stop.wait(1.0):
            sock.sendall(b" ")
    except OSError:
        pass
    finally:
        sock.close()


def test_nginx_keeps_healthz_answering_while_50_clients_dribble_bodies(
        _schema, tmp_path, nginx_binary):
    env = server_env(_schema, tmp_path)
    app = Gunicorn(env, workers=2, threads=4)  # 8 threads: fewer than the slow clients
    nginx_dir = tmp_path / "nginx"
    nginx_dir.mkdir()
    port = free_port()
    with app:
        conf = _nginx_conf(nginx_dir, port, app.port)
        check = subprocess.run([nginx_binary, "-t", "-p", str(nginx_dir), "-e",
                                str(nginx_dir / "error.log"), "-c", str(conf)],
                               capture_output=True, text=True, timeout=30)
        assert check.returncode == 0, check.stderr
        proc = subprocess.Popen([nginx_binary, "-p", str(nginx_dir), "-e",
                                 str(nginx_dir / "error.log"), "-c", str(conf)],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                start_new_session=True)
        stop = threading.Event()
        opened: list = []
        threads = [threading.Thread(target=_dribble, args=(port, stop, opened), daemon=True)
                   for _ in range(SLOW_CLIENTS)]
        try:
            deadline = time.monotonic() + 15
            while request(port, "GET", "/healthz", timeout=2)[0] != 200:
                assert proc.poll() is None, (nginx_dir / "error.log").read_text()
                assert time.monotonic() < deadline, "nginx did not start"
                time.sleep(0.2)
            for t in threads:
                t.start()
            while len(opened) < SLOW_CLIENTS and time.monotonic() < deadline + 15:
                time.sleep(0.1)
            assert len(opened) == SLOW_CLIENTS
            time.sleep(2)  # the bodies are on their way, a byte a second
            answers, took = [], []
            for _ in range(10):
                started = time.monotonic()
                answers.append(request(port, "GET", "/healthz", timeout=5))
                took.append(time.monotonic() - started)
            # Each request above gave up after 5 s; every one was answered, and by the app.
            assert [status for status, _ in answers] == [200] * 10
            assert all(body["status"] == "ok" for _, body in answers)
            # The slow clients are still connected: nginx holds them, not gunicorn's threads.
            assert all(t.is_alive() for t in threads)
            print(f"\nnginx: /healthz with {SLOW_CLIENTS} slow bodies open: "
                  f"slowest {max(took) * 1000:.0f} ms of 10")
        finally:
            stop.set()
            for t in threads:
                t.join(timeout=5)
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=5)
