"""asf_release.policy without an archive: license-eye's normalisation, globs and config, Go's text
sniffing, SPDX categories, what a head grants, and the RAT and hawkeye readers. Parsers of outside
input are also given arbitrary input (Hypothesis): no exception escapes."""

from __future__ import annotations

import contextlib
from datetime import date

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from asf_release import data
from asf_release.policy import doublestar, licenses, licenseye, normalize, projectrules, recognize, sniff

BOUNDED = settings(
    max_examples=150, derandomize=True, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
ASF_LINES = data.asf_header().splitlines()


def commented(prefix: str, before: str = "", after: str = "", lines: list[str] = ASF_LINES) -> bytes:
    body = "".join(f"{prefix}{line}".rstrip() + "\n" for line in lines)
    return (before + body + after + "int code;\n").encode()


# --- normalisation and the header's position -------------------------------------------------------
@pytest.mark.parametrize(
    ("before", "prefix", "after"),
    [
        ("/*\n", " * ", " */\n"),
        ("", "// ", ""),
        ("#!/usr/bin/env python3\n", "# ", ""),
        ("", "-- ", ""),
        ("<!--\n", "  ", "-->\n"),
        ("", "; ", ""),
        ("", "REM ", ""),
        ("", "@REM ", ""),
        ('"""\n', "", '"""\n'),
        ("", "~ ", ""),  # license-eye's `~` (Haml, Velocity)
        ("", "| ", ""),  # `|` (Slim, Pug)
        ("{*\n", "", "*}\n"),  # Smarty
        ("{-\n", "", "-}\n"),  # Haskell
        ("{#\n", "", "#}\n"),  # Jinja
        ("(*\n", "", "*)\n"),
        ("", "% ", ""),
        ("", "' ", ""),
        ("", ".. ", ""),
        ("", ":: ", ""),
        ("", "# // ", ""),  # several markers in sequence: `#` is stripped first, then `//`
    ],
)
def test_the_asf_header_is_found_in_every_comment_style_license_eye_knows(
    before: str, prefix: str, after: str
) -> None:
    head = commented(prefix, before, after)
    position = licenseye.asf_header_position(head)
    assert position is not None and position < licenseye.DEFAULT_THRESHOLD
    broken = head.replace(b"WITHOUT WARRANTIES", b"WITH WARRANTIES")
    assert licenseye.asf_header_position(broken) is None


def test_markers_are_stripped_in_license_eyes_order_not_any_order() -> None:
    # `#` runs before `//`: "# // text" loses both, "// # text" keeps its "#"
    assert normalize.strip_comment_indicators("# // text") == " text"
    assert normalize.strip_comment_indicators("// # text") == " # text"
    assert licenseye.asf_header_position(commented("// # ")) is None


def test_the_asf_spelled_without_the_is_the_same_header() -> None:
    lines = ["Licensed to Apache Software Foundation (ASF) under one", *ASF_LINES[1:]]
    assert licenseye.asf_header_position(commented(" * ", "/*\n", " */\n", lines)) is not None
    assert normalize.normalize("The Apache Software Foundation (ASF)") == "the asf"
    assert normalize.normalize("Apache Software Foundation") == "the asf"


def test_positions_are_bytes_as_go_counts_them() -> None:
    text = normalize.normalize("é " + data.asf_header())
    index = text.find(licenseye.asf_header())
    assert index == 2 and normalize.byte_offset(text, index) == 3


def test_normalisation_follows_license_eye_rules() -> None:
    assert normalize.normalize("Copyright (c) 2020 ©") == "copyright copyright 2020 copyright"  # as Go does
    assert normalize.normalize("see https://x and “quoted”") == "see http://x and 'quoted'"
    assert normalize.normalize("# ----------\n# MIT License\n# text") == "text"
    assert normalize.normalize("The licence; organize") == "the license; organise"
    assert normalize.normalize("organized") == "organized"  # whole words only, as license-eye


# --- doublestar ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("pattern", "path", "matches"),
    [
        ("*.go", "main.go", True),
        ("*.go", "pkg/main.go", False),  # `*` stays at the top level
        ("**/*.go", "main.go", True),
        ("**/*.go", "a/b/main.go", True),
        ("dist/*", "dist/a.js", True),
        ("dist/*", "dist/sub/a.js", False),  # direct children only
        ("dist/**", "dist/sub/a.js", True),
        ("docs/**.svg", "docs/a.svg", True),
        ("docs/**.svg", "docs/x/a.svg", False),  # `**.svg` is not a whole component: `*.svg`
        ("**/*.{cc,h}", "src/a.h", True),
        ("**/*.{cc,h}", "src/a.cpp", False),
        ("{src,include}/**", "include/x/y.h", True),
        ("/src/*.cc", "src/a.cc", False),  # a leading `/` matches no relative path
        ("src/[a-c]*.cc", "src/b.cc", True),
        ("src/[^a-c]*.cc", "src/b.cc", False),
        ("src/?.cc", "src/ab.cc", False),
        ("**", "anything/at/all", True),
        ("a\\*b", "a*b", True),
    ],
)
def test_doublestar_matches_as_doublestar_v2(pattern: str, path: str, matches: bool) -> None:
    assert doublestar.match(pattern, path) is matches


@pytest.mark.parametrize(
    ("pattern", "path"), [("[", "a"), ("src/[]", "src/x"), ("{a,b", "a"), ("a/[z-]", "a/z"), ("x\\", "xy")]
)
def test_a_malformed_glob_is_reported(pattern: str, path: str) -> None:
    with pytest.raises(doublestar.BadPatternError):
        doublestar.match(pattern, path)


@given(pattern=st.text(alphabet="ab/*?[]{},\\^-.", max_size=14), path=st.text(alphabet="ab/.-", max_size=14))
@BOUNDED
def test_doublestar_never_raises_anything_but_bad_pattern(pattern: str, path: str) -> None:
    with contextlib.suppress(doublestar.BadPatternError):
        assert isinstance(doublestar.match(pattern, path), bool)


@given(
    pattern=st.lists(
        st.sampled_from(["**", "*", "a", "b*", "*.c", "?", "a?c", "**.c"]), min_size=1, max_size=5
    ),
    path=st.lists(st.sampled_from(["a", "b", "ab", "x.c", "abc", "a.c"]), min_size=1, max_size=6),
)
@BOUNDED
def test_the_compiled_glob_equals_the_ported_matcher(pattern: list[str], path: list[str]) -> None:
    joined = "/".join(pattern)
    assert doublestar.match(joined, "/".join(path)) is doublestar.match_ported(joined, "/".join(path))


@given(path=st.lists(st.text(alphabet="abc.-_", min_size=1, max_size=5), min_size=1, max_size=5))
@BOUNDED
def test_a_literal_path_and_doublestar_prefix_match(path: list[str]) -> None:
    joined = "/".join(path)
    assert doublestar.match(joined, joined)
    assert doublestar.match("**/" + path[-1], joined)


# --- license-eye's configuration ----------------------------------------------------------------
CONFIG = b"""
header:
  - license:
      spdx-id: Apache-2.0
      copyright-owner: Apache Software Foundation
    paths: ['**/*.cc']
    paths-ignore: ['src/vendor/**', 'LICENSE', 'third_party']
    license-location-threshold: 120
  - license:
      content: Copyright [year] [owner]. All rights granted.
      copyright-owner: Example Corp
    paths: ['tools/**']
  - license:
      pattern: Licensed under the Example License
    paths: ['docs/**']
  - license:
      spdx-id: MIT
      copyright-owner: Jane
    paths: ['mit/**']
  - license:
      spdx-id: WTFPL
"""


def test_license_eye_configuration_semantics() -> None:
    config = licenseye.parse(CONFIG, ".licenserc.yaml", date(2024, 5, 1))
    asf, custom, pattern, mit = config.rules
    assert asf.asf and asf.threshold == 120
    assert asf.covers("src/a.cc") and not asf.covers("src/vendor/x.cc")
    assert not asf.covers("third_party/x/y.cc")  # a pattern naming a directory the file is under
    assert asf.selects("src/vendor/x.cc") and not asf.covers("src/vendor/x.cc")
    # [year] is the release's year, as license-eye filled it in when the release was made
    assert custom.satisfied(normalize.normalize("# Copyright 2024 Example Corp. All rights granted."))
    assert not custom.satisfied(normalize.normalize("# Copyright 2026 Example Corp. All rights granted."))
    # the pattern is searched as (?i).*PATTERN.*: anywhere in the file
    far = "x = 1\n" * 400 + "<!-- Licensed under the example license -->"
    assert pattern.satisfied(normalize.normalize(far))
    # another spdx-id: license-eye's own template, with the owner filled in
    mit_header = (licenseye.template("MIT") or "").replace("[year]", "2024").replace("[owner]", "Jane")
    assert mit.satisfied(normalize.normalize("# " + mit_header.replace("\n", "\n# ")))
    assert mit.satisfied(normalize.normalize(mit_header)) and not mit.satisfied(normalize.normalize("MIT"))
    assert config.problems and "WTFPL" in config.problems[0]


def test_the_threshold_bounds_where_the_header_may_start() -> None:
    config = licenseye.parse(
        b"header:\n  license: {spdx-id: Apache-2.0, copyright-owner: ASF}\n  license-location-threshold: 20\n",
        ".licenserc.yaml",
        date(2024, 1, 1),
    )
    (rule,) = config.rules
    early = normalize.normalize(data.asf_header())
    late = normalize.normalize("package main // a long preamble before the header\n" + data.asf_header())
    assert rule.satisfied(early) and not rule.satisfied(late)


def test_a_config_in_a_sub_directory_applies_there() -> None:
    config = licenseye.parse(
        b"header:\n  license: {content: hello}\n", "web/.licenserc.yaml", date.today(), "web"
    )
    assert config.relative("web/src/a.js") == "src/a.js" and config.relative("src/a.js") is None
    assert licenseye.is_config_name("web/.licenserc.yaml")
    assert not licenseye.is_config_name("test/testdata/.licenserc.yaml")


@given(text=st.binary(max_size=400))
@BOUNDED
def test_license_eye_config_parser_takes_any_bytes(text: bytes) -> None:
    config = licenseye.parse(text, ".licenserc.yaml", date(2024, 1, 1))
    for rule in config.rules:
        rule.covers("src/a.cc")
        rule.satisfied("licensed to the asf")


@given(
    paths=st.lists(st.text(alphabet="ab*/{},[]!.", max_size=8), max_size=4),
    ignore=st.lists(st.text(alphabet="ab*/{},[]!.", max_size=8), max_size=4),
    pattern=st.text(max_size=30),
    threshold=st.one_of(st.integers(-5, 500), st.text(max_size=3)),
)
@BOUNDED
def test_license_eye_sections_of_any_shape(
    paths: list[str], ignore: list[str], pattern: str, threshold: object
) -> None:
    import yaml

    text = yaml.safe_dump(
        {
            "header": [
                {
                    "license": {"pattern": pattern, "spdx-id": "Apache-2.0", "copyright-owner": "ASF"},
                    "paths": paths,
                    "paths-ignore": ignore,
                    "license-location-threshold": threshold,
                }
            ]
        }
    ).encode()
    config = licenseye.parse(text, ".licenserc.yaml", date(2024, 1, 1))
    for rule in config.rules:
        assert isinstance(rule.covers("a/b.cc"), bool)
        assert rule.threshold > 0


# --- Go's text sniffing --------------------------------------------------------------------------
def test_text_is_sniffed_as_go_does() -> None:
    assert sniff.is_text(b"hello\n") and sniff.is_text(b"\x1b[31m escape codes are text")
    assert sniff.is_text(b"<html>\x01") and sniff.is_text(b"\xef\xbb\xbfbom\x00")
    assert not sniff.is_text(b"BM starts a bitmap") and not sniff.is_text(b"%!PS-Adobe-3.0")
    assert not sniff.is_text(b"text\x00") and not sniff.is_text(b"\x89PNG\r\n\x1a\n")
    assert sniff.is_text(b"a" * 600 + b"\x00")  # only the first 512 bytes count


@given(st.binary(max_size=700))
@BOUNDED
def test_sniffing_takes_any_bytes(head: bytes) -> None:
    assert isinstance(sniff.is_text(head), bool)


# --- SPDX categories -----------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("expression", "category"),
    [
        ("MIT", "A"),
        ("Apache-2.0 WITH LLVM-exception", "A"),
        ("MPL-2.0", "B"),
        ("GPL-2.0-only", "X"),
        ("GPL-2.0+", "X"),
        ("BSD-2-Clause OR GPL-2.0-or-later", "A"),
        ("GPL-2.0-only OR MPL-2.0", "B"),
        ("MIT AND GPL-3.0-only", "X"),
        ("(MIT OR GPL-2.0-only) AND BSD-3-Clause", "A"),
        ("GPL-3.0-or-later WITH Autoconf-exception-generic", "A"),
        ("GPL-2.0-only WITH Classpath-exception-2.0", "X"),
        ("LicenseRef-Unknown", None),
        ("LicenseRef-Unknown OR GPL-2.0-only", None),  # not provably X
        ("asl 2.0", "A"),
    ],
)
def test_spdx_expressions_are_judged_by_asf_categories(expression: str, category: str | None) -> None:
    assert licenses.judge(expression).category == category


@given(st.text(max_size=80))
@BOUNDED
def test_any_expression_is_judged_without_raising(expression: str) -> None:
    judged = licenses.judge(expression)
    assert judged.category in ("A", "B", "X", None)


# --- what a head grants --------------------------------------------------------------------------
LZF = b"""/*
 * Copyright (c) 2000-2007 Marc Alexander Lehmann <schmorp@schmorp.de>
 *
 * Redistribution and use in source and binary forms, with or without modifica-
 * tion, are permitted provided that the following conditions are met:
 *   1.  Redistributions of source code must retain the above copyright notice.
 *
 * Alternatively, the contents of this file may be used under the terms of
 * the GNU General Public License ("GPL") version 2 or any later version,
 * in which case the provisions of the GPL are applicable instead of
 * the above.
 */
"""
GPL = b"""# This program is free software: you can redistribute it and/or modify it under the
# terms of the GNU General Public License as published by the Free Software Foundation,
# either version 3 of the License, or (at your option) any later version.
"""
MPL_TEXT = b"""Mozilla Public License Version 2.0
==================================

1.12. "Secondary License"
    means either the GNU General Public License, Version 2.0, the GNU Lesser
    General Public License, Version 2.1, the GNU Affero General Public
    License, Version 3.0, or any later versions of those licenses.
"""


@pytest.mark.parametrize(
    ("head", "expression", "category"),
    [
        (LZF, "BSD-2-Clause OR GPL-2.0-or-later", "A"),
        (GPL, "GPL-3.0-or-later", "X"),
        (b"// SPDX-License-Identifier: MIT OR GPL-2.0-only\n", "MIT OR GPL-2.0-only", "A"),
        (b"/* SPDX-License-Identifier: LGPL-2.1-only */\n", "LGPL-2.1-only", "X"),
        (b"# Permission is hereby granted, free of charge, to any person obtaining a copy\n", "MIT", "A"),
        (
            b"# This Source Code Form is subject to the terms of the Mozilla Public\n# License, v. 2.0.\n",
            "MPL-2.0",
            "B",
        ),
        (
            b"//  This source code is licensed under both the GPLv2 (found in the\n"
            b"//  COPYING file in the root directory) and Apache 2.0 License\n",
            "GPL-2.0-only OR Apache-2.0",
            "A",
        ),
    ],
)
def test_a_head_grants_what_its_notice_says(head: bytes, expression: str, category: str) -> None:
    found = recognize.grant(head)
    assert found is not None
    assert (found.expression, found.judgement.category) == (expression, category)


@pytest.mark.parametrize(
    "head",
    [
        MPL_TEXT,  # names the GPL family without granting it
        b"# libfoo is licensed under the GNU LGPL, so it is linked dynamically\n",
        b'x := "SPDX-License-Identifier: GPL-2.0"\n',  # code handling SPDX lines
        b"Copyright (C) [year] [owner]\n\nThis program is free software: you can redistribute it and/or modify\n"
        b"it under the terms of the GNU General Public License\n",  # a license template
        data.asf_header().encode(),
    ],
)
def test_naming_a_license_grants_nothing(head: bytes) -> None:
    found = recognize.grant(head)
    assert found is None or found.expression == "Apache-2.0"


@pytest.mark.parametrize(
    ("path", "documentation"),
    [
        ("LICENSE", True),
        ("NOTICE.txt", True),
        ("COPYING.LIB", True),
        ("licenses/LICENSE-zlib.txt", True),
        ("dist/licenses/nested/MPL-2.0.txt", True),
        ("lib/jetty-9.4.LICENSE.txt", True),
        ("assets/header-templates/GPL-3.0-or-later.txt", True),
        ("pkg/license/identifier.go", False),
        ("src/license.go", False),
        ("src/main.cc", False),
    ],
)
def test_license_texts_are_documentation(path: str, documentation: bool) -> None:
    assert recognize.is_license_text(path) is documentation


@given(st.binary(max_size=1500))
@BOUNDED
def test_any_head_is_read_without_raising(head: bytes) -> None:
    found = recognize.grant(head)
    assert found is None or found.judgement.category in ("A", "B", "X", None)


@given(
    st.lists(
        st.sampled_from([LZF, GPL, MPL_TEXT, b"SPDX-License-Identifier: ", b"\n", b"(", b"OR"]), max_size=6
    )
)
@BOUNDED
def test_pieces_of_notices_in_any_order(pieces: list[bytes]) -> None:
    recognize.grant(b"".join(pieces))


# --- RAT and hawkeye -----------------------------------------------------------------------------
def test_rat_exclude_file_by_name_and_by_path() -> None:
    rules = projectrules.Exclusions("RAT")
    projectrules.rat_exclude_file(
        b"# comment\n.*\\.json\ntarget\ndocs/*.txt\nREADME*\n", ".rat-excludes", rules
    )
    assert rules.excludes("a/b/c.json")  # 0.16: a regular expression on the name
    assert rules.excludes("sub/target/x.java")  # 0.16: a directory's name
    assert rules.excludes("README.md")  # a wildcard
    assert rules.excludes("docs/notes.txt")  # 0.17: an Ant path pattern
    assert not rules.excludes("src/main.java")
    assert not rules.checks(".github/workflows/ci.java")  # hidden directories are skipped
    assert not rules.checks("NOTICE") and rules.checks("src/main.java")


POM = b"""<project xmlns="http://maven.apache.org/POM/4.0.0"><modules><module>module</module></modules>
<build><plugins><plugin>
<groupId>org.apache.rat</groupId><artifactId>apache-rat-plugin</artifactId>
<configuration><excludes><exclude>**/*.conf</exclude><exclude>src/main/resources/data/</exclude></excludes>
</configuration></plugin></plugins></build></project>"""


def test_rat_plugin_excludes_in_poms() -> None:
    found, excludes, problem = projectrules.rat_plugin_excludes(POM)
    assert found and excludes == ["**/*.conf", "src/main/resources/data/"] and not problem
    rules = projectrules.Exclusions("RAT")
    assert projectrules.rat_from_poms({"pom.xml": POM, "module/pom.xml": b"<project/>"}, b"*.log\n", rules)
    assert rules.excludes("module/x/zoo.conf")
    assert rules.excludes("module/src/main/resources/data/a.csv")  # relative to the module too
    assert rules.excludes("target/classes/x.java") and rules.excludes("build.log") and rules.excludes("x.log")
    assert not rules.excludes("src/main/java/A.java")
    assert not projectrules.rat_from_poms({"pom.xml": b"<project/>"}, None, projectrules.Exclusions("RAT"))


def test_hawkeye_selection() -> None:
    config = b'headerPath = "Apache-2.0-ASF.txt"\nexcludes = ["DEPENDENCIES", "**/NOTICE", "gen/**"]\n'
    rules = projectrules.hawkeye(config, "licenserc.toml", b"out/\n")
    assert rules.checks("src/main/java/A.java") and rules.checks("Makefile")
    assert not rules.checks("gen/a.java")  # excluded
    assert not rules.checks("README.md") and not rules.checks("a/b.json")  # hawkeye's defaults
    assert not rules.checks("docs/notes.unknownext")  # a type hawkeye does not know
    assert not rules.checks("out/a.java")  # git-ignored
    assert projectrules.hawkeye(b"not = [toml", "licenserc.toml", None).problems


@given(st.binary(max_size=600))
@BOUNDED
def test_rule_readers_take_any_bytes(text: bytes) -> None:
    rules = projectrules.Exclusions("RAT")
    projectrules.rat_exclude_file(text, ".rat-excludes", rules)
    rules.checks("a/b.c")
    projectrules.rat_plugin_excludes(text)
    projectrules.rat_from_poms({"pom.xml": text}, text, projectrules.Exclusions("RAT"))
    projectrules.hawkeye(text, "licenserc.toml", text).checks("a/b.c")


def test_no_project_rule_means_source_files_only() -> None:
    assert projectrules.is_default_source("src/a.cc") and projectrules.is_default_source("CMakeLists.txt")
    assert not projectrules.is_default_source("docs/a.md")
    assert projectrules.is_generated(b"// Code generated by protoc-gen-go. DO NOT EDIT.")
    assert not projectrules.is_generated(data.asf_header().encode())


def test_the_asf_header_mentions_licen_as_many_times_as_the_quick_look_assumes() -> None:
    for text in (data.asf_header(), licenseye.template("Apache-2.0-ASF") or ""):
        assert text.lower().count("licen") == recognize.ASF_HEADER_LICEN
    with_mit = commented(" * ", "/*\n", " */\n") + b"/* Licensed under the MIT License. */\n"
    found = recognize.grant(with_mit, asf_header=True)
    assert found is not None and found.expression == "MIT"
    assert recognize.grant(commented(" * ", "/*\n", " */\n"), asf_header=True) is None
