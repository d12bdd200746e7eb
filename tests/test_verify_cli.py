"""The verify command as a voter runs it: table, JSON, reply, exit codes."""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import run_cli
from tests.verify_fixtures import RcFactory, config_env, rc_factory

__all__ = ["rc_factory"]


def _args(rc_factory: RcFactory, source: Path) -> list[str]:
    return [
        "verify",
        str(source),
        "--keys",
        str(rc_factory.keyring.keys_file),
        "--git",
        str(rc_factory.repo),
        "--rc",
        "1",
    ]


def test_json_shape_and_exit_0(rc_factory: RcFactory, tmp_path: Path) -> None:
    done = run_cli(
        *_args(rc_factory, rc_factory.build()), "--no-build", "--json", cwd=tmp_path, env=config_env(tmp_path)
    )
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["verdict"] == "pass"
    assert [c["id"] for c in report["checks"]] == [
        "artifacts", "checksums", "signatures", "archive", "license", "notice",
        "headers", "binaries", "provenance", "build", "tests",
    ]  # fmt: skip
    for check in report["checks"]:
        assert set(check) >= {"id", "status", "findings"}
        assert all({"path", "message"} <= set(f) for f in check["findings"])


def test_a_failed_check_exits_1_with_a_table_and_a_minus_one_reply(
    rc_factory: RcFactory, tmp_path: Path
) -> None:
    rc = rc_factory.build(signer="outsider")
    done = run_cli(*_args(rc_factory, rc), "--no-build", "--reply", cwd=tmp_path, env=config_env(tmp_path))
    assert done.returncode == 1
    assert "signatures" in done.stderr and "fail" in done.stderr and "not in KEYS" in done.stderr
    reply = done.stdout
    assert reply.startswith("-1")
    lines = [line for line in reply.splitlines() if line.startswith("[")]
    assert lines[0].startswith("[x] Download links are valid")
    assert lines[1].startswith("[-] Checksums and signatures") and "not in KEYS" in lines[1]
    assert any(line.startswith("[ ] Can compile from source") for line in lines)
    assert "My vote is -1 because:" in reply


def test_a_good_rc_drafts_a_plus_one(rc_factory: RcFactory, tmp_path: Path) -> None:
    done = run_cli(
        *_args(rc_factory, rc_factory.build()),
        "--reply",
        "--only",
        "artifacts,checksums",
        "--skip",
        "checksums",
        cwd=tmp_path,
        env=config_env(tmp_path),
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("+1") and "[x] Download links are valid: OK" in done.stdout
    assert "[ ] Checksums and signatures: not checked" in done.stdout


def test_usage_errors_exit_2(rc_factory: RcFactory, tmp_path: Path) -> None:
    done = run_cli("verify", str(tmp_path), "--only", "nonsense", cwd=tmp_path)
    assert done.returncode == 2 and "artifacts, checksums" in done.stderr
    done = run_cli("verify", "not-a-thing", cwd=tmp_path)
    assert done.returncode == 2 and "neither a directory" in done.stderr
    done = run_cli("verify", str(tmp_path), "--keys", str(tmp_path / "missing-KEYS"), cwd=tmp_path)
    assert done.returncode == 2 and "Traceback" not in done.stderr


def test_help_has_an_example() -> None:
    done = run_cli("verify", "--help")
    assert done.returncode == 0 and "Example: asf-release verify" in done.stdout
