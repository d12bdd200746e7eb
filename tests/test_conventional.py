from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from asf_release.steps.conventional import (
    Group,
    classify,
    is_auto_pick,
    merged_pull_request,
    normalise_subject,
    pull_requests,
    split_pull_requests,
    trailing_pull_requests,
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


# --- backports: PR numbers at the end, merge commits, subjects reduced for comparison ------------


def test_only_the_numbers_a_squash_appends_are_the_commits_pull_requests() -> None:
    assert trailing_pull_requests("fix(rocksdb): downgrade RocksDB to v9.3.1 (#2614)") == ["2614"]
    assert trailing_pull_requests("fix: x (#2614) (#2620) ") == ["2614", "2620"]
    assert trailing_pull_requests('Revert "fix: x (#12)" (#15)') == ["15"]
    assert trailing_pull_requests("Remove HRANGE from the table due to #1082") == []
    assert trailing_pull_requests("fix: a (#12) and b") == []
    assert trailing_pull_requests("fix: (#1234567890)") == []  # ten digits: not a PR number
    assert merged_pull_request("Merge pull request #1044 from dana/expire") == "1044"
    assert merged_pull_request("Merge branch 'unstable' into 2.10") is None


@pytest.mark.parametrize(
    "variant",
    [
        "fix(stream): Fix `XPENDING` serialization issue (#2566)",
        "fix: fix XPENDING serialization issue",
        "[2.10] fix(stream): Fix XPENDING serialization issue.",
        "[Backport 2.10] Fix XPENDING serialization issue (#2566) (#2630)",
        "backport: fix(stream): fix  xpending serialization issue",
        "cherry-pick to 2.10: Fix XPENDING serialization issue!",
    ],
)
def test_a_backport_keeps_its_normalised_subject(variant: str) -> None:
    assert normalise_subject(variant) == "fix xpending serialization issue"


def test_what_changes_the_meaning_changes_the_normalised_subject() -> None:
    assert normalise_subject('Revert "fix: x (#12)"') != normalise_subject("fix: x (#12)")
    assert normalise_subject("fix: bound the reply (#1)") != normalise_subject("fix: bound the request (#1)")
    assert normalise_subject("(#12)") == "" and normalise_subject("   ") == ""


_SETTINGS = settings(max_examples=300, derandomize=True, deadline=None)
_words = st.text(alphabet=st.characters(min_codepoint=97, max_codepoint=122), min_size=1, max_size=8)


@_SETTINGS
@given(st.text(max_size=300))
def test_no_commit_subject_breaks_the_parsers(subject: str) -> None:
    numbers = trailing_pull_requests(subject)
    assert all(n.isdigit() and len(n) <= 9 and f"(#{n})" in subject for n in numbers)
    assert set(numbers) <= set(pull_requests(subject))
    merged = merged_pull_request(subject)
    assert merged is None or subject.startswith(f"Merge pull request #{merged} ")
    assert "".join(text for text, _ in split_pull_requests(subject)) == subject
    classify(subject, subject)
    normalised = normalise_subject(subject)
    assert normalised == normalised.strip()
    assert normalise_subject(normalised) == normalised


@_SETTINGS
@given(
    st.lists(_words, min_size=1, max_size=6),
    st.sampled_from(["fix", "feat(json)", "chore(deps)!", "FIX(Stream)"]),
    st.lists(st.integers(min_value=1, max_value=999_999_999), max_size=2),
    st.sampled_from(["", "[2.10] ", "backport: ", "[Backport 2.10] cherry-pick: "]),
)
def test_a_subject_survives_the_backport_dressing(
    words: list[str], prefix: str, numbers: list[int], tag: str
) -> None:
    text = " ".join(words)
    dressed = f"{tag}{prefix}: {text.capitalize()}" + "".join(f" (#{n})" for n in numbers)
    assert normalise_subject(dressed) == normalise_subject(text) == text
    assert trailing_pull_requests(dressed) == [str(n) for n in numbers]
    assert merged_pull_request(f"Merge pull request #{numbers[0] if numbers else 7} from a/{text}") == str(
        numbers[0] if numbers else 7
    )
