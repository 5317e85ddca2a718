"""Throw-away HTTP servers on 127.0.0.1 for the data tests (no internet is ever touched).

``FileServer`` serves bytes the test gives it, counts the requests per file, and can misbehave:
announce more bytes than it sends (a transfer cut short), stall before answering, or refuse the
first requests with an HTTP error (e.g. 429 Too Many Requests with a Retry-After header).
``serve_folder`` serves a folder exactly as ``python -m http.server`` does.
"""

from __future__ import annotations

import functools
import socket
import threading
import time
from collections import Counter
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, SimpleHTTPRequestHandler, ThreadingHTTPServer

POLL_SECONDS = 0.05  # how often the server checks for shutdown


@dataclass
class _Served:
    data: bytes
    cut_after: int | None = None  # bytes actually sent although Content-Length says len(data)
    stall_seconds: float = 0.0  # wait before answering
    refusals: list[tuple[int, dict[str, str]]] = field(default_factory=list)  # (status, headers) for the first requests


class FileServer:
    """An HTTP server on a free port of 127.0.0.1, serving in-memory files; use as a context manager."""

    def __init__(self) -> None:
        self.files: dict[str, _Served] = {}
        self.requests: Counter[str] = Counter()
        handler = functools.partial(_Handler, self)
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, args=(POLL_SECONDS,), daemon=True)

    def add(
        self,
        name: str,
        data: bytes,
        *,
        cut_after: int | None = None,
        stall_seconds: float = 0.0,
        refusals: list[tuple[int, dict[str, str]]] = (),
    ) -> str:
        """Serve ``data`` at /name and return its URL; the first len(refusals) requests get those answers."""
        self.files[name] = _Served(data, cut_after, stall_seconds, list(refusals))
        return self.url(name)

    def url(self, name: str = "") -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}/{name}"

    def __enter__(self) -> FileServer:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)


class _Handler(BaseHTTPRequestHandler):
    def __init__(self, owner: FileServer, *args, **kwargs) -> None:
        self.owner = owner
        super().__init__(*args, **kwargs)

    def do_GET(self) -> None:  # noqa: N802 - the name http.server calls
        name = self.path.lstrip("/")
        self.owner.requests[name] += 1
        served = self.owner.files.get(name)
        if served is None:
            self.send_error(404, "Not Found")
            return
        time.sleep(served.stall_seconds)
        if served.refusals:
            status, headers = served.refusals.pop(0)
            self.send_response(status)
            for key, value in headers.items():
                self.send_header(key, value)
            self.send_header("Content-Length", "0")
            self.end_headers()
            self.close_connection = True
            return
        self.send_response(200)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(len(served.data)))
        self.end_headers()
        self.wfile.write(served.data if served.cut_after is None else served.data[: served.cut_after])
        self.close_connection = True

    def log_message(self, *args) -> None:  # keep the test output clean
        pass


@contextmanager
def serve_folder(folder):
    """Serve ``folder`` like ``python -m http.server`` on a free port of 127.0.0.1; yields the base URL."""
    handler = functools.partial(_QuietFolderHandler, directory=str(folder))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, args=(POLL_SECONDS,), daemon=True)
    thread.start()
    try:
        host, port = server.server_address[:2]
        yield f"http://{host}:{port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


class _QuietFolderHandler(SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:
        pass


def closed_port_url(name: str) -> str:
    """A URL on 127.0.0.1 where no server listens (a server that is gone): connections are refused."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}/{name}"
