"""A local newsroom web server whose pages tests change while Errata checks them.

``ArticleServer`` serves whatever ``pages[path]`` says: a body with a status and headers,
a redirect, a body that trickles forever, a body larger than the cap. It answers
``If-None-Match`` with 304 when the page's ETag matches, and records every request.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Served:
    body: bytes = b""
    status: int = 200
    content_type: str = "text/html; charset=utf-8"
    headers: dict[str, str] = field(default_factory=dict)
    trickle: bool = False  # send headers, then a byte every half second, never finishing
    chunked: bool = False  # no Content-Length: the size shows only while reading
    etag: str | None = None


@dataclass
class Seen:
    path: str
    headers: dict[str, str]
    at: float


class _Quiet(ThreadingHTTPServer):
    def handle_error(self, request, client_address) -> None:
        pass  # a client that gives up (the 2 MB cap, the 10 s deadline) is the point


class ArticleServer:
    def __init__(self) -> None:
        self.pages: dict[str, Served] = {}
        self.requests: list[Seen] = []
        self._stop = threading.Event()
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *_args) -> None:  # quiet
                pass

            def do_GET(self) -> None:  # noqa: N802 - http.server's name
                server.requests.append(Seen(self.path, dict(self.headers), time.monotonic()))
                page = server.pages.get(self.path)
                if page is None:
                    page = Served(b"<h1>Not found</h1>", status=404)
                if page.etag and self.headers.get("If-None-Match") == page.etag:
                    self.send_response(304)
                    self.send_header("ETag", page.etag)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                self.send_response(page.status)
                self.send_header("Content-Type", page.content_type)
                if page.etag:
                    self.send_header("ETag", page.etag)
                for name, value in page.headers.items():
                    self.send_header(name, value)
                if page.trickle:
                    self.send_header("Transfer-Encoding", "chunked")
                    self.end_headers()
                    try:
                        self.wfile.write(b"f\r\n<html><body><p>\r\n")
                        while not server._stop.wait(0.5):
                            self.wfile.write(b"1\r\na\r\n")
                            self.wfile.flush()
                    except OSError:
                        pass  # the client gave up, as it should
                    self.close_connection = True
                    return
                try:
                    if page.chunked:
                        self.send_header("Transfer-Encoding", "chunked")
                        self.end_headers()
                        for at in range(0, len(page.body), 65536):
                            piece = page.body[at:at + 65536]
                            self.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece))
                        self.wfile.write(b"0\r\n\r\n")
                    else:
                        self.send_header("Content-Length", str(len(page.body)))
                        self.end_headers()
                        self.wfile.write(page.body)
                except OSError:
                    self.close_connection = True  # the client stopped reading, as it may

        self.httpd = _Quiet(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self.origin = f"http://127.0.0.1:{self.port}"
        self._thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def url(self, path: str) -> str:
        return self.origin + path

    def start(self) -> ArticleServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self.httpd.shutdown()
        self.httpd.server_close()
        self._thread.join(timeout=5)
