"""build, tests: the profile's build and test commands, run in the unpacked tree with a time
limit. Logs are kept (the report says where) and their tail shown when a command fails."""

from __future__ import annotations

import os
import shlex
import shutil
from pathlib import Path

from asf_release.adapters import proc
from asf_release.checks.common import source_archive
from asf_release.errors import ReleaseError, ToolFailed
from asf_release.verify.model import CheckResult, fail
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
    assert rc.logs is not None
    rc.logs.mkdir(parents=True, exist_ok=True)
    log = rc.logs / f"{check_id}.log"
    minutes = rc.profile.build.timeout_minutes
    ok, problem = _execute(shlex.split(command), tree, log, minutes)
    rc.outcomes[check_id] = ok
    if ok:
        return CheckResult.of(check_id, [], f"`{command}` succeeded; log: {log}")
    tail = "\n".join(log.read_text(errors="replace").splitlines()[-TAIL:])
    return CheckResult.of(
        check_id,
        [fail(str(log), f"`{command}` {problem}; last lines of the log:\n{tail}", f"the whole log: {log}")],
        f"log: {log}",
    )


def _execute(argv: list[str], tree: Path, log: Path, minutes: int) -> tuple[bool, str]:
    with log.open("wb") as out:
        try:
            done = proc.run(argv, cwd=tree, timeout=minutes * 60, check=False, stdout=out)
        except ToolFailed as error:
            out.write(error.stderr.encode())
            return False, f"did not finish in {minutes} minutes" if error.timed_out else "could not run"
        except ReleaseError as error:
            out.write(f"{error.message}\n".encode())
            return False, "could not run"
        out.write(done.stderr.encode())
    return done.returncode == 0, f"failed (exit {done.returncode})"
