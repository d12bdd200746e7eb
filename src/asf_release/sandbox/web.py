"""The sandbox's stand-in for the web a release announcement points to, on 127.0.0.1.

- /downloads/PROJECT/... is downloads.apache.org: dist/release of the sandbox's Subversion
  repository, read with svnlook at each request (so a file is there exactly once committed);
- /dyn/closer.lua/PROJECT/... is the mirror page: it answers for files the downloads have;
- /github/releases/tag/TAG is the code host's release page: it answers once origin has the tag;
- /website/..., /issues, /lists/... are the project's website, issue tracker and list archive.
Anything else answers 404. Nothing listens beyond the loopback address.
"""

from __future__ import annotations

import subprocess
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from asf_release.sandbox.services import LOOPBACK, port_for

_PAGE = b"<!doctype html><title>asf-release sandbox</title><p>%s</p>\n"


class WebStandIn:
    def __init__(self, svn_repository: Path, project: str, origin: Path) -> None:
        self.svn_repository = svn_repository
        self.project = project
        self.origin = origin
        self.port = 0
        self._server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        return f"http://{LOOPBACK}:{self.port}"

    def downloads_url(self) -> str:
        return f"{self.url}/downloads/{self.project}"

    def start(self, port: int = 0) -> None:
        self.port = port_for(port)
        stand_in = self

        class Handler(BaseHTTPRequestHandler):
            def do_HEAD(self) -> None:
                self._answer(body=False)

            def do_GET(self) -> None:
                self._answer(body=True)

            def _answer(self, *, body: bool) -> None:
                status, content = stand_in.resolve(unquote(urlsplit(self.path).path))
                self.send_response(status)
                self.send_header("Content-Length", str(len(content)))
                self.send_header("Content-Type", "application/octet-stream" if status == 200 else "text/html")
                self.end_headers()
                if body:
                    self.wfile.write(content)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer((LOOPBACK, self.port), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    # --- what each address answers --------------------------------------------------------------
    def resolve(self, path: str) -> tuple[int, bytes]:
        if ".." in path.split("/"):
            return 404, _PAGE % b"not found"
        downloads = f"/downloads/{self.project}/"
        mirror = f"/dyn/closer.lua/{self.project}/"
        if path.startswith(downloads):
            found = self.released(path.removeprefix(downloads))
            return (200, found) if found is not None else (404, _PAGE % b"not found")
        if path.startswith(mirror):
            exists = self.released(path.removeprefix(mirror)) is not None
            return (200, _PAGE % b"mirror page") if exists else (404, _PAGE % b"not found")
        if path.startswith("/github/releases/tag/"):
            tag = path.removeprefix("/github/releases/tag/")
            return (200, _PAGE % b"release page") if self.tagged(tag) else (404, _PAGE % b"no such tag")
        if path == "/website" or path.startswith(("/website/", "/issues", "/lists/")):
            return 200, _PAGE % b"page"
        return 404, _PAGE % b"not found"

    def released(self, relative: str) -> bytes | None:
        """A file of dist/release as committed now, or None."""
        if not relative or relative.endswith("/"):
            return None
        done = subprocess.run(  # noqa: S603 - fixed tool, the path is an argument
            ["svnlook", "cat", str(self.svn_repository), f"release/{self.project}/{relative}"],
            capture_output=True,
            check=False,
        )
        return done.stdout if done.returncode == 0 else None

    def tagged(self, tag: str) -> bool:
        done = subprocess.run(  # noqa: S603 - fixed tool, the tag is an argument
            ["git", "--git-dir", str(self.origin), "rev-parse", "--verify", "--quiet", f"refs/tags/{tag}"],
            capture_output=True,
            check=False,
        )
        return done.returncode == 0
