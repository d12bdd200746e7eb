"""The listings of the real servers an RC is read from: Apache httpd's mod_autoindex (as on
downloads.apache.org, fancy table or <pre>) and Subversion's mod_dav_svn (dist.apache.org), both
run here on 127.0.0.1 from Debian's apache2 and libapache2-mod-svn, with a redirect of mod_alias.
Whatever names a real RC directory holds come through as themselves, and the RC verifies."""

from __future__ import annotations

import json
import shutil
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from asf_release.sandbox.services import free_port
from tests.conftest import run_cli, short_dir
from tests.verify_fixtures import RcFactory, config_env, rc_factory

__all__ = ["rc_factory"]

MODULES = Path("/usr/lib/apache2/modules")
RC = "dev/kvrocks/2.11.0-rc1"
ODD_NAMES = ["notes with spaces.txt", "100%.txt", "ünïcode-é.txt", "a+b&c=d;e.txt", "#hash.txt"]


@pytest.fixture
def httpd(rc_factory: RcFactory) -> Iterator[str]:
    if shutil.which("apache2") is None and not Path("/usr/sbin/apache2").exists():
        pytest.skip("apache2 is not installed (scripts/setup.sh installs it)")
    base = short_dir("asfr-httpd-")
    base.chmod(0o755)  # httpd's children run as www-data
    rc = rc_factory.build()
    for www in ("fancy", "plain"):
        target = base / www / RC
        shutil.copytree(rc, target)
        for name in ODD_NAMES:
            (target / name).write_text("an unexpected file, named as people name files\n")
    repo = base / "svn"
    subprocess.run(["svnadmin", "create", str(repo)], check=True)
    subprocess.run(
        ["svn", "import", "-q", "-m", "stage", str(base / "fancy" / RC), f"file://{repo}/{RC}"], check=True
    )
    subprocess.run(["chmod", "-R", "a+rX", str(base)], check=True)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    modules = ["mpm_prefork", "authz_core", "dir", "mime", "autoindex", "alias", "dav", "dav_svn"]
    conf = base / "httpd.conf"
    conf.write_text(
        f"ServerRoot {base}\nServerName 127.0.0.1\nListen 127.0.0.1:{port}\nPidFile {base}/httpd.pid\n"
        f"ErrorLog {base}/error.log\nUser www-data\nGroup www-data\nTypesConfig /etc/mime.types\n"
        + "".join(f"LoadModule {m}_module {MODULES}/mod_{m}.so\n" for m in modules)
        + f"DocumentRoot {base}\n"
        f"<Directory {base}>\n  Options +Indexes\n  Require all granted\n  IndexOptions Charset=UTF-8\n</Directory>\n"
        f"<Directory {base}/fancy>\n  IndexOptions FancyIndexing HTMLTable VersionSort NameWidth=*\n</Directory>\n"
        f"<Directory {base}/plain>\n  IndexOptions FancyIndexing\n</Directory>\n"
        f"Redirect permanent /moved/ {url}/plain/\n"
        f"<Location /repos/dist>\n  DAV svn\n  SVNPath {repo}\n  Require all granted\n</Location>\n"
    )
    started = subprocess.run(
        ["apache2", "-f", str(conf), "-k", "start"],
        capture_output=True,
        text=True,
        check=False,
        env={
            "PATH": "/usr/sbin:/usr/bin:/sbin:/bin",
            "APACHE_RUN_DIR": str(base),
            "APACHE_LOCK_DIR": str(base),
        },
    )
    if started.returncode != 0:
        shutil.rmtree(base, ignore_errors=True)
        pytest.fail(f"apache2 did not start: {started.stderr}")
    for _ in range(100):
        try:
            urllib.request.urlopen(url + "/plain/", timeout=1).close()
            break
        except OSError:
            time.sleep(0.1)
    yield url
    subprocess.run(["apache2", "-f", str(conf), "-k", "stop"], capture_output=True, check=False)
    for _ in range(50):
        if not (base / "httpd.pid").exists():
            break
        time.sleep(0.1)
    shutil.rmtree(base, ignore_errors=True)


@pytest.mark.parametrize("where", ["fancy", "plain", "moved", "repos/dist"])
def test_a_real_server_listing_verifies(
    httpd: str, rc_factory: RcFactory, tmp_path: Path, where: str
) -> None:
    url = f"{httpd}/{where}/{RC}/"
    done = run_cli(
        "verify", url, "--keys", str(rc_factory.keyring.keys_file), "--git", str(rc_factory.repo),
        "--no-build", "--json", cwd=tmp_path, env=config_env(tmp_path),
    )  # fmt: skip
    assert "Traceback" not in done.stderr, done.stderr
    report = json.loads(done.stdout)
    failed = {c["id"]: c["findings"] for c in report["checks"] if c["status"] == "fail"}
    assert failed == {} and report["rc"] == 1, failed
    artifacts = next(c for c in report["checks"] if c["id"] == "artifacts")
    unexpected = sorted(f["path"] for f in artifacts["findings"] if "unexpected" in f["message"])
    assert unexpected == sorted(ODD_NAMES)  # each name came through as itself
    if where == "moved":
        assert report["source"] == f"{httpd}/plain/{RC}/"  # where the redirect landed
