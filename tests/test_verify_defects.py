"""Each defect, planted in an otherwise good RC, fails exactly its own check (or warns where the
issue says it warns), while no other check fails."""

from __future__ import annotations

from pathlib import Path

import pytest

from asf_release import data
from asf_release.sandbox.sample_project import with_header
from tests.verify_fixtures import (
    ELF,
    RcFactory,
    config_env,
    failing,
    jar_with_a_class,
    rc_factory,
    run_verify,
    statuses,
)

__all__ = ["rc_factory"]

ASF_CC = with_header("/*\n@HEADER@\n */\n\nint Answer() { return 42; }\n").encode()
GPL_CC = (
    b"/*\n * This program is free software: you can redistribute it and/or modify it under the\n"
    b" * terms of the GNU General Public License as published by the Free Software Foundation,\n"
    b" * either version 3 of the License, or (at your option) any later version.\n */\nint X;\n"
)
MIT_TEXT = (
    "Permission is hereby granted, free of charge, to any person obtaining a copy of this software,\n"
    "to deal in the Software without restriction.\n"
)


def _notice(text: str) -> bytes:
    return text.encode()


GOOD_NOTICE = "Apache Kvrocks\nCopyright 2022-{year} The Apache Software Foundation\n\nThis product includes software developed at\nThe Apache Software Foundation (http://www.apache.org/).\n"

# defect name -> (files changed in the tag, the check that fails)
CONTENT_DEFECTS: dict[str, tuple[dict[str, bytes | None], str]] = {
    "source file without a header": ({"src/server/plain.cc": b"int Plain() { return 1; }\n"}, "headers"),
    "GPL-licensed file": ({"src/common/gpl.cc": GPL_CC}, "headers"),
    "header other than the configured content": (
        {
            ".github/config/licenserc.yml": b"header:\n  license:\n    content: Copyright 2020 Nobody\n  paths: ['**/*.cc']\n"
        },
        "headers",
    ),
    "LICENSE missing": ({"LICENSE": None}, "license"),
    "LICENSE not the Apache text": (
        {
            "LICENSE": data.apache_license()
            .replace("Version 2.0, January 2004", "Version 3.0, June 2007")
            .encode()
        },
        "license",
    ),
    "file named in LICENSE missing": ({"licenses/LICENSE-rocksdb.txt": None}, "license"),
    "NOTICE missing": ({"NOTICE": None}, "notice"),
    "NOTICE without the ASF attribution": (
        {"NOTICE": b"Apache Kvrocks\nCopyright 2022-2026 The Apache Software Foundation\n"},
        "notice",
    ),
    "ELF executable": ({"tools/helper": ELF}, "binaries"),
    "Java class": ({"lib/Tool.class": b"\xca\xfe\xba\xbe\x00\x00\x00\x34" + bytes(64)}, "binaries"),
    "jar holding classes": ({"lib/tool.jar": jar_with_a_class()}, "binaries"),
    "WebAssembly module": ({"web/app.wasm": b"\0asm\x01\0\0\0" + bytes(16)}, "binaries"),
    "static library": ({"lib/libx.a": b"!<arch>\n" + bytes(60)}, "binaries"),
}


@pytest.mark.parametrize("defect", list(CONTENT_DEFECTS))
def test_a_content_defect_fails_exactly_its_check(rc_factory: RcFactory, tmp_path: Path, defect: str) -> None:
    files, check = CONTENT_DEFECTS[defect]
    rc = rc_factory.defect_tag(files)
    report = run_verify(rc_factory, rc_factory.build(rc), tmp_path, rc=rc)
    assert failing(report) == {check}, statuses(report)
    result = report.check(check)
    assert result is not None and any(f.level.value == "fail" for f in result.findings)


def test_build_and_test_failures(rc_factory: RcFactory, tmp_path: Path) -> None:
    main = (rc_factory.repo / "src/main.cc").read_bytes()
    broken = rc_factory.defect_tag({"src/main.cc": main.replace(b"return 0;", b"return 0", 1)})
    report = run_verify(rc_factory, rc_factory.build(broken), tmp_path, rc=broken, build=True)
    assert failing(report) == {"build"}, statuses(report)
    assert statuses(report)["tests"] == "skip"
    build = report.check("build")
    assert build is not None and "error" in build.findings[0].message  # the log's tail is shown

    test = (rc_factory.repo / "tests/cppunit/main_test.cc").read_bytes()
    red = rc_factory.defect_tag(
        {"tests/cppunit/main_test.cc": test.replace(b"int failures = 0;", b"int failures = 1;")}
    )
    report = run_verify(rc_factory, rc_factory.build(red), tmp_path, rc=red, build=True)
    assert failing(report) == {"tests"}, statuses(report)


def test_build_is_skipped_with_a_reason(rc_factory: RcFactory, tmp_path: Path) -> None:
    report = run_verify(rc_factory, rc_factory.build(), tmp_path, build=False)
    assert report.check("build").summary == "--no-build was given"  # type: ignore[union-attr]
    env = config_env(tmp_path, build={"required_tools": ["no-such-compiler"]})
    report = run_verify(rc_factory, rc_factory.build(), tmp_path, build=True, env=env)
    build = report.check("build")
    assert build is not None and build.status.value == "skip" and "no-such-compiler" in build.summary


WARN_DEFECTS: dict[str, tuple[dict[str, bytes | None], str]] = {
    "NOTICE years not current": ({"NOTICE": _notice(GOOD_NOTICE.format(year=2023))}, "notice"),
    "NOTICE carrying a license text": (
        {"NOTICE": _notice(GOOD_NOTICE.format(year="{year}") + "\n" + MIT_TEXT)},
        "notice",
    ),
}


@pytest.mark.parametrize("defect", list(WARN_DEFECTS))
def test_a_warning_defect_warns_and_fails_nothing(rc_factory: RcFactory, tmp_path: Path, defect: str) -> None:
    files, check = WARN_DEFECTS[defect]
    from datetime import date

    files = {k: v.replace(b"{year}", str(date.today().year).encode()) if v else v for k, v in files.items()}
    rc = rc_factory.defect_tag(files)
    report = run_verify(rc_factory, rc_factory.build(rc), tmp_path, rc=rc)
    assert failing(report) == set(), statuses(report)
    assert statuses(report)[check] == "warn"


def test_a_permissive_file_is_noted_and_an_image_outside_assets_listed(
    rc_factory: RcFactory, tmp_path: Path
) -> None:
    mit = ASF_CC + ("/*\n" + MIT_TEXT + "*/\n").encode()
    png = (rc_factory.repo / "assets/logo.png").read_bytes()
    rc = rc_factory.defect_tag({"src/common/mit.cc": mit, "docs/diagram.png": png})
    report = run_verify(rc_factory, rc_factory.build(rc), tmp_path, rc=rc)
    assert failing(report) == set(), statuses(report)
    headers, binaries = report.check("headers"), report.check("binaries")
    assert headers is not None and binaries is not None
    assert [(f.path, f.level.value) for f in headers.findings] == [("src/common/mit.cc", "note")]
    noted = {f.path: f.message for f in binaries.findings}
    assert "expected" not in noted["docs/diagram.png"] and "expected" in noted["assets/logo.png"]


# --- files beside the archive --------------------------------------------------------------------
def test_forbidden_and_missing_sidecars_fail_artifacts_only(rc_factory: RcFactory, tmp_path: Path) -> None:
    artifact = rc_factory.artifact
    for name, change in {
        "md5": lambda d: (d / f"{artifact}.md5").write_text("0" * 32 + f"  {artifact}\n"),
        "sig": lambda d: rc_factory.keyring.sign(d / artifact, armor=False),
        "no asc": lambda d: (d / f"{artifact}.asc").unlink(),
        "no sha512": lambda d: (d / f"{artifact}.sha512").unlink(),
    }.items():
        rc = rc_factory.build()
        change(rc)
        report = run_verify(rc_factory, rc, tmp_path)
        assert failing(report) == {"artifacts"}, (name, statuses(report))


def test_an_unexpected_file_and_an_orphan_warn(rc_factory: RcFactory, tmp_path: Path) -> None:
    rc = rc_factory.build()
    (rc / "notes.txt").write_text("hello\n")
    (rc / "other.tar.gz.sha512").write_text("0" * 128 + "  other.tar.gz\n")
    report = run_verify(rc_factory, rc, tmp_path)
    assert failing(report) == set() and statuses(report)["artifacts"] == "warn"


def test_checksum_forms_are_accepted_and_a_wrong_one_fails(rc_factory: RcFactory, tmp_path: Path) -> None:
    rc = rc_factory.build(checksum="sha512sum")
    sidecar = rc / f"{rc_factory.artifact}.sha512"
    value = sidecar.read_text().split()[0]
    for form in (
        f"{value}  {rc_factory.artifact}\n",
        f"{value} *{rc_factory.artifact}\n",
        f"{value}\n",
        f"SHA512 ({rc_factory.artifact}) = {value}\n",
        f"{value[:64]}\n{value[64:]}\n",
    ):
        sidecar.write_text(form)
        report = run_verify(rc_factory, rc, tmp_path, only=("checksums",))
        assert statuses(report) == {"checksums": "pass"}, form
    sidecar.write_text(("0" * 128) + f"  {rc_factory.artifact}\n")
    report = run_verify(rc_factory, rc, tmp_path)
    assert failing(report) == {"checksums"}, statuses(report)
    sidecar.write_text(value[:64] + f"  {rc_factory.artifact}\n")
    assert failing(run_verify(rc_factory, rc, tmp_path)) == {"checksums"}


@pytest.mark.parametrize(
    ("signer", "digest", "status", "words"),
    [
        ("good", None, "pass", "good signature"),
        ("rsa4096", None, "pass", "good signature"),
        ("rsa2048", None, "warn", "4096 bits are recommended"),
        ("noapache", None, "warn", "no @apache.org user id"),
        ("rsa1024", None, "fail", "2048 at least"),
        ("expired", None, "fail", "expired"),
        ("revoked", None, "fail", "revoked"),
        ("outsider", None, "fail", "not in KEYS"),
        ("rsa4096", "SHA1", "fail", "SHA1"),
    ],
)
def test_signatures_judge_the_key_and_the_digest(
    rc_factory: RcFactory, tmp_path: Path, signer: str, digest: str | None, status: str, words: str
) -> None:
    report = run_verify(rc_factory, rc_factory.build(signer=signer, digest=digest), tmp_path)
    assert failing(report) == ({"signatures"} if status == "fail" else set()), statuses(report)
    result = report.check("signatures")
    assert result is not None and result.status.value == status
    assert any(words in f.message for f in result.findings), [f.message for f in result.findings]


def test_a_bad_or_unarmored_signature_fails(rc_factory: RcFactory, tmp_path: Path) -> None:
    rc = rc_factory.build()
    other = rc / "other.bin"
    other.write_bytes(b"not the artifact")
    rc_factory.keyring.sign(other).replace(rc / f"{rc_factory.artifact}.asc")
    other.unlink()
    report = run_verify(rc_factory, rc, tmp_path)
    assert failing(report) == {"signatures"}, statuses(report)
    assert "BAD signature" in report.check("signatures").findings[0].message  # type: ignore[union-attr]

    rc = rc_factory.build()
    rc_factory.keyring.sign(rc / rc_factory.artifact, armor=False).replace(rc / f"{rc_factory.artifact}.asc")
    report = run_verify(rc_factory, rc, tmp_path)
    assert failing(report) == {"signatures"}, statuses(report)


def test_a_pattern_rule_is_judged_on_a_second_reading(rc_factory: RcFactory, tmp_path: Path) -> None:
    config = b"header:\n  license:\n    pattern: Licensed to the Apache Software Foundation under one\n  paths: ['**/*.cc', '**/*.h']\n  paths-ignore: ['src/common/sha1.*']\n"
    rc = rc_factory.defect_tag({".github/config/licenserc.yml": config, "src/new.h": b"int y;\n"})
    report = run_verify(rc_factory, rc_factory.build(rc), tmp_path, rc=rc)
    assert failing(report) == {"headers"}, statuses(report)
    headers = report.check("headers")
    assert headers is not None and [f.path for f in headers.findings] == ["src/new.h"]
