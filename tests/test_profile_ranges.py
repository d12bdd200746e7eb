"""Every number of a profile has a sane range, and whatever a profile or config file holds
(any TOML value, bytes that are not UTF-8) ends in a ConfigError naming the file, never in a
traceback or a vote that passes with no one voting."""

from __future__ import annotations

import datetime
import math
import typing
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from asf_release import profile as profile_module
from asf_release.errors import ConfigError
from tests.conftest import run_cli
from tests.test_profile import git_init, write


@pytest.mark.parametrize(
    ("key", "value", "words"),
    [
        ("vote.min_binding_approvals", 0, "at least 3"),
        ("vote.min_binding_approvals", -1, "at least 3"),
        ("vote.min_hours", -5, "at least 72"),
        ("vote.min_hours", 0, "at least 72"),
        ("vote.min_hours", 10**30, "at most 720"),
        ("smtp.port", 0, "at least 1"),
        ("smtp.port", 70000, "at most 65535"),
        ("build.timeout_minutes", 0, "at least 1"),
        ("proposal.cherry_pick_days", -1, "at least 0"),
        ("checks.max_members", 0, "at least 1"),
        ("checks.max_unpacked_mb", -1, "at least 1"),
        ("checks.max_compression_ratio", 0, "at least 1"),
        ("checks.max_download_mb", 10**12, "at most"),
        ("checks.max_download_seconds", 0, "at least 1"),
    ],
)
def test_a_number_out_of_its_range_names_file_line_and_key(
    tmp_path: Path, key: str, value: int, words: str
) -> None:
    section, name = key.split(".")
    path = write(tmp_path / "asf-release.toml", f"# a comment\n[{section}]\n{name} = {value}\n")
    with pytest.raises(ConfigError) as caught:
        profile_module.load(tmp_path, env={})
    assert (caught.value.file, caught.value.key, caught.value.line) == (str(path), key, 3)
    assert words in caught.value.message, caught.value.message


def test_the_edges_of_each_range_load(tmp_path: Path) -> None:
    write(
        tmp_path / "asf-release.toml",
        "[vote]\nmin_binding_approvals = 3\nmin_hours = 72\n[smtp]\nport = 65535\n"
        "[proposal]\ncherry_pick_days = 0\n",
    )
    loaded = profile_module.load(tmp_path, env={})
    assert (loaded.vote.min_binding_approvals, loaded.vote.min_hours, loaded.smtp.port) == (3, 72, 65535)


def test_every_whole_number_of_the_schema_has_a_range() -> None:
    for section, kind in profile_module._section_types().items():
        for name, hint in typing.get_type_hints(kind).items():
            if hint is int:
                assert f"{section}.{name}" in profile_module.RANGES, f"{section}.{name}"


def test_a_vote_that_needs_no_one_is_refused_by_the_cli(tmp_path: Path) -> None:
    git_init(tmp_path)
    write(tmp_path / "asf-release.toml", "[vote]\nmin_binding_approvals = 0\n")
    done = run_cli("tally", "1.0.0", "--rc", "1", cwd=tmp_path)
    assert done.returncode == 2, done.stdout + done.stderr
    assert "min_binding_approvals" in done.stderr and "Traceback" not in done.stderr


def test_a_config_file_that_is_not_utf8_is_a_config_error(tmp_path: Path) -> None:
    git_init(tmp_path)
    (tmp_path / "asf-release.toml").write_bytes(
        b'[smtp]\nhost = "mail"\nsender = "Ren\xe9e <r@example.org>"\n'
    )
    with pytest.raises(ConfigError) as caught:
        profile_module.load(tmp_path, env={})
    assert caught.value.line == 3 and "UTF-8" in caught.value.message
    (tmp_path / "asf-release.toml").unlink()
    personal = tmp_path / "me.toml"
    personal.write_bytes(b"\xff\xfe[\x00s\x00")
    done = run_cli(
        "profile", cwd=tmp_path, env={"ASF_RELEASE_CONFIG": str(personal), "PATH": "/usr/bin:/bin"}
    )
    assert done.returncode == 2 and "UTF-8" in done.stderr and str(personal) in done.stderr
    assert "Traceback" not in done.stderr


def test_the_vote_rules_file_is_checked_too() -> None:
    rules = profile_module.vote_rules()
    assert rules == {"kvrocks": True, "asf": False}
    with pytest.raises(ConfigError) as caught:
        profile_module.check_vote_rules({"lax": {"veto": "sometimes"}}, "rules.toml")
    assert caught.value.key == "lax.veto" and "true or false" in caught.value.message
    with pytest.raises(ConfigError):
        profile_module.check_vote_rules({"lax": {"veto": False, "min_binding_approvals": 0}}, "rules.toml")


# --- any TOML value, any key ----------------------------------------------------------------------
_KEYS = [
    (section, name)
    for section, kind in profile_module._section_types().items()
    for name in typing.get_type_hints(kind)
]
_SCALARS = st.one_of(
    st.integers(min_value=-(2**63), max_value=2**63 - 1),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=20),
    st.booleans(),
    st.datetimes(min_value=datetime.datetime(1, 1, 1), max_value=datetime.datetime(9999, 12, 31)),
)
_VALUES = st.recursive(_SCALARS, lambda inner: st.lists(inner, max_size=3), max_leaves=6)


def _toml(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return (
            "nan"
            if math.isnan(value)
            else ("inf" if value > 0 else "-inf")
            if math.isinf(value)
            else repr(value)
        )
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return '"' + "".join(c if c.isalnum() or c in " .-_{}" else f"\\U{ord(c):08x}" for c in value) + '"'
    if isinstance(value, datetime.datetime):
        return value.isoformat()
    assert isinstance(value, list)
    return "[" + ", ".join(_toml(item) for item in value) + "]"


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(key=st.sampled_from(_KEYS), value=_VALUES)
def test_any_value_of_any_key_loads_or_is_a_config_error(
    tmp_path: Path, key: tuple[str, str], value: object
) -> None:
    section, name = key
    path = write(tmp_path / "asf-release.toml", f"[{section}]\n{name} = {_toml(value)}\n")
    try:
        loaded = profile_module.load(tmp_path, env={})
    except ConfigError as error:
        assert error.file == str(path) and error.key and error.key.startswith(section)
        return
    for low_high_key, (low, high) in profile_module.RANGES.items():
        number = loaded.value(low_high_key)
        assert low <= number <= high, low_high_key


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.binary(max_size=200))
def test_any_bytes_in_a_config_file_load_or_are_a_config_error(tmp_path: Path, data: bytes) -> None:
    (tmp_path / "asf-release.toml").write_bytes(data)
    try:
        profile_module.load(tmp_path, env={})
    except ConfigError as error:
        assert error.file == str(tmp_path / "asf-release.toml")
