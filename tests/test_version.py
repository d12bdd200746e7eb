from __future__ import annotations

import pytest

from asf_release.errors import UsageError
from asf_release.profile import Profile
from asf_release.version import Names, ReleaseKind, Version, parse_rc


def test_versions_parse_compare_and_know_their_kind() -> None:
    assert Version.parse("2.11.0") == Version(2, 11, 0)
    assert Version.parse("2.10.1").kind is ReleaseKind.PATCH
    assert Version.parse("3.0.0").kind is ReleaseKind.FEATURE
    assert Version(2, 10, 1) < Version(2, 11, 0) < Version(10, 0, 0)


@pytest.mark.parametrize("text", ["v2.11.0", "2.11", "2.11.0-rc1", "02.1.0", "2.x.0", ""])
def test_bad_versions_are_refused_with_a_hint(text: str) -> None:
    with pytest.raises(UsageError) as caught:
        Version.parse(text)
    assert caught.value.hint


def test_rc_numbers() -> None:
    assert parse_rc("rc3") == 3 and parse_rc(2) == 2
    with pytest.raises(UsageError):
        parse_rc(0)


def test_names_round_trip_through_the_profile_patterns(builtin: Profile) -> None:
    names = Names(builtin)
    version = Version(2, 11, 0)
    assert names.rc_tag(version, 3) == "v2.11.0-rc3"
    assert names.parse_rc_tag("v2.11.0-rc3") == (version, 3)
    assert names.parse_rc_tag("v2.11.0") is None
    assert names.parse_final_tag("v2.11.0") == version
    assert names.parse_final_tag("v2.11.0-rc1") is None
    assert names.parse_artifact("apache-kvrocks-2.11.0-src.tar.gz") == version
    assert names.parse_staging_directory("2.11.0-rc2") == (version, 2)
    assert names.release_branch(Version(2, 10, 3)) == "2.10"
    tags = ["v2.9.0", "v2.10.0-rc1", "v2.10.0", "v2.10.1", "v2.11.0-rc1", "v2.11.0-rc2", "other"]
    assert names.final_versions(tags) == [Version(2, 9, 0), Version(2, 10, 0), Version(2, 10, 1)]
    assert names.rc_numbers(version, tags) == [1, 2]
