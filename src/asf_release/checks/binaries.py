"""binaries: every file judged by its content. Compiled code fails unless the profile allows it
(checks.allowed_binaries); other binary data (images, fonts) is listed.

Compiled code kept as the input of the project's own tests (under src/test/, test/, testdata/...)
warns instead: ASF policy asks that a source release be sufficient to build *and test* the
release (a must) and says it should not contain compiled code (a should). Apache Maven ships
the jars its tests load (maven-core/src/test/remote-repo/...) in every source release; whether
such test input is acceptable is the voters' judgement, which the warning gives its evidence for.
"""

from __future__ import annotations

import pathspec

from asf_release.checks.common import capped, source_archive
from asf_release.verify import content
from asf_release.verify.model import CheckResult, Finding, fail, note, warn
from asf_release.verify.rc import OpenedRC

ID = "binaries"
# directories that hold the project's tests and their input
TEST_DIRECTORIES = frozenset(
    {"test", "tests", "testdata", "test-data", "test_data", "testing", "__tests__", "fixtures"}
)


def is_test_input(path: str) -> bool:
    """Under a test directory: src/test/..., tests/..., pkg/testdata/..., Maven's src/it/ (the
    file's own name does not count: an executable named test_table at the root is not test input)."""
    parts = path.lower().split("/")[:-1]
    return any(part in TEST_DIRECTORIES for part in parts) or "/src/it/" in f"/{'/'.join(parts)}/"


def check(rc: OpenedRC) -> CheckResult:
    scan = source_archive(rc, ID)
    if isinstance(scan, CheckResult):
        return scan
    allowed = pathspec.GitIgnoreSpec.from_lines(rc.profile.checks.allowed_binaries)
    compiled: list[Finding] = []
    tests: list[Finding] = []
    data: list[Finding] = []
    for path in sorted(scan.files):
        facts = scan.files[path]
        if facts.kind == content.COMPILED:
            if allowed.match_file(path):
                data.append(note(path, f"{facts.what}, allowed by the profile"))
            elif is_test_input(path):
                tests.append(
                    warn(
                        path,
                        f"compiled code kept as test input: {facts.what}",
                        "a source release should not contain compiled code; check the tests need "
                        "it and it is built from sources the release or its LICENSE names",
                    )
                )
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
    findings = [*capped(compiled, "compiled files"), *capped(tests, "compiled test inputs")]
    return CheckResult.of(ID, [*findings, *capped(data, "binary files")], summary)
