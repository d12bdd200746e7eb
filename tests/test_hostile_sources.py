"""Listings and servers from outside, as an attacker or an unlucky mirror makes them: names that
are paths once decoded, redirects, a trickle of bytes. Nothing lands outside the work directory,
links resolve against where the listing really is, and every transfer has a deadline."""

from __future__ import annotations

import json
import os
import time
import urllib.parse
from pathlib import Path

import pytest

from asf_release.adapters import http
from asf_release.errors import ExternalError
from tests.conftest import run_cli
from tests.http_fixtures import Route, Server, http_server
from tests.test_verify_sources import autoindex_page, svn_page
from tests.verify_fixtures import RcFactory, config_env, rc_factory

__all__ = ["http_server", "rc_factory"]

RC_PATH = "/dev/kvrocks/2.11.0-rc1/"


def _verify(
    rc_factory: RcFactory, url: str, tmp_path: Path, **sections: dict[str, object]
) -> tuple[int, dict, str]:  # type: ignore[type-arg]
    env = config_env(tmp_path, **sections)
    env["TMPDIR"] = str(tmp_path / "tmpdir")  # the work directory is made here: tmp_path/tmpdir/x/rc
    (tmp_path / "tmpdir").mkdir(exist_ok=True)
    done = run_cli(
        "verify",
        url,
        "--keys",
        str(rc_factory.keyring.keys_file),
        "--git",
        str(rc_factory.repo),
        "--no-build",
        "--json",
        cwd=tmp_path,
        env=env,
        timeout=120,
    )
    assert "Traceback" not in done.stderr, done.stderr
    report = json.loads(done.stdout) if done.stdout.strip().startswith("{") else {}
    return done.returncode, report, done.stderr


@pytest.mark.parametrize("style", ["autoindex", "svn"])
def test_names_that_decode_to_paths_are_never_written_and_fail_the_verdict(
    rc_factory: RcFactory, http_server: Server, tmp_path: Path, style: str
) -> None:
    rc = rc_factory.build()
    outside = tmp_path / "outside"
    outside.mkdir()
    hostile = [
        "..%2F..%2F..%2Foutside%2Frelative",  # tmp_path/tmpdir/WORK/rc/../../../outside/relative
        urllib.parse.quote(str(outside / "absolute"), safe=""),  # %2F...: an absolute path
        "&#46;&#46;%2F&#46;&#46;%2F&#46;&#46;%2Foutside%2Fentity",  # HTML entities, then %-decoding
        "..%5C..%5Coutside%5Cbackslash",
        "evil%0Aname.txt",
    ]
    page = (autoindex_page if style == "autoindex" else svn_page)(
        RC_PATH, sorted(p.name for p in rc.iterdir())
    )
    links = "".join(f'<a href="{href}">x</a>\n' for href in hostile)
    http_server.page(RC_PATH, page.replace("</body>", links + "</body>"))
    http_server.serve_directory(RC_PATH, rc)
    http_server.fallback = lambda path: Route(b"written by the server\n")  # every hostile name answers

    code, report, stderr = _verify(rc_factory, http_server.base + RC_PATH, tmp_path)

    assert sorted(p.name for p in outside.iterdir()) == []
    assert not list((tmp_path / "tmpdir").iterdir())  # the work directory is gone afterwards too
    assert code == 1 and report["verdict"] == "fail", stderr
    artifacts = next(c for c in report["checks"] if c["id"] == "artifacts")
    said = " ".join(f["message"] for f in artifacts["findings"] if f["level"] == "fail")
    assert "../../../outside/relative" in said and str(outside / "absolute") in said
    assert "not a plain file name" in said
    others = {c["id"]: c["status"] for c in report["checks"] if c["id"] != "artifacts"}
    assert others["signatures"] == "pass" and others["checksums"] == "pass"  # the good files were read


def test_a_redirected_listing_resolves_its_links_against_where_it_landed(
    rc_factory: RcFactory, http_server: Server, tmp_path: Path
) -> None:
    rc = rc_factory.build()
    moved = "/new" + RC_PATH
    http_server.page(moved, autoindex_page(moved, sorted(p.name for p in rc.iterdir())))
    http_server.serve_directory(moved, rc)
    # the old site sends everything to the new directory's page, as a moved site does
    http_server.fallback = lambda path: (
        Route(status=301, headers={"Location": http_server.base + moved})
        if path.startswith("/dev/")
        else None
    )
    code, report, stderr = _verify(rc_factory, http_server.base + RC_PATH, tmp_path)
    assert code == 0 and report["verdict"] == "pass", stderr + json.dumps(report)[:2000]
    assert report["source"] == http_server.base + moved and report["rc"] == 1
    assert f"{moved}{rc_factory.artifact}" in http_server.hits


def test_redirects_go_only_to_http_of_the_same_kind_of_host(http_server: Server) -> None:
    http_server.redirect("/to-file", "file:///etc/passwd")
    http_server.redirect("/to-ftp", "ftp://127.0.0.1/x")
    for path in ("/to-file", "/to-ftp"):
        with pytest.raises(ExternalError) as raised:
            http.read(http_server.base + path)
        assert "redirect" in raised.value.message
    allowed = http.redirect_allowed
    assert allowed("https://dist.apache.org/x", "https://downloads.apache.org/y") is None
    assert allowed("http://127.0.0.1:8080/a", "http://10.1.2.3/b") is None  # tests start at loopback
    for origin, target in (
        ("https://93.184.216.34/a", "https://127.0.0.1/b"),
        ("https://93.184.216.34/a", "http://[::1]/b"),
        ("https://93.184.216.34/a", "https://10.0.0.7/b"),
        ("https://93.184.216.34/a", "https://169.254.169.254/latest/meta-data"),
        ("https://10.0.0.7/a", "https://127.0.0.1/b"),
        ("https://93.184.216.34/a", "http://93.184.216.34/b"),  # https never becomes plain http
        ("https://93.184.216.34/a", "file:///etc/passwd"),
    ):
        assert allowed(origin, target), (origin, target)


def test_a_trickling_server_is_cut_off_at_the_deadline(http_server: Server, tmp_path: Path) -> None:
    http_server.routes["/slow"] = Route(b"x" * 400, trickle=0.05)  # 20 s in all, never silent for long
    started = time.monotonic()
    with pytest.raises(ExternalError) as raised:
        http.read(http_server.base + "/slow", seconds=1.5)
    assert "1.5 s" in raised.value.message and raised.value.hint
    with pytest.raises(ExternalError):
        http.download(http_server.base + "/slow", tmp_path / "slow.bin", max_bytes=1 << 20, seconds=1.5)
    assert not list(tmp_path.iterdir())  # no partial file left
    assert time.monotonic() - started < 15  # both cut long before the 40 s the server would take
    # the limit on size holds without a Content-Length too
    http_server.routes["/big"] = Route(b"y" * 5000, length=False)
    with pytest.raises(ExternalError) as raised:
        http.read(http_server.base + "/big", max_bytes=1000)
    assert "larger than" in raised.value.message


def test_verify_of_a_trickling_mirror_exits_3(
    rc_factory: RcFactory, http_server: Server, tmp_path: Path
) -> None:
    rc = rc_factory.build()
    http_server.page(RC_PATH, autoindex_page(RC_PATH, sorted(p.name for p in rc.iterdir())))
    http_server.serve_directory(RC_PATH, rc)
    artifact = RC_PATH + rc_factory.artifact
    http_server.routes[artifact] = Route(http_server.routes[artifact].body, trickle=0.05)
    code, _, stderr = _verify(
        rc_factory, http_server.base + RC_PATH, tmp_path, checks={"max_download_seconds": 2}
    )
    assert code == 3, stderr
    assert "2 s" in stderr and "max_download_seconds" in stderr
    assert not [p for p in (tmp_path / "tmpdir").rglob("*")]
    assert os.listdir(tmp_path / "tmpdir") == []


def test_a_local_directory_with_names_that_are_not_plain_fails_and_says_so(
    rc_factory: RcFactory, tmp_path: Path
) -> None:
    rc = rc_factory.build()
    for name in ("evil\x1b[2J.txt", "line\u2028break.txt", "-rf", "rtl\u202egz.exe"):
        (rc / name).write_text("x\n")
    code, report, stderr = _verify(rc_factory, str(rc), tmp_path)
    assert code == 1 and report["verdict"] == "fail", stderr
    artifacts = next(c for c in report["checks"] if c["id"] == "artifacts")
    said = [f["message"] for f in artifacts["findings"] if f["level"] == "fail"]
    assert len(said) == 4 and all("not a plain file name" in m for m in said), said
    assert not any("\x1b" in m or "\u2028" in m for m in said)  # shown escaped, never raw
