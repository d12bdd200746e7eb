"""Reading things from outside: https URLs, Subversion URLs and local files, each bounded.

Everything that arrives is bounded in size (max_bytes) and in time: a whole transfer (connect,
headers, body) has a deadline, not only each read, so a server sending one byte every few seconds
is cut off. Redirects are followed only to http(s), never from https down to http, and never from
a public host to a loopback or private address (a test server on loopback may go anywhere).

The thread fetches of the vote use the same bounds: `read(url, max_bytes=..., deadline=budget)`,
with one `Deadline` shared by every request of a thread when the whole fetch must end in time.
"""

from __future__ import annotations

import http.client
import ipaddress
import shutil
import socket
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import urllib.response
from collections.abc import Iterator, Mapping
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from asf_release import __version__
from asf_release.adapters.svn import Svn
from asf_release.errors import ExternalError, ToolFailed, UsageError
from asf_release.progress import NoProgress, Progress

USER_AGENT = f"asf-release/{__version__}"
CHUNK = 1 << 20
SVN_SCHEMES = ("svn", "svn+ssh")
HTTP_SCHEMES = ("http", "https")
READ_SECONDS = 120.0  # a whole small resource: KEYS, a roster, a page of a thread
DOWNLOAD_SECONDS = 1800.0  # a whole artifact (checks.max_download_seconds for an RC's files)
READ_TIMEOUT = 60.0  # the longest silence between two reads


def kind(location: str) -> str:
    """'http', 'svn', 'file' (a file:// URL or a path)."""
    scheme = urllib.parse.urlsplit(location).scheme.lower()
    if scheme in HTTP_SCHEMES:
        return "http"
    if scheme in SVN_SCHEMES:
        return "svn"
    if scheme in ("", "file") or len(scheme) == 1:  # a Windows drive letter is a path too
        return "file"
    raise UsageError(f"'{location}' is neither a path nor an http(s), svn or file URL")


def local_path(location: str) -> Path:
    parsed = urllib.parse.urlsplit(location)
    return Path(urllib.parse.unquote(parsed.path)) if parsed.scheme == "file" else Path(location).expanduser()


class TooSlow(ExternalError):
    """A transfer (or several sharing one Deadline) did not finish in time."""


class TooLarge(ExternalError):
    """What arrived is larger than allowed here."""


class Refusal(ExternalError):
    """The server answered with an HTTP error status: `status` says which (404: not there)."""

    def __init__(self, message: str, hint: str | None, status: int, reason: str) -> None:
        super().__init__(message, hint)
        self.status = status
        self.reason = reason


class Deadline:
    """A point in time after which a fetch (one request, or several sharing it) is cut off."""

    def __init__(self, seconds: float, *, setting: str = "") -> None:
        self.seconds = seconds
        self.setting = setting  # the profile key that sets it, named in the error
        self._end = time.monotonic() + seconds

    def remaining(self) -> float:
        return max(0.0, self._end - time.monotonic())

    @property
    def expired(self) -> bool:
        return self.remaining() <= 0

    def error(self, url: str, received: int) -> TooSlow:
        setting = f"raise {self.setting} in your configuration, or " if self.setting else ""
        return TooSlow(
            f"{url}: no complete answer within {self.seconds:g} s ({received:,} bytes received)",
            f"the server is too slow or stalls: {setting}try again later or from another mirror",
        )


@dataclass(frozen=True)
class Fetched:
    url: str  # where the content really came from, after redirects
    data: bytes


# --- redirects --------------------------------------------------------------------------------
def _host_kind(host: str) -> str:
    """'loopback', 'private' (private, link-local, reserved...) or 'public' for a host name or
    address; a name is judged by every address it resolves to, the most local one winning."""
    try:
        addresses = [ipaddress.ip_address(host.strip("[]"))]
    except ValueError:
        try:
            infos = socket.getaddrinfo(host, None)
        except (OSError, UnicodeError):
            return "public"  # it cannot be reached either; the connection will say so
        addresses = [ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in infos]
    kinds = set()
    for address in addresses:
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
            address = address.ipv4_mapped
        if address.is_loopback or address.is_unspecified:
            kinds.add("loopback")
        elif not address.is_global:
            kinds.add("private")
        else:
            kinds.add("public")
    for found in ("loopback", "private", "public"):
        if found in kinds:
            return found
    return "public"


def redirect_allowed(origin: str, target: str) -> str | None:
    """Why a redirect from origin to target is refused, or None when it may be followed."""
    source, goal = urllib.parse.urlsplit(origin), urllib.parse.urlsplit(target)
    if goal.scheme.lower() not in HTTP_SCHEMES:
        return f"it leads to a {goal.scheme or 'relative'}: URL, and only http(s) is followed"
    origin_kind = _host_kind(source.hostname or "")
    if origin_kind == "loopback":
        return None  # a server on this machine (a test, a local mirror) is trusted with its redirects
    if source.scheme.lower() == "https" and goal.scheme.lower() == "http":
        return "it leads from https down to plain http"
    target_kind = _host_kind(goal.hostname or "")
    if target_kind not in ("public", origin_kind):
        return f"it leads from a {origin_kind} host to a {target_kind} address ({goal.hostname})"
    return None


class _Redirects(urllib.request.HTTPRedirectHandler):
    def __init__(self, origin: str) -> None:
        self.origin = origin

    def http_error_302(self, req: urllib.request.Request, fp: Any, code: int, msg: str, headers: Any) -> Any:
        location = headers.get("location") or headers.get("uri")
        if location:  # judged before the standard library looks at it
            target = urllib.parse.urljoin(req.full_url, location.strip())
            refused = redirect_allowed(self.origin, target)
            if refused:
                raise ExternalError(
                    f"{req.full_url}: the server redirects to {target}, which is not followed: {refused}",
                    "give the URL the redirect should have led to, if you trust it",
                )
        return super().http_error_302(req, fp, code, msg, headers)

    http_error_301 = http_error_303 = http_error_307 = http_error_308 = http_error_302


# --- deadlines --------------------------------------------------------------------------------
class _Watchdog:
    """Shuts the sockets of one transfer down when its deadline passes, waking a blocked read."""

    def __init__(self, deadline: Deadline) -> None:
        self.deadline = deadline
        self.fired = False
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()
        self._timer = threading.Timer(deadline.remaining(), self._fire)
        self._timer.daemon = True

    def watch(self, sock: socket.socket) -> None:
        with self._lock:
            self._sockets.append(sock)
            if self.fired:
                _shut(sock)

    def _fire(self) -> None:
        with self._lock:
            self.fired = True
            for sock in self._sockets:
                _shut(sock)

    def __enter__(self) -> _Watchdog:
        self._timer.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._timer.cancel()


def _shut(sock: socket.socket) -> None:
    with suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)


def _watched(base: type[http.client.HTTPConnection], watchdog: _Watchdog) -> Any:
    class Watched(base):  # type: ignore[valid-type, misc]
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)

            def create_watched(*a: Any, **k: Any) -> socket.socket:
                sock = socket.create_connection(*a, **k)  # what http.client uses, watched
                watchdog.watch(sock)
                return sock

            self._create_connection = create_watched

        def connect(self) -> None:
            super().connect()
            watchdog.watch(self.sock)  # the TLS socket, once wrapped

    return Watched


class _HTTP(urllib.request.HTTPHandler):
    def __init__(self, watchdog: _Watchdog) -> None:
        super().__init__()
        self.connection = _watched(http.client.HTTPConnection, watchdog)

    def http_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
        return self.do_open(self.connection, req)


class _HTTPS(urllib.request.HTTPSHandler):
    def __init__(self, watchdog: _Watchdog) -> None:
        super().__init__()
        self.connection = _watched(http.client.HTTPSConnection, watchdog)

    def https_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
        return self.do_open(self.connection, req, context=self._context)  # type: ignore[attr-defined]


@contextmanager
def _opened(
    url: str, deadline: Deadline, timeout: float, headers: Mapping[str, str] | None = None
) -> Iterator[tuple[Any, _Watchdog]]:
    """The response to GET url, under the deadline's watchdog; errors speak to people."""
    if kind(url) != "http":
        raise UsageError(f"'{url}' is not an http(s) URL")
    with _Watchdog(deadline) as watchdog:
        opener = urllib.request.build_opener(_Redirects(url), _HTTP(watchdog), _HTTPS(watchdog))
        request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT, **(headers or {})})
        try:
            response = opener.open(request, timeout=max(0.1, min(timeout, deadline.remaining())))
        except urllib.error.HTTPError as error:
            raise Refusal(
                f"{url}: the server answered {error.code} {error.reason}",
                _hint(error.code),
                int(error.code),
                str(error.reason),
            ) from None
        except (urllib.error.URLError, OSError, http.client.HTTPException, ValueError) as error:
            if watchdog.fired:
                raise deadline.error(url, 0) from None
            reason = getattr(error, "reason", error)
            raise ExternalError(
                f"{url}: could not connect ({reason})", "check the address and your network"
            ) from None
        with response:
            yield response, watchdog


def _chunks(response: Any, url: str, deadline: Deadline, watchdog: _Watchdog) -> Iterator[bytes]:
    """The body, as it comes (read1 returns what one read brings, so the deadline is checked
    between the bytes of a trickle); a cut-off transfer is an error, never a short success."""
    received = 0
    while True:
        try:
            chunk = response.read1(CHUNK)
        except (OSError, http.client.HTTPException, ValueError) as error:
            if watchdog.fired or deadline.expired:
                raise deadline.error(url, received) from None
            raise ExternalError(
                f"{url}: the transfer broke off after {received:,} bytes ({error})",
                "try again; if it persists, try another mirror",
            ) from None
        if watchdog.fired or deadline.expired:
            raise deadline.error(url, received)
        if not chunk:
            return
        received += len(chunk)
        yield chunk


def _hint(code: int) -> str:
    if code == 404:
        return "the file or directory is not there: check the version, the RC number and the profile's URLs"
    if code in (401, 403):
        return "the server refused access"
    return "try again later"


def _budget(seconds: float, deadline: Deadline | None, setting: str = "") -> Deadline:
    if deadline is not None and deadline.remaining() < seconds:
        return deadline
    return Deadline(seconds, setting=setting)


def fetch(
    url: str,
    *,
    max_bytes: int = 64 << 20,
    seconds: float = READ_SECONDS,
    deadline: Deadline | None = None,
    timeout: float = READ_TIMEOUT,
) -> Fetched:
    """GET an http(s) URL whole, at most max_bytes and within the time given; with the URL it
    came from after redirects (a listing's links are relative to that one)."""
    budget = _budget(seconds, deadline)
    with _opened(url, budget, timeout) as (response, watchdog):
        parts: list[bytes] = []
        size = 0
        for chunk in _chunks(response, url, budget, watchdog):
            size += len(chunk)
            if size > max_bytes:
                raise TooLarge(f"{url} is larger than the {_mib(max_bytes)} allowed here")
            parts.append(chunk)
        return Fetched(response.geturl() or url, b"".join(parts))


def read(
    location: str,
    *,
    max_bytes: int = 64 << 20,
    svn: Svn | None = None,
    timeout: float = READ_TIMEOUT,
    seconds: float = READ_SECONDS,
    deadline: Deadline | None = None,
) -> bytes:
    """The whole content of a small resource (KEYS, a roster, a thread), at most max_bytes."""
    where = kind(location)
    if where == "file":
        path = local_path(location)
        if not path.is_file():
            raise UsageError(f"{path} does not exist or is not a file")
        if path.stat().st_size > max_bytes:
            raise UsageError(f"{path} is larger than the {_mib(max_bytes)} allowed here")
        return path.read_bytes()
    if where == "svn":
        budget = _budget(seconds, deadline)
        try:
            data = (svn or Svn()).cat(location, timeout=max(1.0, budget.remaining()))
        except ToolFailed as error:
            if error.timed_out:
                raise budget.error(location, 0) from None
            raise
        if data is None:
            raise ExternalError(f"{location} does not exist in Subversion", "check the profile's dist URLs")
        if len(data) > max_bytes:
            raise TooLarge(f"{location} is larger than the {_mib(max_bytes)} allowed here")
        return data
    return fetch(location, max_bytes=max_bytes, seconds=seconds, deadline=deadline, timeout=timeout).data


def download(
    url: str,
    dest: Path,
    *,
    max_bytes: int,
    progress: Progress | None = None,
    timeout: float = READ_TIMEOUT,
    headers: Mapping[str, str] | None = None,
    seconds: float = DOWNLOAD_SECONDS,
    deadline: Deadline | None = None,
    setting: str = "",
) -> int:
    """Stream an http(s) URL to dest (written as .partial, then renamed); return its size.
    setting names the profile key that sets `seconds`, for the error's hint."""
    progress = progress or NoProgress()
    budget = _budget(seconds, deadline, setting)
    partial = dest.with_name(dest.name + ".partial")
    try:
        with _opened(url, budget, timeout, headers) as (response, watchdog):
            declared = response.headers.get("Content-Length")
            total = int(declared) if declared and declared.isdigit() else None
            if total is not None and total > max_bytes:
                raise TooLarge(f"{url} is {_mib(total)}, more than the {_mib(max_bytes)} allowed")
            size = 0
            with partial.open("wb") as out, progress.task(f"download {dest.name}", total) as task:
                for chunk in _chunks(response, url, budget, watchdog):
                    size += len(chunk)
                    if size > max_bytes:
                        raise TooLarge(f"{url} is larger than the {_mib(max_bytes)} allowed")
                    out.write(chunk)
                    task.advance(len(chunk))
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    partial.replace(dest)
    return size


def size_text(size: int) -> str:
    """A size limit as people read it: '64 MiB', or '2,000 bytes' under a MiB."""
    return f"{size >> 20} MiB" if size >= 1 << 20 else f"{size:,} bytes"


_mib = size_text


def copy_local(source: Path, dest: Path) -> int:
    shutil.copyfile(source, dest)
    return dest.stat().st_size


def probe(url: str, *, timeout: float = 20) -> tuple[int | None, str]:
    """Whether an http(s) URL answers: (HTTP status, "") or (None, why not). HEAD first; servers
    that refuse HEAD are asked for the first byte with GET. Redirects are followed."""
    if kind(url) != "http":
        return None, "not an http(s) URL"
    status, reason = _ask(url, "HEAD", timeout)
    if status in (403, 405, 501):
        status, reason = _ask(url, "GET", timeout)
    return status, reason


def _ask(url: str, method: str, timeout: float) -> tuple[int | None, str]:
    headers = {"User-Agent": USER_AGENT}
    if method == "GET":
        headers["Range"] = "bytes=0-0"
    request = urllib.request.Request(url, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return int(response.status), ""
    except urllib.error.HTTPError as error:
        return int(error.code), str(error.reason)
    except (urllib.error.URLError, TimeoutError, OSError, ValueError) as error:
        return None, str(getattr(error, "reason", error))
