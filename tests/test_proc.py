from __future__ import annotations

import logging

import pytest

from asf_release.adapters import proc
from asf_release.errors import ExitCode, ToolFailed, ToolNotFound


def test_argv_is_logged_with_secrets_masked(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="asf_release.proc")
    proc.run(
        ["true", "--password", "hunter2", "--token=abc", "https://rm:pw@svn.example/x", "s3cr3t"],
        secrets=["s3cr3t"],
    )
    logged = caplog.text
    for secret in ("hunter2", "abc", ":pw@", "s3cr3t"):
        assert secret not in logged
    # shell-quoted as every command shown to people: the mask is never a glob when pasted
    assert "true --password '******' '--token=******' 'https://rm:******@svn.example/x' '******'" in logged


def test_failure_carries_stderr_exit_code_and_hint() -> None:
    with pytest.raises(ToolFailed) as caught:
        proc.run(["sh", "-c", "echo 'it broke' >&2; exit 3"], hint="try again")
    error = caught.value
    assert error.returncode == 3 and "it broke" in error.stderr and error.hint == "try again"
    assert error.exit_code is ExitCode.EXTERNAL
    assert "it broke" in error.message


def test_secrets_are_masked_in_stderr_too() -> None:
    with pytest.raises(ToolFailed) as caught:
        proc.run(["sh", "-c", "echo 'bad password hunter2' >&2; exit 1"], secrets=["hunter2"])
    assert "hunter2" not in caught.value.message


def test_a_missing_tool_is_named_with_the_package_to_install() -> None:
    with pytest.raises(ToolNotFound) as caught:
        proc.run(["svnadmin-that-does-not-exist"])
    assert "not installed" in caught.value.message


def test_timeouts_become_tool_failures() -> None:
    with pytest.raises(ToolFailed) as caught:
        proc.run(["sleep", "5"], timeout=0.2)
    assert caught.value.timed_out


def test_stream_yields_stdout_and_reports_failure() -> None:
    with proc.stream(["sh", "-c", "printf abc"]) as out:
        assert out.read() == b"abc"
    with pytest.raises(ToolFailed), proc.stream(["sh", "-c", "printf x; echo oops >&2; exit 2"]) as out:
        out.read()
