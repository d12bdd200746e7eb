"""Reading things from outside: https URLs, Subversion URLs and local files, size-limited.

Everything that arrives is bounded (max_bytes) and streamed to disk when it may be large.
"""

from __future__ import annotations

import shutil
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping
from pathlib import Path

from asf_release import __version__
from asf_release.adapters.svn import Svn
from asf_release.errors import ExternalError, UsageError
from asf_release.progress import NoProgress, Progress

USER_AGENT = f"asf-release/{__version__}"
CHUNK = 1 << 20
SVN_SCHEMES = ("svn", "svn+ssh")
HTTP_SCHEMES = ("http", "https")


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


def _open(url: str, timeout: float) -> urllib.response.addinfourl:
    request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT})
    try:
        response: urllib.response.addinfourl = urllib.request.urlopen(request, timeout=timeout)
    except urllib.error.HTTPError as error:
        raise ExternalError(
            f"{url}: the server answered {error.code} {error.reason}", _hint(error.code)
        ) from None
    except (urllib.error.URLError, TimeoutError, OSError) as error:
        reason = getattr(error, "reason", error)
        raise ExternalError(
            f"{url}: could not connect ({reason})", "check the address and your network"
        ) from None
    return response


def _hint(code: int) -> str:
    if code == 404:
        return "the file or directory is not there: check the version, the RC number and the profile's URLs"
    if code in (401, 403):
        return "the server refused access"
    return "try again later"


def read(
    location: str,
    *,
    max_bytes: int = 64 << 20,
    svn: Svn | None = None,
    timeout: float = 60,
) -> bytes:
    """The whole content of a small resource (KEYS, a roster, a thread), at most max_bytes."""
    where = kind(location)
    if where == "file":
        path = local_path(location)
        if not path.is_file():
            raise UsageError(f"{path} does not exist or is not a file")
        if path.stat().st_size > max_bytes:
            raise UsageError(f"{path} is larger than the {max_bytes >> 20} MiB allowed here")
        return path.read_bytes()
    if where == "svn":
        data = (svn or Svn()).cat(location)
        if data is None:
            raise ExternalError(f"{location} does not exist in Subversion", "check the profile's dist URLs")
        if len(data) > max_bytes:
            raise ExternalError(f"{location} is larger than the {max_bytes >> 20} MiB allowed here")
        return data
    with _open(location, timeout) as response:
        data = response.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise ExternalError(f"{location} is larger than the {max_bytes >> 20} MiB allowed here")
    return bytes(data)


def download(
    url: str,
    dest: Path,
    *,
    max_bytes: int,
    progress: Progress | None = None,
    timeout: float = 60,
    headers: Mapping[str, str] | None = None,
) -> int:
    """Stream an http(s) URL to dest (written as .partial, then renamed); return its size."""
    progress = progress or NoProgress()
    partial = dest.with_name(dest.name + ".partial")
    with _open(url, timeout) as response:
        declared = response.headers.get("Content-Length")
        total = int(declared) if declared and declared.isdigit() else None
        if total is not None and total > max_bytes:
            raise ExternalError(f"{url} is {total >> 20} MiB, more than the {max_bytes >> 20} MiB allowed")
        size = 0
        with partial.open("wb") as out, progress.task(f"download {dest.name}", total) as task:
            while chunk := response.read(CHUNK):
                size += len(chunk)
                if size > max_bytes:
                    out.close()
                    partial.unlink(missing_ok=True)
                    raise ExternalError(f"{url} is larger than the {max_bytes >> 20} MiB allowed")
                out.write(chunk)
                task.advance(len(chunk))
    partial.replace(dest)
    return size


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
