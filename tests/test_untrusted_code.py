"""Code from an RC (its build and tests) and from a project's checkout (its packaging command)
runs with nothing of ours: no secret in its environment, no agent socket, not our GnuPG home, and,
when the machine allows it, in a bubblewrap sandbox where only its tree is writable and the
network is off. The report says which isolation was used."""

from __future__ import annotations

import base64
import json
import os
import shutil
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from asf_release.adapters import isolation
from tests.conftest import run_cli
from tests.release_fixtures import VERSION, Release, keyed, release
from tests.verify_fixtures import RcFactory, config_env, rc_factory

__all__ = ["keyed", "rc_factory", "release"]

SECRETS = {
    "ASF_RELEASE_SMTP_PASSWORD": "smtp-secret-4711",
    "ASF_RELEASE_SVN_PASSWORD": "svn-secret-4712",
    "SSH_AUTH_SOCK": "/run/user/0/ssh-agent-4713",
    "GPG_AGENT_INFO": "/run/user/0/gnupg/S.gpg-agent-4714",
    "GITHUB_TOKEN": "token-4715",
    "https_proxy": "http://someone:proxy-secret-4716@proxy.example:3128",
}
DUMP = "import os, json; print('ENV=' + json.dumps(dict(os.environ)))"


@pytest.fixture
def listener() -> Iterator[tuple[int, list[bytes]]]:
    """A TCP port on 127.0.0.1 that records whoever reaches it."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    server.settimeout(0.2)
    reached: list[bytes] = []
    stop = threading.Event()

    def accept() -> None:
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except OSError:
                continue
            reached.append(conn.recv(100))
            conn.close()

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield server.getsockname()[1], reached
    stop.set()
    thread.join()
    server.close()


def _dumped_env(log: str) -> dict[str, str]:
    line = next(line for line in log.splitlines() if line.startswith("ENV="))
    env: dict[str, str] = json.loads(line.removeprefix("ENV="))
    return env


def _verify_build(rc_factory: RcFactory, tmp_path: Path, command: str, **build: object) -> tuple[dict, str]:  # type: ignore[type-arg]
    home = tmp_path / "caller-home"
    (home / ".gnupg").mkdir(parents=True, exist_ok=True)
    (home / ".ssh").mkdir(exist_ok=True)
    (home / ".ssh" / "id_rsa").write_text("PRIVATE KEY 4717\n")
    env = config_env(
        tmp_path,
        build={"command": command, "test_command": "", "required_tools": ["python3"], **build},
    )
    env.update(SECRETS, HOME=str(home), GNUPGHOME=str(home / ".gnupg"))
    done = run_cli(
        "verify",
        str(rc_factory.build()),
        "--keys",
        str(rc_factory.keyring.keys_file),
        "--rc",
        "1",
        "--only",
        "archive,build",
        "--json",
        cwd=tmp_path,
        env=env,
    )
    assert "Traceback" not in done.stderr, done.stderr
    report = json.loads(done.stdout)
    build_result = next(c for c in report["checks"] if c["id"] == "build")
    log = Path(report["logs"]) / "build.log"
    return build_result, log.read_text()


def test_the_build_sees_none_of_our_secrets(rc_factory: RcFactory, tmp_path: Path) -> None:
    result, log = _verify_build(rc_factory, tmp_path, f'python3 -c "{DUMP}"')
    assert result["status"] == "pass", result
    seen = _dumped_env(log)
    for value in (*SECRETS.values(), str(tmp_path / "caller-home")):
        assert value not in log, value
    assert not [name for name in seen if name.startswith("ASF_RELEASE_")]
    assert "SSH_AUTH_SOCK" not in seen and "GPG_AGENT_INFO" not in seen and "GNUPGHOME" not in seen
    assert seen["HOME"] != str(tmp_path / "caller-home") and seen["LANG"] and seen["LC_ALL"]
    assert seen["PATH"]


@pytest.mark.skipif(not isolation.bubblewrap_works(network=False), reason="bubblewrap cannot run here")
def test_in_bubblewrap_only_the_tree_is_writable_and_the_network_is_off(
    rc_factory: RcFactory, tmp_path: Path, listener: tuple[int, list[bytes]]
) -> None:
    port, reached = listener
    outside = tmp_path / "written-by-the-build"
    script = (
        "import os, socket, pathlib\n"
        f"open('in-tree.txt', 'w').write('fine')\n"
        f"for path in [{str(outside)!r}, os.path.expanduser('~/../../etc/x'), '/usr/x']:\n"
        "    try: open(path, 'w').write('x'); print('WROTE', path)\n"
        "    except OSError as e: print('REFUSED', path, e.errno)\n"
        f"try: socket.create_connection(('127.0.0.1', {port}), 2).sendall(b'hello'); print('NET open')\n"
        "except OSError as e: print('NET closed', e.errno)\n"
        f"print('SSH', os.path.exists({str(tmp_path / 'caller-home' / '.ssh' / 'id_rsa')!r}))\n"
    )
    encoded = base64.b64encode(script.encode()).decode()  # /tmp is hidden: the probe travels inline
    command = f"python3 -c \"import base64; exec(base64.b64decode('{encoded}'))\""
    result, log = _verify_build(rc_factory, tmp_path, command, network=False)
    assert "bubblewrap" in result["summary"] and "network off" in result["summary"], result
    assert not outside.exists() and "NET closed" in log and reached == []
    assert "SSH False" in log  # the caller's home (under /tmp here) is hidden, not only read-only
    assert "WROTE /usr/x" not in log


def test_without_isolation_the_environment_is_still_minimal(rc_factory: RcFactory, tmp_path: Path) -> None:
    result, log = _verify_build(rc_factory, tmp_path, f'python3 -c "{DUMP}"', isolation="none")
    assert result["status"] == "pass" and "no isolation" in result["summary"], result
    for value in SECRETS.values():
        assert value not in log


def test_bubblewrap_required_but_missing_is_said(rc_factory: RcFactory, tmp_path: Path) -> None:
    env_path = tmp_path / "bin"
    env_path.mkdir()
    for tool in ("python3", "sh", "gpg", "gpgconf", "git", "gzip"):
        found = shutil.which(tool)
        if found:
            (env_path / tool).symlink_to(found)
    result = isolation.choose("bubblewrap", network=False, path=str(env_path))
    assert result.error and "bubblewrap" in result.error
    auto = isolation.choose("auto", network=False, path=str(env_path))
    assert auto.kind == "none" and not auto.error and "bwrap" in auto.detail


def test_the_packaging_command_does_not_see_our_passwords(keyed: Release, tmp_path: Path) -> None:
    dump = tmp_path / "package-env.json"
    script = tmp_path / "package.py"
    script.write_text(
        "import json, os, sys, subprocess\n"
        f"open({str(dump)!r}, 'w').write(json.dumps(dict(os.environ)))\n"
        "sys.exit(1)\n"
    )
    config = Path(keyed.sandbox.env()["ASF_RELEASE_CONFIG"])
    config.write_text(config.read_text() + f'\n[source]\npackage_command = "python3 {script} {{version}}"\n')
    done = keyed.cli("package", VERSION, env={k: v for k, v in SECRETS.items() if k.startswith("ASF")})
    assert done.returncode == 3, done.stdout + done.stderr
    seen = json.loads(dump.read_text())
    assert "smtp-secret-4711" not in json.dumps(seen) and "svn-secret-4712" not in json.dumps(seen)
    assert seen.get("GNUPGHOME") == str(keyed.sandbox.gnupg)  # it signs with the release manager's key
    assert os.environ.get("PATH", "").split(":")[0] in seen["PATH"]
