"""package refuses a candidate a voter would reject: the refusal lists every failing finding with
its path (never the notes), up to a cap, and names the full report it wrote."""

from __future__ import annotations

import json
from pathlib import Path

from asf_release.steps.package import refusal_lines
from asf_release.verify.model import CheckResult, Finding, Level, Report, fail, note, warn
from tests.release_fixtures import VERSION, Release

GPL = (
    "/*\n * This program is free software: you can redistribute it and/or modify it under the\n"
    " * terms of the GNU General Public License as published by the Free Software Foundation,\n"
    " * either version 3 of the License, or (at your option) any later version.\n */\nint X;\n"
)


def test_refusal_lines_list_failures_only_with_their_paths_and_count_the_rest() -> None:
    hidden = Finding(
        "",
        "... and 30 files like these (28 fail, 2 note)",
        "",
        Level.FAIL,
        ((Level.FAIL, 28), (Level.NOTE, 2)),
    )
    report = Report("2.11.0", 1, "here")
    report.checks.append(
        CheckResult.of(
            "headers",
            [
                note("a/mit.c", "is under MIT"),
                warn("b", "old years"),
                *[fail(f"src/f{i}.cc", "lacks the ASF header") for i in range(22)],
                hidden,
            ],
        )
    )
    lines = refusal_lines(report, cap=20)
    assert lines[0] == "headers: src/f0.cc: lacks the ASF header"
    assert len(lines) == 21 and not any("mit" in line or "old years" in line for line in lines)
    assert lines[-1] == "... and 30 more failing finding(s) in the full report"  # 2 listed ones + 28 hidden


def test_package_refuses_a_gpl_file_and_names_it_and_the_report(keyed: Release) -> None:
    project = keyed.project
    (project / "src" / "common").mkdir(parents=True, exist_ok=True)
    (project / "src" / "common" / "gpl.cc").write_text(GPL)
    keyed.git("add", "--all")
    keyed.git("commit", "--quiet", "--message", "a GPL file")
    done = keyed.cli("package", VERSION)
    assert done.returncode == 1, done.stdout + done.stderr
    said = "".join((done.stdout + done.stderr).split())  # the terminal may wrap anywhere
    assert "headers:src/common/gpl.cc:isunderGPL-3.0-or-later" in said
    report_path = project / ".git" / "asf-release" / "reports" / f"package-{VERSION}-rc1.json"
    assert str(report_path) in said
    saved = json.loads(Path(report_path).read_text())
    assert saved["verdict"] == "fail" and saved["counts"]["fail"] >= 1
