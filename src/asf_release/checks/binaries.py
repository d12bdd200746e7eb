"""binaries: every file judged by its content. Compiled code fails unless the profile allows it
(checks.allowed_binaries); other binary data (images, fonts) is listed."""

from __future__ import annotations

import pathspec

from asf_release.checks.common import capped, source_archive
from asf_release.verify import content
from asf_release.verify.model import CheckResult, Finding, fail, note
from asf_release.verify.rc import OpenedRC

ID = "binaries"


def check(rc: OpenedRC) -> CheckResult:
    scan = source_archive(rc, ID)
    if isinstance(scan, CheckResult):
        return scan
    allowed = pathspec.GitIgnoreSpec.from_lines(rc.profile.checks.allowed_binaries)
    compiled: list[Finding] = []
    data: list[Finding] = []
    for path in sorted(scan.files):
        facts = scan.files[path]
        if facts.kind == content.COMPILED:
            if allowed.match_file(path):
                data.append(note(path, f"{facts.what}, allowed by the profile"))
            else:
                compiled.append(
                    fail(
                        path,
                        f"compiled code: {facts.what}",
                        "a source release must not contain compiled code: remove it "
                        "(or allow it in checks.allowed_binaries if it truly belongs)",
                    )
                )
        elif facts.kind == content.DATA:
            expected = " (expected by the profile)" if allowed.match_file(path) else ""
            data.append(note(path, f"binary file: {facts.what}{expected}"))
    summary = f"{len(scan.files)} file(s) classified by content"
    return CheckResult.of(ID, [*capped(compiled, "compiled files"), *capped(data, "binary files")], summary)
