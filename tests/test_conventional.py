from __future__ import annotations

import pytest

from asf_release.steps.conventional import (
    Group,
    classify,
    is_auto_pick,
    pull_requests,
    split_pull_requests,
)


@pytest.mark.parametrize(
    ("subject", "body", "group", "kind"),
    [
        ("feat(string): add the GETEX command (#1001)", "", Group.FEATURES, "feat"),
        ("fix(storage): avoid a crash (#1002)", "", Group.FIXES, "fix"),
        ("fix(security): reject oversized bulk strings (#1022)", "", Group.SECURITY, "fix"),
        ("security: bound the argument count", "", Group.SECURITY, "security"),
        ("fix(parser): bound the input", "Fixes CVE-2024-51234.", Group.SECURITY, "fix"),
        ("Fix the parser for CVE-2024-51234", "", Group.SECURITY, ""),
        ("perf(storage): batch writes (#1011)", "", Group.PERFORMANCE, "perf"),
        ("docs: describe the cluster commands", "", Group.DOCS, "docs"),
        ("ci: cache downloads", "", Group.BUILD, "ci"),
        ("build: bump rocksdb", "", Group.BUILD, "build"),
        ("refactor(config): split the parser", "", Group.OTHER, "refactor"),
        ("chore: tidy", "", Group.OTHER, "chore"),
        ("Merge the new parser", "", Group.OTHER, ""),
        ("FEAT(Server)!: drop the old protocol", "", Group.FEATURES, "feat"),
    ],
)
def test_each_commit_lands_in_one_group(subject: str, body: str, group: Group, kind: str) -> None:
    found = classify(subject, body)
    assert found.group is group
    assert found.type == kind


def test_a_feature_in_the_security_scope_stays_a_feature_and_is_not_auto_picked() -> None:
    found = classify("feat(security): add TLS client certificates")
    assert found.group is Group.FEATURES
    assert not is_auto_pick(found, ["fix", "security"])


def test_breaking_changes_are_seen_in_the_subject_and_the_body() -> None:
    assert classify("feat(server)!: drop RESP2").breaking
    assert classify("feat: new config", "BREAKING CHANGE: renamed the port key").breaking
    assert not classify("feat: new config").breaking


def test_auto_pick_follows_the_profile_types() -> None:
    security_fix = classify("fix(security): bound lengths")
    plain_fix = classify("fix: off by one")
    docs = classify("docs: typo")
    assert is_auto_pick(security_fix, ["fix", "security"])
    assert is_auto_pick(security_fix, ["security"])  # a security fix, whatever its type
    assert not is_auto_pick(plain_fix, ["security"])
    assert is_auto_pick(docs, ["fix", "docs"])
    assert not is_auto_pick(docs, ["fix", "security"])


def test_pull_request_numbers_are_found_and_cut_out_for_links() -> None:
    subject = "fix: a (#12) and b (#3456)"
    assert pull_requests(subject) == ["12", "3456"]
    assert split_pull_requests(subject) == [
        ("fix: a ", None),
        ("(#12)", "12"),
        (" and b ", None),
        ("(#3456)", "3456"),
    ]
    assert pull_requests("fix: issue #12 without parentheses") == []
