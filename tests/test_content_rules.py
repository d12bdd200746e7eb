"""The content checks (license, notice, headers) on small archives written here, one rule each:
the project's own header rule (license-eye, RAT, hawkeye, none), ASF policy on what files grant,
LICENSE and NOTICE as projects write them, and findings whose counts stay true when capped."""

from __future__ import annotations

import io
import os
import subprocess
import tarfile
import time
from pathlib import Path

import pytest

from asf_release import data
from asf_release import profile as profile_module
from asf_release.context import Context
from asf_release.verify import Report, VerifyRequest, verify
from asf_release.verify.model import CheckResult

VERSION = "2.11.0"
TOP = f"apache-kvrocks-{VERSION}-src"
CONTENT = ("license", "notice", "headers")
CONFIG = ".github/config/licenserc.yml"
NOTICE = (
    "Apache Kvrocks\nCopyright 2022-{year} The Apache Software Foundation\n\n"
    "This product includes software developed at\nThe Apache Software Foundation (http://www.apache.org/).\n"
)
KVROCKS_CONFIG = """header:
  license:
    spdx-id: Apache-2.0
    copyright-owner: Apache Software Foundation
  paths: ['**/*.cc', '**/*.h']
  paths-ignore: ['src/vendor/*']
"""


def header(prefix: str = " * ", before: str = "/*\n", after: str = " */\n", first: str = "") -> str:
    lines = data.asf_header().splitlines()
    if first:
        lines[0] = first
    return before + "".join(f"{prefix}{line}".rstrip() + "\n" for line in lines) + after


ASF_CC = (header() + "int Answer() { return 42; }\n").encode()
LZF = b"""/*
 * Copyright (c) 2000-2007 Marc Alexander Lehmann <schmorp@schmorp.de>
 *
 * Redistribution and use in source and binary forms, with or without modifica-
 * tion, are permitted provided that the following conditions are met:
 *
 * Alternatively, the contents of this file may be used under the terms of
 * the GNU General Public License ("GPL") version 2 or any later version,
 * in which case the provisions of the GPL are applicable instead of
 * the above. A recipient may use your version of this file under
 * either the BSD or the GPL.
 */
int lzf;
"""
GPL_CC = (
    b"/*\n * This program is free software: you can redistribute it and/or modify it under the\n"
    b" * terms of the GNU General Public License as published by the Free Software Foundation,\n"
    b" * either version 3 of the License, or (at your option) any later version.\n */\nint X;\n"
)
MPL_TEXT = (
    b"Mozilla Public License Version 2.0\n==================================\n\n1. Definitions\n\n"
    b'1.12. "Secondary License"\n    means either the GNU General Public License, Version 2.0, the GNU Lesser\n'
    b"    General Public License, Version 2.1, the GNU Affero General Public\n    License, Version 3.0.\n"
)


def base_files(year: int = 2026) -> dict[str, bytes]:
    return {
        "LICENSE": data.apache_license().encode(),
        "NOTICE": NOTICE.format(year=year).encode(),
        CONFIG: KVROCKS_CONFIG.encode(),
        "src/main.cc": ASF_CC,
    }


def archive(files: dict[str, bytes | None], mtime: int) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz", format=tarfile.PAX_FORMAT) as tar:
        for name, body in sorted(files.items()):
            if body is None:
                continue
            info = tarfile.TarInfo(f"{TOP}/{name}")
            info.size, info.mtime = len(body), mtime
            tar.addfile(info, io.BytesIO(body))
    return buffer.getvalue()


def run(
    tmp_path: Path,
    changes: dict[str, bytes | None],
    *,
    only: tuple[str, ...] = CONTENT,
    product: str | None = None,
    git: Path | None = None,
    tag: str | None = None,
    year: int = 2026,
    mtime: int | None = None,
) -> Report:
    files: dict[str, bytes | None] = {**base_files(year), **changes}
    rc = tmp_path / f"rc-{len(list(tmp_path.glob('rc-*')))}"
    rc.mkdir()
    (rc / f"{TOP}.tar.gz").write_bytes(archive(files, int(time.time()) if mtime is None else mtime))
    project = tmp_path / "project"
    project.mkdir(exist_ok=True)
    (project / "asf-release.toml").write_text(f'[project]\nproduct = "{product}"\n' if product else "")
    env = {"HOME": str(tmp_path), "PATH": os.environ["PATH"]}
    ctx = Context(profile=profile_module.load(project, env=env), root=None, env=env)
    request = VerifyRequest(
        source=str(rc), version=VERSION, rc=1, build=False, only=only, git=str(git) if git else None, tag=tag
    )
    return verify(ctx, request)


def result(report: Report, check: str) -> CheckResult:
    found = report.check(check)
    assert found is not None
    return found


def levels(report: Report, check: str) -> dict[str, str]:
    """path -> level of each finding of a check (one finding per file)."""
    findings = result(report, check).findings
    paths = [f.path for f in findings]
    assert len(paths) == len(set(paths)), paths  # one finding per file
    return {f.path: f.level.value for f in findings}


# --- ASF policy on what files grant ----------------------------------------------------------------
def test_a_dual_licensed_file_the_config_ignores_is_a_note(tmp_path: Path) -> None:
    report = run(tmp_path, {"src/vendor/lzf.h": LZF, "src/vendor/lzf.cc": LZF})
    assert levels(report, "headers") == {"src/vendor/lzf.cc": "note", "src/vendor/lzf.h": "note"}
    assert "BSD-2-Clause OR GPL-2.0-or-later" in result(report, "headers").findings[0].message
    assert report.passed


def test_a_dual_licensed_file_the_config_covers_still_needs_its_header(tmp_path: Path) -> None:
    report = run(tmp_path, {"src/lzf.h": LZF})
    assert levels(report, "headers") == {"src/lzf.h": "fail"}
    message = result(report, "headers").findings[0].message
    assert "lacks the ASF header" in message and "BSD-2-Clause OR GPL-2.0-or-later" in message


def test_a_gpl_only_file_fails_even_where_the_config_ignores_it(tmp_path: Path) -> None:
    report = run(tmp_path, {"src/vendor/gpl.cc": GPL_CC})
    assert levels(report, "headers") == {"src/vendor/gpl.cc": "fail"}
    assert "category X" in result(report, "headers").findings[0].message


def test_license_texts_are_documentation_not_licensed_code(tmp_path: Path) -> None:
    report = run(
        tmp_path,
        {
            "licenses/LICENSE-mpl.txt": MPL_TEXT,
            "dist/licenses/deep/MPL-2.0.txt": MPL_TEXT,
            "third_party/mpl/MPL-2.0.txt": MPL_TEXT,  # not by name: by its title
            "COPYING": GPL_CC,
        },
    )
    assert levels(report, "headers") == {} and report.passed


def test_an_spdx_choice_with_a_category_a_option_is_a_note(tmp_path: Path) -> None:
    report = run(
        tmp_path,
        {
            "tools/choice.py": b"# SPDX-License-Identifier: MIT OR GPL-2.0-only\nprint()\n",
            "tools/only.py": b"# SPDX-License-Identifier: GPL-2.0-only\nprint()\n",
        },
    )
    assert levels(report, "headers") == {"tools/choice.py": "note", "tools/only.py": "fail"}


# --- license-eye's rules ------------------------------------------------------------------------
def test_the_asf_header_variant_without_the_is_accepted(tmp_path: Path) -> None:
    variant = header(first="Licensed to Apache Software Foundation (ASF) under one") + "int v;\n"
    report = run(tmp_path, {"src/variant.cc": variant.encode()})
    assert levels(report, "headers") == {}


def test_every_comment_marker_license_eye_strips(tmp_path: Path) -> None:
    config = KVROCKS_CONFIG.replace("['**/*.cc', '**/*.h']", "['**/*.cc', '**/*.h', 'web/**']")
    files = {
        "web/a.haml": (header("~ ", "", "") + "%p hi\n").encode(),
        "web/b.slim": (header("| ", "", "") + "p hi\n").encode(),
        "web/c.tpl": (header("", "{*\n", "*}\n") + "{$x}\n").encode(),
        "web/d.sh": (header("# // ", "", "") + "echo\n").encode(),  # several markers in sequence
        "web/e.sql": (header("-- ", "", "") + "select 1;\n").encode(),
        "web/f.bat": (header("@REM ", "", "") + "echo\n").encode(),
    }
    report = run(tmp_path, {CONFIG: config.encode(), **files})
    assert levels(report, "headers") == {}
    # a marker license-eye does not strip ahead of another: "// #" keeps its "#"
    report = run(tmp_path, {CONFIG: config.encode(), "web/g.sh": (header("// # ", "", "") + "x\n").encode()})
    assert levels(report, "headers") == {"web/g.sh": "fail"}


def test_the_location_threshold(tmp_path: Path) -> None:
    late = ("// " + "a long preamble line before the header " * 3 + "\n" + header()).encode()
    assert levels(run(tmp_path, {"src/late.cc": late}), "headers") == {"src/late.cc": "fail"}
    config = KVROCKS_CONFIG + "  license-location-threshold: 400\n"
    assert levels(run(tmp_path, {CONFIG: config.encode(), "src/late.cc": late}), "headers") == {}


def test_a_pattern_matches_anywhere_as_license_eye_anchors_it(tmp_path: Path) -> None:
    config = b"header:\n  license:\n    pattern: Licensed under the Example License\n  paths: ['docs/**']\n"
    deep = b"# notes\n" + b"x = 1\n" * 3000 + b"# Licensed under the   example license\n"
    report = run(tmp_path, {CONFIG: config, "docs/deep.py": deep, "docs/none.py": b"x = 2\n"})
    assert levels(report, "headers") == {"docs/none.py": "fail"}


def test_doublestar_globs_select_what_license_eye_selects(tmp_path: Path) -> None:
    config = b"header:\n  license: {spdx-id: Apache-2.0, copyright-owner: ASF}\n  paths: ['src/*', '{tools,scripts}/**', '*.py']\n"
    plain = b"int plain;\n"
    report = run(
        tmp_path,
        {
            CONFIG: config,
            "src/main.cc": plain,  # direct child of src: covered
            "src/deep/x.cc": plain,  # not a direct child
            "scripts/a/b.sh": plain,  # a brace alternative
            "setup.py": plain,  # `*` at the top level
            "pkg/setup.py": plain,  # not at the top level
        },
    )
    assert levels(report, "headers") == {"src/main.cc": "fail", "scripts/a/b.sh": "fail", "setup.py": "fail"}


def test_several_sections_each_judge_their_files(tmp_path: Path) -> None:
    config = (
        KVROCKS_CONFIG.replace("header:\n  license:", "header:\n  - license:")
        .replace("\n  paths:", "\n    paths:")
        .replace("\n  paths-ignore:", "\n    paths-ignore:")
        .replace("\n    spdx-id", "\n      spdx-id")
        .replace("\n    copyright-owner", "\n      copyright-owner")
        + "  - license:\n      content: Copyright (c) Jane Doe, all rights granted\n    paths: ['mit/**']\n"
    )
    ok = b"// Copyright (C) Jane Doe, all rights granted\nx;\n"
    report = run(tmp_path, {CONFIG: config.encode(), "mit/ok.js": ok, "mit/bad.js": b"x;\n"})
    assert levels(report, "headers") == {"mit/bad.js": "fail"}
    assert "section 2" in result(report, "headers").findings[0].message


def test_a_sub_directory_config_applies_to_its_directory(tmp_path: Path) -> None:
    sub = b"header:\n  license:\n    content: Hello from the web team\n  paths: ['**/*.js']\n"
    report = run(
        tmp_path,
        {
            "web/.licenserc.yaml": sub,
            "web/ok.js": b"// Hello from the web team\nx;\n",
            "web/bad.js": b"x;\n",
            "other/free.js": b"x;\n",  # outside web/: not the sub config's
        },
    )
    assert levels(report, "headers") == {"web/bad.js": "fail"}


# --- the rules of projects without license-eye ---------------------------------------------------
def test_rat_excludes_leave_files_out_and_rat_only_warns(tmp_path: Path) -> None:
    report = run(
        tmp_path,
        {
            CONFIG: None,
            ".rat-excludes": b".rat-excludes\ngenerated\n.*\\.json\n",  # RAT reads this file too
            "src/plain.cc": b"int plain;\n",
            "src/generated/x.cc": b"int x;\n",
            "data/a.json": b"{}\n",
        },
    )
    assert levels(report, "headers") == {"src/plain.cc": "warn"}
    assert ".rat-excludes (RAT)" in result(report, "headers").summary and report.passed


def test_rat_plugin_excludes_in_a_pom(tmp_path: Path) -> None:
    pom = header("  ", "<!--\n", "-->\n").encode() + (
        b"<project><build><plugins><plugin><artifactId>apache-rat-plugin</artifactId><configuration>"
        b"<excludes><exclude>**/gen/**</exclude></excludes></configuration></plugin></plugins></build></project>"
    )
    report = run(
        tmp_path,
        {CONFIG: None, "pom.xml": pom, "src/gen/x.java": b"class X {}\n", "src/Y.java": b"class Y {}\n"},
    )
    assert levels(report, "headers") == {"src/Y.java": "warn"}


def test_hawkeye_licenserc_toml(tmp_path: Path) -> None:
    toml = header("# ", "", "").encode() + b'headerPath = "Apache-2.0-ASF.txt"\nexcludes = ["gen/**"]\n'
    report = run(
        tmp_path,
        {
            CONFIG: None,
            "licenserc.toml": toml,
            "gen/x.java": b"class X {}\n",
            "src/Y.java": b"class Y {}\n",
            "src/notes.md": b"no header\n",
        },
    )
    assert levels(report, "headers") == {"src/Y.java": "fail"}


def test_without_a_rule_missing_headers_warn_by_directory(tmp_path: Path) -> None:
    files: dict[str, bytes | None] = {CONFIG: None, "src/a/x.cc": b"int x;\n", "src/a/y.cc": b"int y;\n"}
    files["build/gen.sh"] = b"echo\n"
    files["src/a/empty.py"] = b""
    report = run(tmp_path, files)
    found = {f.path: f for f in result(report, "headers").findings}
    assert set(found) == {"src/a", "build"} and all(f.level.value == "warn" for f in found.values())
    assert found["src/a"].message.startswith("2 source file(s)") and "x.cc, y.cc" in found["src/a"].message
    assert report.passed


# --- LICENSE and NOTICE as projects write them ---------------------------------------------------
@pytest.mark.parametrize("name", ["LICENSE.txt", "LICENSE.md"])
def test_license_and_notice_under_their_other_names(tmp_path: Path, name: str) -> None:
    report = run(
        tmp_path,
        {
            "LICENSE": None,
            "NOTICE": None,
            name: data.apache_license().encode(),
            "NOTICE.txt": NOTICE.format(year=2026).encode(),
        },
    )
    assert report.passed, [(c.id, c.findings) for c in report.checks]
    assert name in result(report, "license").summary


def test_the_apache_license_through_https_without_its_appendix(tmp_path: Path) -> None:
    text = data.apache_license().replace("http://", "https://")
    text = text[: text.index("APPENDIX")]
    report = run(tmp_path, {"LICENSE": ("\n\n" + "  ".join(text.split(" "))).encode()})
    assert levels(report, "license") == {}


def test_placeholders_in_license_are_not_files(tmp_path: Path) -> None:
    tail = (
        "\n\nThe text of each license is in licenses/LICENSE-[project].txt, licenses/<name>.txt\n"
        "or licenses/LICENSE-{x}.txt.\nsrc/common/moved.h is from Example (MIT).\n"
        "See licenses/LICENSE-zlib.txt.\n"
    )
    report = run(tmp_path, {"LICENSE": (data.apache_license() + tail).encode()})
    assert levels(report, "license") == {"src/common/moved.h": "warn", "licenses/LICENSE-zlib.txt": "fail"}


def test_notice_wordings_warn_and_only_what_is_missing_fails(tmp_path: Path) -> None:
    subversion = (
        "Apache Kvrocks\nCopyright (c) 2010-2026 The Apache Software Foundation.\n\n"
        "This product includes software developed by many people, and distributed under Contributor License\n"
        "Agreements to The Apache Software Foundation (http://www.apache.org/).\n"
    )
    assert levels(run(tmp_path, {"NOTICE": subversion.encode()}), "notice") == {"NOTICE": "warn"}
    no_copyright = NOTICE.format(year=2026).replace(
        "Copyright 2022-2026 The Apache Software Foundation\n", ""
    )
    # the guide's "should": voted releases shipped without it (mod_perl 2.0.13), so it warns
    assert levels(run(tmp_path, {"NOTICE": no_copyright.encode()}), "notice") == {"NOTICE": "warn"}
    no_attribution = NOTICE.format(year=2026).split("This product includes")[0]
    assert levels(run(tmp_path, {"NOTICE": no_attribution.encode()}), "notice") == {"NOTICE": "fail"}


def test_a_parent_product_name_warns(tmp_path: Path) -> None:
    report = run(tmp_path, {}, product="Apache Kvrocks Eyes")  # NOTICE names Apache Kvrocks
    (finding,) = result(report, "notice").findings
    assert finding.level.value == "warn" and "the parent of Apache Kvrocks Eyes" in finding.message


def test_copyright_years_are_judged_against_the_release_date(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    env = {
        **os.environ,
        "GIT_COMMITTER_DATE": "2024-06-01T12:00:00Z",
        "GIT_AUTHOR_DATE": "2024-06-01T12:00:00Z",
    }
    for argv in (
        ["git", "init", "--quiet"],
        [
            "git",
            "-c",
            "user.name=t",
            "-c",
            "user.email=t@example.org",
            "commit",
            "--quiet",
            "--allow-empty",
            "-m",
            "x",
        ],
        ["git", "tag", "v2.11.0-rc1"],
    ):
        subprocess.run(argv, cwd=repo, check=True, env=env)
    recent = int(time.time())  # members dated now: the release is this year's
    dated = run(tmp_path, {}, year=2024, git=repo, tag="v2.11.0-rc1", mtime=recent)
    assert levels(dated, "notice") == {}  # the tag's date wins
    member_dated = run(tmp_path, {}, year=2024, mtime=1_718_000_000)  # June 2024, no tag
    assert levels(member_dated, "notice") == {}
    current = run(tmp_path, {}, year=2024, mtime=recent)
    (finding,) = result(current, "notice").findings
    assert finding.level.value == "warn" and "end in 2024" in finding.message


# --- findings that tell the truth ----------------------------------------------------------------
def test_a_capped_list_keeps_its_levels_and_counts(tmp_path: Path) -> None:
    files: dict[str, bytes | None] = {f"src/plain{i:02}.cc": b"int x;\n" for i in range(57)}
    files.update(
        {
            f"tools/mit{i}.py": b"# Permission is hereby granted, free of charge, to any person obtaining a copy\n"
            for i in range(4)
        }
    )
    report = run(tmp_path, files)
    headers = result(report, "headers")
    assert len(headers.findings) == 51
    summary = headers.findings[-1]
    assert summary.level.value == "fail" and "(7 fail, 4 note)" in summary.message
    document = report.to_json()
    (checked,) = [c for c in document["checks"] if c["id"] == "headers"]
    assert checked["counts"] == {"fail": 57, "warn": 0, "note": 4}
    assert document["counts"]["fail"] == 57 and document["counts"]["note"] == 4
    assert all(f.path for f in headers.findings) and summary.path == "."  # src/ and tools/: the root


def test_a_header_beyond_the_head_counts_when_the_threshold_reaches_it(tmp_path: Path) -> None:
    far = ("int x;\n" * 1500 + header()).encode()  # the header starts past the first 8 KiB
    assert levels(run(tmp_path, {"src/far.cc": far}), "headers") == {"src/far.cc": "fail"}
    config = KVROCKS_CONFIG + "  license-location-threshold: 100000\n"
    assert levels(run(tmp_path, {CONFIG: config.encode(), "src/far.cc": far}), "headers") == {}


def test_archive_readers_give_each_members_time(tmp_path: Path) -> None:
    import zipfile

    from asf_release.verify.tarstream import Inflater, Limits, TarReader
    from asf_release.verify.ziparchive import ZipReader

    limits = Limits(max_members=100, max_unpacked=1 << 20, max_ratio=200)
    reader = TarReader(iter(Inflater(iter([archive({"a.txt": b"x"}, 1_718_000_000)]), limits)), limits)
    assert [m.mtime for m in reader.members()] == [1_718_000_000]
    path = tmp_path / "a.zip"
    with zipfile.ZipFile(path, "w") as zipped:
        zipped.writestr(zipfile.ZipInfo("top/a.txt", date_time=(2024, 6, 10, 6, 13, 20)), b"x")
    assert [m.mtime for m in ZipReader(path, limits).members()] == [1_718_000_000]
