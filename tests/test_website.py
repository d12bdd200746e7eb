"""website: the releases data file gains exactly one entry, on a branch, pushed once.

On the sandbox's website repository (a bare git repository with a releases file of the project's
shape), and on the real apache/kvrocks-website file when a mirror of it is on this machine.
"""

from __future__ import annotations

import contextlib
import subprocess
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from asf_release import profile as profile_module
from asf_release.errors import ReleaseError
from asf_release.sandbox import website as sample_website
from asf_release.steps import releases_file
from asf_release.version import Version
from tests.release_fixtures import Release

KVROCKS_WEBSITE = Path("/work/.mirror/apache+kvrocks-website/repo")
PROFILE = profile_module.load(None, env={})
ANCHOR, ENTRY = PROFILE.website.releases_anchor, PROFILE.website.releases_entry


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=repo, capture_output=True, text=True, check=True).stdout


def inserted(old: str, result: releases_file.Insertion | None, version: str) -> bool:
    """result is old with exactly the entry for version inserted, whole lines, at result.line."""
    assert result is not None
    new_lines, block = result.text.split("\n"), entry(version)
    at = result.line
    assert new_lines[at : at + len(block)] == block
    assert new_lines[:at] + new_lines[at + len(block) :] == old.split("\n")
    return True


def added_lines(old: str, new: str) -> list[str]:
    """The lines of a diff that only adds (git's own view, for files asf-release wrote)."""
    old_lines, new_lines = old.split("\n"), new.split("\n")
    start = next(
        (i for i, (a, b) in enumerate(zip(old_lines, new_lines, strict=False)) if a != b), len(old_lines)
    )
    extra = len(new_lines) - len(old_lines)
    return new_lines[start : start + extra]


def entry(version: str) -> list[str]:
    return ENTRY.replace("{version}", version).split("\n")[:-1]


def test_the_entry_goes_above_the_first_older_release() -> None:
    text = sample_website.releases_file(PROFILE, [Version(2, 10, 1), Version(2, 10, 0), Version(2, 9, 0)])
    top = releases_file.insert(text, Version(2, 11, 0), ANCHOR, ENTRY)
    assert inserted(text, top, "2.11.0") and top is not None
    assert [x.version for x in releases_file.listed(top.text, ANCHOR, ENTRY)] == [
        "2.11.0",
        "2.10.1",
        "2.10.0",
        "2.9.0",
    ]
    between = releases_file.insert(text, Version(2, 9, 1), ANCHOR, ENTRY)
    assert between is not None
    assert [x.version for x in releases_file.listed(between.text, ANCHOR, ENTRY)] == [
        "2.10.1",
        "2.10.0",
        "2.9.1",
        "2.9.0",
    ]
    assert releases_file.insert(text, Version(2, 10, 0), ANCHOR, ENTRY) is None  # listed already


def test_a_file_without_the_anchor_is_refused_with_the_key_to_fix() -> None:
    with pytest.raises(ReleaseError, match="releases_anchor"):
        releases_file.insert("const releases = [\n]\n", Version(1, 0, 0), ANCHOR, ENTRY)


@settings(max_examples=60, derandomize=True, deadline=None)
@given(
    st.lists(st.tuples(st.integers(0, 30), st.integers(0, 30), st.integers(0, 30)), unique=True, max_size=12),
    st.tuples(st.integers(0, 30), st.integers(0, 30), st.integers(0, 30)),
    st.text(max_size=200),
)
def test_insertion_adds_exactly_one_entry_and_keeps_the_order(
    listed: list[tuple[int, int, int]], new: tuple[int, int, int], noise: str
) -> None:
    versions = sorted((Version(*v) for v in listed), reverse=True)
    text = sample_website.releases_file(PROFILE, versions) + noise.replace("version", "v")
    result = releases_file.insert(text, Version(*new), ANCHOR, ENTRY)
    if Version(*new) in versions:
        assert result is None
        return
    assert inserted(text, result, str(Version(*new))) and result is not None
    order = [Version.parse(x.version) for x in releases_file.listed(result.text, ANCHOR, ENTRY)]
    assert order == sorted(order, reverse=True) and len(order) == len(versions) + 1


@settings(max_examples=60, derandomize=True, deadline=None)
@given(st.text(max_size=400))
def test_any_file_text_is_read_without_an_unexpected_error(text: str) -> None:
    with contextlib.suppress(ReleaseError):  # no anchor: refused, with what to fix
        releases_file.insert(text, Version(1, 2, 3), ANCHOR, ENTRY)


@pytest.mark.skipif(
    not KVROCKS_WEBSITE.exists(), reason="no mirror of apache/kvrocks-website on this machine"
)
def test_the_real_kvrocks_website_file_gains_exactly_the_entry() -> None:
    text = git(KVROCKS_WEBSITE, "show", "HEAD:src/components/Releases/index.tsx")
    listed = [x.version for x in releases_file.listed(text, ANCHOR, ENTRY)]
    newest = Version.parse(listed[0])
    following = Version(newest.major, newest.minor, newest.patch + 1)
    result = releases_file.insert(text, following, ANCHOR, ENTRY)
    assert inserted(text, result, str(following))
    assert releases_file.insert(text, newest, ANCHOR, ENTRY) is None


def test_website_commits_the_entry_on_a_branch_and_pushes_it_once(release: Release) -> None:
    repository = release.sandbox.website_path
    main_before = git(repository, "rev-parse", "main")
    planned = release.cli("website", "2.11.0", "--push", "--dry-run")
    assert planned.returncode == 0, planned.stderr
    assert "add 2.11.0 to src/components/Releases/index.tsx on a new branch release-2.11.0" in planned.stdout
    done = release.cli("website", "2.11.0", "--push")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "open the pull request" in done.stdout
    file = PROFILE.website.releases_file
    before = git(repository, "show", f"main:{file}")
    after = git(repository, "show", f"release-2.11.0:{file}")
    numstat = git(repository, "diff", "--numstat", "main", "release-2.11.0").split()
    assert numstat == ["4", "0", file] and set(added_lines(before, after)) == set(entry("2.11.0"))
    assert git(repository, "rev-list", "--count", "main..release-2.11.0").strip() == "1"
    assert (
        git(repository, "log", "-1", "--format=%s %an", "release-2.11.0").strip()
        == "Add 2.11.0 to the releases Riley Morgan"
    )
    assert git(repository, "rev-parse", "main") == main_before  # never pushed to the default branch

    again = release.cli("website", "2.11.0", "--push")
    assert again.returncode == 0 and "already done" in again.stdout
    assert git(repository, "rev-list", "--count", "main..release-2.11.0").strip() == "1"


def test_a_website_already_listing_the_version_is_left_alone(release: Release) -> None:
    repository = release.sandbox.website_path
    done = release.cli("website", "2.10.1", "--push")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "already done" in done.stdout and "lists 2.10.1" in done.stdout
    assert "release-2.10.1" not in git(repository, "branch", "--list")


def test_someone_elses_branch_of_that_name_is_refused(release: Release, tmp_path: Path) -> None:
    work = tmp_path / "work"
    subprocess.run(["git", "clone", "--quiet", str(release.sandbox.website_path), str(work)], check=True)
    git(work, "checkout", "--quiet", "-b", "release-2.11.0")
    (work / "README.md").write_text("something else\n")
    git(
        work,
        "-c",
        "user.name=Dana Okafor",
        "-c",
        "user.email=dana@example.org",
        "commit",
        "--quiet",
        "-am",
        "unrelated",
    )
    git(work, "push", "--quiet", "origin", "release-2.11.0")
    refused = release.cli("website", "2.11.0", "--push")
    assert refused.returncode == 2 and "does not list 2.11.0" in refused.stderr
