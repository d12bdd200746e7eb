"""Rules fixed on real releases: each test rebuilds, in a small archive, what a real Apache release
tag holds (the project and the file are named in its docstring) and the verdict that is right for
it; benchmarks/realworld.toml runs the releases themselves."""

from __future__ import annotations

from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from asf_release import data
from asf_release.policy import licenseye, projectrules, recognize, toolpins
from tests.test_content_rules import CONFIG, header, levels, result, run
from tests.verify_fixtures import ELF, jar_with_a_class

BOUNDED = settings(
    max_examples=100, derandomize=True, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
ASF_CC = (header() + "int x;\n").encode()
ASF_YAML = header("# ", "", "").encode()


# --- the version of the header tool the project runs -----------------------------------------------
BRPC_LICENSERC = (
    ASF_YAML
    + b"""header:
  license:
    spdx-id: Apache-2.0
    copyright-owner: Apache Software Foundation
  paths-ignore:
    - '**/*.md'
    - 'LICENSE'
    - 'NOTICE'
"""
)
BRPC_GITIGNORE = b"# Ignore all files without extension.\n*\n!*.*\n!*/\n/build/\n"


def _brpc(pin: str) -> dict[str, bytes | None]:
    workflow = ASF_YAML + f"jobs:\n  check:\n    steps:\n      - uses: {pin}\n".encode()
    return {
        CONFIG: None,
        ".licenserc.yaml": BRPC_LICENSERC,
        ".gitignore": BRPC_GITIGNORE,
        ".github/workflows/license-eyes.yml": workflow,
        "MODULE.bazel": b"module(name = 'brpc')\n",
        "RELEASE_VERSION": b"1.17.0\n",
        "test/notes.txt": b"no header\n",
        "build/gen.h": b"int gen;\n",
        "src/plain.cc": b"int plain;\n",
        "src/main.cc": ASF_CC,
    }


def test_license_eye_before_0_5_ignores_txt_files_and_gitignore_lines(tmp_path: Path) -> None:
    """Apache bRPC 1.17.0 runs apache/skywalking-eyes@v0.4.0 (.github/workflows/license-eyes.yml),
    which adds `.git`, `**/*.txt` and the lines of .gitignore to paths-ignore; bRPC's .gitignore
    begins with `*`, so .asf.yaml, MODULE.bazel, RELEASE_VERSION... at the top are never checked."""
    report = run(tmp_path, _brpc("apache/skywalking-eyes@v0.4.0"))
    assert levels(report, "headers") == {"src/plain.cc": "fail"}
    assert "before v0.5.0" in result(report, "headers").summary


def test_a_newer_or_unknown_license_eye_checks_every_tracked_file(tmp_path: Path) -> None:
    """The same tree under license-eye v0.6.0, or a pin by commit: the current rules hold."""
    expected = {name: "fail" for name in ("MODULE.bazel", "RELEASE_VERSION", "build/gen.h", "src/plain.cc")}
    expected |= {".gitignore": "fail", "test/notes.txt": "fail"}
    for pin in (
        "apache/skywalking-eyes/header@v0.6.0",
        "apache/skywalking-eyes@9bd5feb86b5817aa6072b008f9866a2c3bbc8587",
    ):
        assert levels(run(tmp_path, _brpc(pin)), "headers") == expected


PULSAR_LICENSERC = (
    header("# ", "", "").encode()
    + b"""
headerPath = "Apache-2.0-ASF.txt"

excludes = ["*.txt"]

[mapping.DOUBLESLASH_STYLE]
extensions = ["go"]
"""
)


def _pulsar(pin: str) -> dict[str, bytes | None]:
    workflow = ASF_YAML + f"jobs:\n  check:\n    steps:\n      - run: {pin}\n".encode()
    return {
        CONFIG: None,
        "licenserc.toml": PULSAR_LICENSERC,
        ".github/workflows/ci-license.yml": workflow,
        "go.mod": b"module github.com/apache/pulsar-client-go\n\ngo 1.25.0\n",
        "pulsar/client.go": b"package pulsar\n",
        "docs/notes.txt": b"no header\n",
    }


def test_hawkeye_3_does_not_know_go_mod(tmp_path: Path) -> None:
    """Apache Pulsar Go Client v0.21.0 runs ghcr.io/korandoru/hawkeye-native:v3
    (.github/workflows/ci-license.yml): hawkeye learned go.mod in v5, so its go.mod without a header
    passes the project's own check. Its Go files still need the header."""
    report = run(
        tmp_path,
        _pulsar("docker run --rm -v $(pwd):/github/workspace ghcr.io/korandoru/hawkeye-native:v3 check"),
    )
    assert levels(report, "headers") == {"pulsar/client.go": "fail"}
    assert "hawkeye v3" in result(report, "headers").summary


def test_hawkeye_6_knows_go_mod(tmp_path: Path) -> None:
    """The same tree under hawkeye v6 (korandoru/hawkeye@v6): go.mod needs the header too."""
    report = run(tmp_path, _pulsar("echo korandoru/hawkeye@v6"))
    assert levels(report, "headers") == {"go.mod": "fail", "pulsar/client.go": "fail"}


def test_the_file_types_of_each_hawkeye_version() -> None:
    toml = b'headerPath = "Apache-2.0-ASF.txt"\n'
    newest, v4, v3 = (projectrules.hawkeye(toml, "licenserc.toml", None, major) for major in (None, 4, 3))
    assert newest.checks("go.mod") and newest.checks("Makefile") and not newest.checks("a.txt")
    assert not v4.checks("go.mod") and not v4.checks("a.txt") and v4.checks("a.go")
    assert v3.checks("a.txt") and not v3.checks("go.mod")


def test_tool_pins_in_workflows() -> None:
    files = {
        ".github/workflows/a.yml": b"uses: apache/skywalking-eyes/header@v0.6.0\nuses: korandoru/hawkeye@v6\n",
        ".github/workflows/b.yaml": b"curl https://github.com/korandoru/hawkeye/releases/download/v5.8.1/x.sh\n",
        "Makefile": b"go install github.com/apache/skywalking-eyes/cmd/license-eye@v0.1.0\n",  # not a workflow
    }
    assert toolpins.license_eye_versions(files) == {(0, 6, 0)}
    assert toolpins.hawkeye_versions(files) == {(6, 0, 0), (5, 8, 1)} and toolpins.hawkeye_major(files) == 5
    assert not toolpins.license_eye_legacy(files)
    assert toolpins.license_eye_legacy({".github/workflows/c.yml": b"uses: apache/skywalking-eyes@v0.4.0"})
    assert (
        toolpins.license_eye_versions({".github/workflows/d.yml": b"uses: apache/skywalking-eyes@main"})
        == set()
    )


def test_legacy_ignores_read_gitignore_as_license_eye_0_4_did() -> None:
    assert licenseye.legacy_ignores(b"# c\n\n/build/\n  spaced  \n*.o\n") == (
        ".git",
        "**/*.txt",
        "build/",
        "spaced",
        "*.o",
    )


@given(st.dictionaries(st.sampled_from([".github/workflows/x.yml", "a.yml"]), st.binary(max_size=300)))
@BOUNDED
def test_pins_are_read_from_any_bytes(files: dict[str, bytes]) -> None:
    toolpins.license_eye_legacy(files)
    toolpins.hawkeye_major(files)


@given(st.binary(max_size=400))
@BOUNDED
def test_legacy_ignores_take_any_bytes(text: bytes) -> None:
    ignores = licenseye.legacy_ignores(text)
    assert ignores[:2] == (".git", "**/*.txt") and all("\n" not in line for line in ignores)


# --- RAT as projects run it ------------------------------------------------------------------------
def test_rat_never_asks_a_header_of_json(tmp_path: Path) -> None:
    """Apache Iceberg Go v0.6.0 runs RAT 0.15/0.16.1 (dev/check-license, dev/release/run_rat.sh);
    RAT's BinaryGuesser takes *.json for data by name, so table/testdata/TableMetadataV2Valid.json
    needs no header although its rat_exclude_files.txt does not list it."""
    report = run(
        tmp_path,
        {
            CONFIG: None,
            "dev/release/rat_exclude_files.txt": ASF_YAML + b"go.sum\npuffin/testdata/*\n",
            "table/testdata/TableMetadataV2Valid.json": b'{"format-version": 2}\n',
            "table/metadata.go": b"package table\n",
        },
    )
    assert levels(report, "headers") == {"table/metadata.go": "warn"}


def test_rat_excludes_as_arrows_check_rat_report_reads_them(tmp_path: Path) -> None:
    """Apache Arrow Rust 59.0.0 filters RAT's report with dev/release/check-rat-report.py, fnmatch
    globs where `*` crosses `/`: `arrow-csv/test/data/*` leaves out
    arrow-csv/test/data/various_invalid_types/invalid_bool.csv."""
    report = run(
        tmp_path,
        {
            CONFIG: None,
            "dev/release/rat_exclude_files.txt": ASF_YAML + b"arrow-csv/test/data/*\n**.gitignore\n",
            "arrow-csv/test/data/various_invalid_types/invalid_bool.csv": b"c\ntrue\n",
            "arrow-csv/src/reader.rs": b"fn main() {}\n",
        },
    )
    assert levels(report, "headers") == {"arrow-csv/src/reader.rs": "warn"}


MIT_RS = b"""// MIT License
//
// Copyright (c) 2020-2022 Oliver Margetts
//
// Permission is hereby granted, free of charge, to any person obtaining a copy
// of this software and associated documentation files (the "Software"), to deal
// in the Software without restriction, including without limitation the rights
// to use, copy, modify, merge, publish, distribute, sublicense, and/or sell
// copies of the Software, and to permit persons to whom the Software is
// furnished to do so, subject to the following conditions:
//
// The above copyright notice and this permission notice shall be included in all
// copies or substantial portions of the Software.

// Copied from chronoutil crate
use chrono::Months;
"""


def test_a_license_text_on_top_of_code_is_a_license_header(tmp_path: Path) -> None:
    """Apache Arrow Rust 59.0.0's arrow-array/src/delta.rs opens with "// MIT License" and the MIT
    terms: RAT sees an MIT header there; it is no file without a header."""
    assert recognize.carries_license(MIT_RS) and recognize.grant(MIT_RS) is None
    report = run(
        tmp_path,
        {
            CONFIG: None,
            "dev/release/rat_exclude_files.txt": ASF_YAML + b"target/*\n",
            "arrow-array/src/delta.rs": MIT_RS,
        },
    )
    assert levels(report, "headers") == {}


ROOT_POM = header("  ", "<!--\n", "-->\n").encode() + (
    b"<project><modules><module>maven-core</module></modules><build><plugins><plugin>"
    b"<artifactId>apache-rat-plugin</artifactId><configuration><excludes><exclude>**/src/test/**</exclude>"
    b"</excludes></configuration></plugin></plugins></build></project>"
)


def test_only_the_poms_of_the_build_configure_rat(tmp_path: Path) -> None:
    """Apache Maven 3.9.16 keeps test projects with poms under maven-embedder/src/test/ and
    maven-core/src/test/projects/, some deliberately malformed
    (maven-embedder/src/test/error-reporting-projects/parent-parse-xex/pom.xml): they are data, not
    the build's configuration, so they neither warn nor change what RAT leaves out."""
    test_pom = b"<project><build><plugins><plugin><artifactId>apache-rat-plugin</artifactId>"
    test_pom += b"<configuration><excludes><exclude>**/*.java</exclude></excludes></configuration>"
    test_pom += b"</plugin></plugins></build></project>"
    report = run(
        tmp_path,
        {
            CONFIG: None,
            "pom.xml": ROOT_POM,
            "maven-core/pom.xml": header("  ", "<!--\n", "-->\n").encode() + b"<project/>",
            "maven-embedder/src/test/error-reporting-projects/parent-parse-xex/pom.xml": b"<project><parent>\n",
            "maven-core/src/test/projects/p/pom.xml": test_pom,
            "maven-core/src/main/java/A.java": b"class A {}\n",
        },
    )
    assert levels(report, "headers") == {"maven-core/src/main/java/A.java": "warn"}
    assert result(report, "headers").summary.endswith("pom.xml (apache-rat-plugin) (RAT)")


@given(
    st.dictionaries(
        st.sampled_from(["pom.xml", "a/pom.xml", "a/b/pom.xml", "c/pom.xml"]), st.binary(max_size=300)
    )
)
@BOUNDED
def test_build_poms_from_any_bytes(poms: dict[str, bytes]) -> None:
    assert set(projectrules.build_poms(poms)) <= set(poms)


# --- compiled code, LICENSE and NOTICE as real releases hold them ---------------------------------
def test_compiled_test_input_warns_and_other_compiled_code_fails(tmp_path: Path) -> None:
    """Apache Maven 3.9.16 ships the jars its tests load (maven-core/src/test/remote-repo/.../
    maven-plugin-api-2.0.jar) in every source release: compiled test input warns. Apache SkyWalking
    BanyanDB v0.10.3 has a Go executable named test_table at its root (committed by mistake in
    #1041): that is compiled code in the release, and fails."""
    report = run(
        tmp_path,
        {
            "maven-core/src/test/remote-repo/org/apache/maven/maven-plugin-api/2.0/maven-plugin-api-2.0.jar": jar_with_a_class(),
            "test_table": ELF,
        },
        only=("binaries",),
    )
    assert levels(report, "binaries") == {
        "maven-core/src/test/remote-repo/org/apache/maven/maven-plugin-api/2.0/maven-plugin-api-2.0.jar": "warn",
        "test_table": "fail",
    }


def test_notice_years_in_brackets(tmp_path: Path) -> None:
    """Apache Celix 2.4.0's NOTICE reads "Copyright [2010-2019] The Apache Software Foundation":
    the copyright line is there; only its old years warn."""
    notice = (
        "Apache Kvrocks\nCopyright [2010-2019] The Apache Software Foundation\n\n"
        "This product includes software developed at\nThe Apache Software Foundation (http://www.apache.org/).\n"
    )
    (finding,) = result(run(tmp_path, {"NOTICE": notice.encode()}), "notice").findings
    assert finding.level.value == "warn" and "end in 2019" in finding.message


def test_license_pointers_that_are_only_out_of_date_warn(tmp_path: Path) -> None:
    """Apache Thrift 0.24.0's LICENSE points to doc/otp-base-license.txt, shipped as
    doc/licenses/otp-base-license.txt; Apache Qpid Proton 0.40.0's LICENSE.txt points to
    python/setuputils/PYZMQ_LICENSE.BSD, gone with python/setuputils/ and the PyZMQ-derived code it
    covered. Both warn; a text missing beside code the release still ships fails."""
    tail = (
        "\n\nPlease see doc/otp-base-license.txt for the full terms of this license.\n"
        "The setup scripts are under the license in python/setuputils/PYZMQ_LICENSE.BSD.\n"
        "The getopt code is under the license in src/getopt/GETOPT_LICENSE.txt.\n"
    )
    report = run(
        tmp_path,
        {
            "LICENSE": (data.apache_license() + tail).encode(),
            "doc/licenses/otp-base-license.txt": b"the terms\n",
            "python/proton/__init__.py": b"x = 1\n",
            "src/getopt/getopt.c": b"int getopt;\n",
        },
    )
    assert levels(report, "license") == {
        "doc/otp-base-license.txt": "warn",
        "python/setuputils/PYZMQ_LICENSE.BSD": "warn",
        "src/getopt/GETOPT_LICENSE.txt": "fail",
    }


def test_a_public_domain_dedication_across_lines_is_a_grant(tmp_path: Path) -> None:
    """Apache DataSketches C++ 5.2.0's common/include/MurmurHash3.h: "MurmurHash3 was written by
    Austin Appleby, and is placed in the public // domain. The author hereby disclaims copyright to
    this source code." (the phrase broken by a comment marker): a license statement, not a file
    without one."""
    head = (
        b"// MurmurHash3 was written by Austin Appleby, and is placed in the public\n"
        b"// domain. The author hereby disclaims copyright to this source code.\n#pragma once\n"
    )
    found = recognize.grant(head)
    assert found is not None and found.expression == "LicenseRef-Public-Domain"
    report = run(
        tmp_path, {CONFIG: None, "common/include/MurmurHash3.h": head, "common/include/x.h": b"int x;\n"}
    )
    assert levels(report, "headers") == {"common/include": "warn", "common/include/MurmurHash3.h": "note"}
    (remark,) = [f for f in result(report, "headers").findings if f.path == "common/include"]
    assert remark.message.startswith("1 source file(s) without a license header: x.h")


def test_a_file_of_excludes_the_pom_names(tmp_path: Path) -> None:
    """Apache OpenNLP 2.5.3's pom.xml names `<excludesFile>rat-excludes</excludesFile>` (inside
    `<excludes>`); its rat-excludes lists, under an XML comment, test data of its modules such as
    src/test/resources/data/ppa/bitstrings."""
    pom = header("  ", "<!--\n", "-->\n").encode() + (
        b"<project><modules><module>opennlp-tools</module></modules><build><plugins><plugin>"
        b"<artifactId>apache-rat-plugin</artifactId><configuration><excludes>"
        b"<excludesFile>rat-excludes</excludesFile></excludes></configuration></plugin></plugins></build></project>"
    )
    excludes = header("   ", "<!--\n", "-->\n").encode() + b"\nsrc/test/resources/data/ppa/bitstrings\n"
    report = run(
        tmp_path,
        {
            CONFIG: None,
            "pom.xml": pom,
            "rat-excludes": excludes,
            "opennlp-tools/pom.xml": header("  ", "<!--\n", "-->\n").encode() + b"<project/>",
            "opennlp-tools/src/test/resources/data/ppa/bitstrings": b"0101\n",
            "opennlp-tools/src/test/resources/data/ppa/devset": b"x y\n",
        },
    )
    assert levels(report, "headers") == {"opennlp-tools/src/test/resources/data/ppa/devset": "warn"}
    assert projectrules.exclude_file_lines(excludes) == ["src/test/resources/data/ppa/bitstrings"]


@given(st.binary(max_size=400))
@BOUNDED
def test_exclude_files_and_pom_names_take_any_bytes(text: bytes) -> None:
    assert all("\n" not in line for line in projectrules.exclude_file_lines(text))
    projectrules.rat_plugin_exclude_files(text)
    projectrules.rat_from_poms(
        {"pom.xml": text}, None, projectrules.Exclusions("RAT"), {"rat-excludes": text}
    )
