"""A real HTTP server on 127.0.0.1 that behaves as a hostile or unlucky one would: listings with
names that are paths, redirects, a trickle of one byte every few tenths of a second."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest


@dataclass
class Route:
    body: bytes = b""
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    trickle: float = 0.0  # seconds between bytes, when the server is slow on purpose
    length: bool = True  # send Content-Length


@dataclass
class Server:
    base: str
    routes: dict[str, Route]
    fallback: Callable[[str], Route | None] | None = None
    hits: list[str] = field(default_factory=list)

    def file(self, path: str, data: bytes) -> None:
        self.routes[path] = Route(data)

    def page(self, path: str, html: str) -> None:
        self.routes[path] = Route(html.encode(), headers={"Content-Type": "text/html; charset=utf-8"})

    def redirect(self, path: str, target: str, status: int = 301) -> None:
        self.routes[path] = Route(status=status, headers={"Location": target})

    def serve_directory(self, prefix: str, folder: Path) -> None:
        for child in sorted(folder.iterdir()):
            self.file(prefix + child.name, child.read_bytes())


class _Handler(BaseHTTPRequestHandler):
    server_state: Server

    def do_GET(self) -> None:
        state = self.server_state
        state.hits.append(self.path)
        route = state.routes.get(self.path) or (state.fallback(self.path) if state.fallback else None)
        if route is None:
            self.send_error(404)
            return
        self.send_response(route.status)
        for key, value in route.headers.items():
            self.send_header(key, value)
        if route.length:
            self.send_header("Content-Length", str(len(route.body)))
        self.end_headers()
        try:
            if route.trickle:
                for index in range(len(route.body)):
                    self.wfile.write(route.body[index : index + 1])
                    self.wfile.flush()
                    time.sleep(route.trickle)
            else:
                self.wfile.write(route.body)
        except (BrokenPipeError, ConnectionResetError):
            pass

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def http_server() -> Iterator[Server]:
    state = Server("", {})
    handler = type("Handler", (_Handler,), {"server_state": state})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    state.base = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield state
    server.shutdown()
    server.server_close()
