"""build, tests: the profile's build and test commands, run in the unpacked tree with a time
limit. Logs are kept (the report says where) and their tail shown when a command fails.

The commands are the RC's code: they run with nothing of ours (adapters/isolation), in a
bubblewrap sandbox when the machine allows it, and the result says which isolation was used."""

from __future__ import annotations

import os
import shlex
import shutil
from pathlib import Path

from asf_release.adapters import isolation
from asf_release.checks.common import source_archive
from asf_release.errors import ReleaseError, ToolFailed
from asf_release.verify.model import CheckResult, fail, note
from asf_release.verify.rc import OpenedRC

TAIL = 25


def check_build(rc: OpenedRC) -> CheckResult:
    return _run(rc, "build", rc.profile.build.command)


def check_tests(rc: OpenedRC) -> CheckResult:
    if rc.outcomes.get("build") is False:
        return CheckResult.skipped("tests", "the build failed")
    return _run(rc, "tests", rc.profile.build.test_command)


def _run(rc: OpenedRC, check_id: str, template: str) -> CheckResult:
    if not rc.build:
        return CheckResult.skipped(check_id, "--no-build was given")
    if not template.strip():
        return CheckResult.skipped(check_id, "the profile has no command for this")
    missing = [tool for tool in rc.profile.build.required_tools if shutil.which(tool) is None]
    if missing:
        return CheckResult.skipped(check_id, f"{', '.join(missing)} not installed (build.required_tools)")
    scan = source_archive(rc, check_id)
    if isinstance(scan, CheckResult):
        return scan
    tree = scan.extracted
    if tree is None or not tree.is_dir():
        return CheckResult.skipped(check_id, "the source tree was not unpacked")
    command = template.replace("{jobs}", str(os.cpu_count() or 1))
    settings = rc.profile.build
    sandbox = isolation.choose(settings.isolation, network=settings.network)
    if sandbox.error:
        return CheckResult.skipped(check_id, sandbox.error)
    assert rc.logs is not None
    rc.logs.mkdir(parents=True, exist_ok=True)
    log = rc.logs / f"{check_id}.log"
    home = rc.work / f"home-{check_id}"  # a HOME of its own, removed with the work directory
    ok, problem = _execute(shlex.split(command), tree, home, log, settings.timeout_minutes, sandbox)
    rc.outcomes[check_id] = ok
    said = note("", f"`{command}` ran {sandbox.detail}")
    if ok:
        return CheckResult.of(check_id, [said], f"`{command}` succeeded, {sandbox.detail}; log: {log}")
    tail = "\n".join(log.read_text(errors="replace").splitlines()[-TAIL:])
    return CheckResult.of(
        check_id,
        [
            fail(str(log), f"`{command}` {problem}; last lines of the log:\n{tail}", f"the whole log: {log}"),
            said,
        ],
        f"{sandbox.detail}; log: {log}",
    )


def _execute(
    argv: list[str], tree: Path, home: Path, log: Path, minutes: int, sandbox: isolation.Isolation
) -> tuple[bool, str]:
    with log.open("wb") as out:
        try:
            done = isolation.run(
                argv, tree=tree, home=home, isolation=sandbox, timeout=minutes * 60, stdout=out
            )
        except ToolFailed as error:
            out.write(error.stderr.encode())
            return False, f"did not finish in {minutes} minutes" if error.timed_out else "could not run"
        except ReleaseError as error:
            out.write(f"{error.message}\n".encode())
            return False, "could not run"
        out.write(done.stderr.encode())
    return done.returncode == 0, f"failed (exit {done.returncode})"
