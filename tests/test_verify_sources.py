"""Where an RC comes from: a local directory, an https directory listing (Apache's dist server and
Subversion over HTTP, both served here on 127.0.0.1), a Subversion URL, or a bare version."""

from __future__ import annotations

import functools
import html
import json
import shutil
import subprocess
import threading
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from asf_release.sandbox.environment import Sandbox
from asf_release.verify.sources import _links
from tests.conftest import run_cli
from tests.verify_fixtures import RcFactory, config_env, failing, rc_factory, run_verify, statuses

__all__ = ["rc_factory"]


def autoindex_page(path: str, names: list[str]) -> str:
    """An httpd mod_autoindex page ("Index of ..."), with its sort and parent links."""
    rows = "\n".join(
        f'<img src="/icons/unknown.gif" alt="[   ]"> <a href="{html.escape(n)}">{html.escape(n)}</a>'
        f"  2026-01-01 10:00  12K"
        for n in names
    )
    parent = path.rstrip("/").rsplit("/", 1)[0] + "/"
    return (
        '<!DOCTYPE HTML PUBLIC "-//W3C//DTD HTML 3.2 Final//EN">\n<html>\n <head>\n'
        f"  <title>Index of {path}</title>\n </head>\n <body>\n<h1>Index of {path}</h1>\n"
        '<pre><img src="/icons/blank.gif" alt="Icon "> <a href="?C=N;O=D">Name</a>'
        '                    <a href="?C=M;O=A">Last modified</a>      <a href="?C=S;O=A">Size</a><hr>'
        f'<img src="/icons/back.gif" alt="[PARENTDIR]"> <a href="{parent}">Parent Directory</a>\n'
        f"{rows}\n<hr></pre>\n</body></html>\n"
    )


def svn_page(path: str, names: list[str]) -> str:
    """A mod_dav_svn directory page: a <ul> of <li><a href>."""
    items = "\n".join(f'  <li><a href="{html.escape(n)}">{html.escape(n)}</a></li>' for n in names)
    return (
        f"<html><head><title>dist - Revision 4242: {path}</title></head>\n<body>\n"
        f' <h2>dist - Revision 4242: {path}</h2>\n <ul>\n  <li><a href="../">..</a></li>\n{items}\n </ul>\n'
        ' <hr noshade><em>Powered by <a href="http://subversion.apache.org/">Apache Subversion</a> '
        "version 1.14.2 (r1899510).</em>\n</body></html>\n"
    )


class _Listing(SimpleHTTPRequestHandler):
    style = "autoindex"

    def list_directory(self, path: str | Any) -> Any:
        folder = Path(path)
        names = sorted(p.name + ("/" if p.is_dir() else "") for p in folder.iterdir())
        page = (autoindex_page if self.style == "autoindex" else svn_page)(self.path, names).encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(page)))
        self.end_headers()
        return __import__("io").BytesIO(page)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture(params=["autoindex", "svn"])
def dist_server(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[str, Path]]:
    root = tmp_path / "www"
    (root / "dev" / "kvrocks").mkdir(parents=True)
    handler = type("Handler", (_Listing,), {"style": request.param})
    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(handler, directory=str(root)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", root
    server.shutdown()
    server.server_close()


def _stage(rc_factory: RcFactory, root: Path) -> Path:
    staged = root / "dev" / "kvrocks" / "2.11.0-rc1"
    shutil.copytree(rc_factory.build(), staged)
    return staged


def test_listings_of_both_servers_give_the_files_only() -> None:
    base = "https://dist.example.org/dev/kvrocks/2.11.0-rc1/"
    names = ["a.tar.gz", "a.tar.gz.asc", "sub/", "odd name.txt"]
    for page in (
        autoindex_page("/dev/kvrocks/2.11.0-rc1/", names),
        svn_page("/dev/kvrocks/2.11.0-rc1", names),
    ):
        assert _links(page, base, dirs=False) == ["a.tar.gz", "a.tar.gz.asc", "odd name.txt"]
        assert _links(page, base, dirs=True) == ["sub"]


def test_an_https_rc_directory_is_downloaded_and_verified(
    dist_server: tuple[str, Path], rc_factory: RcFactory, tmp_path: Path
) -> None:
    url, root = dist_server
    _stage(rc_factory, root)
    report = run_verify(rc_factory, f"{url}/dev/kvrocks/2.11.0-rc1/", tmp_path, rc=None)
    assert report.rc == 1  # from the staging directory's name
    assert failing(report) == set() and report.source.endswith("/2.11.0-rc1/"), statuses(report)


def test_a_bare_version_finds_the_latest_staged_rc(
    dist_server: tuple[str, Path], rc_factory: RcFactory, tmp_path: Path
) -> None:
    url, root = dist_server
    _stage(rc_factory, root)
    env = config_env(tmp_path, dist={"dev_url": f"{url}/dev/kvrocks"})
    report = run_verify(rc_factory, "2.11.0", tmp_path, rc=None, env=env)
    assert (report.version, report.rc) == ("2.11.0", 1)
    assert failing(report) == set(), statuses(report)


def test_download_failures_exit_3(
    dist_server: tuple[str, Path], rc_factory: RcFactory, tmp_path: Path
) -> None:
    url, root = dist_server
    _stage(rc_factory, root)
    keys = str(rc_factory.keyring.keys_file)
    done = run_cli("verify", f"{url}/dev/kvrocks/2.11.0-rc9/", "--keys", keys, "--no-build", cwd=tmp_path)
    assert done.returncode == 3 and "404" in done.stderr and "Traceback" not in done.stderr
    env = config_env(tmp_path, checks={"max_download_mb": 0})
    done = run_cli(
        "verify", f"{url}/dev/kvrocks/2.11.0-rc1/", "--keys", keys, "--no-build", cwd=tmp_path, env=env
    )
    assert done.returncode == 3 and "allowed" in done.stderr
    assert not list(tmp_path.glob("**/*.tar.gz.partial"))


def test_an_svn_staged_rc_with_svn_keys(sandbox: Sandbox, rc_factory: RcFactory, tmp_path: Path) -> None:
    """The call the demo makes once staging lands: the staged directory and KEYS, both in svn."""
    staged = f"{sandbox.svn.dev_url()}/2.11.0-rc1"
    keys = f"{sandbox.svn.release_url()}/KEYS-verify"
    auth = ["--non-interactive", "--username", "rm", "--password-from-stdin"]
    secret = sandbox.svn.password + "\n"
    for source, target in ((rc_factory.build(), staged), (rc_factory.keyring.keys_file, keys)):
        subprocess.run(
            ["svn", "import", *auth, "-m", "stage", str(source), target],
            input=secret,
            text=True,
            check=True,
            capture_output=True,
        )
    env = {**sandbox.env(), "HOME": str(tmp_path)}
    done = run_cli(
        "verify",
        staged,
        "--keys",
        keys,
        "--git",
        str(rc_factory.repo),
        "--no-build",
        "--json",
        cwd=tmp_path,
        env=env,
    )
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["verdict"] == "pass" and report["rc"] == 1 and report["keys"] == keys
    done = run_cli(
        "verify", f"{sandbox.svn.dev_url()}/2.11.0-rc7", "--keys", keys, "--no-build", cwd=tmp_path, env=env
    )
    assert done.returncode == 3 and "does not exist" in done.stderr
