"""gpg's status lines for a .asc holding several signatures: one verdict per signature."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from asf_release.adapters.gpg import parse_verify_status, parse_verify_statuses

GOOD = (
    "[GNUPG:] NEWSIG a@apache.org\n"
    "[GNUPG:] GOODSIG 1FB064B84EECC493 Julian Foad <julian@foad.me.uk>\n"
    "[GNUPG:] VALIDSIG 601163CF9D499FD718CF582D1FB064B84EECC493 2022-04-03 1649017830 0 4 0 1 8 00 "
    "601163CF9D499FD718CF582D1FB064B84EECC493\n"
)
UNKNOWN = (
    "[GNUPG:] NEWSIG\n"
    "[GNUPG:] ERRSIG 82781DE46D5954FA 1 10 00 1675198622 9 65B2D44FE74BD5E3DE3AC3F082781DE46D5954FA\n"
    "[GNUPG:] NO_PUBKEY 82781DE46D5954FA\n"
)
BAD = "[GNUPG:] NEWSIG\n[GNUPG:] BADSIG 79330A6F2E4741FA c <c@apache.org>\n"


def test_each_signature_gets_its_own_verdict() -> None:
    found = parse_verify_statuses(GOOD + UNKNOWN + BAD)
    assert [s.status for s in found] == ["good", "no-key", "bad"]
    assert found[0].signer == "Julian Foad <julian@foad.me.uk>" and found[0].digest == "SHA256"
    assert found[1].fingerprint == "65B2D44FE74BD5E3DE3AC3F082781DE46D5954FA"
    assert parse_verify_status(GOOD + BAD).status == "bad"  # the file as a whole: its worst
    assert parse_verify_status(GOOD + GOOD).status == "good"


def test_lines_before_the_first_newsig_belong_to_it_and_no_newsig_is_one_signature() -> None:
    found = parse_verify_statuses("[GNUPG:] KEY_CONSIDERED X 0\n" + GOOD)
    assert len(found) == 1 and found[0].valid
    assert [s.status for s in parse_verify_statuses("[GNUPG:] NODATA 1\n")] == ["error"]
    assert [s.status for s in parse_verify_statuses("")] == ["error"]


LINES = st.lists(
    st.one_of(
        st.sampled_from([*GOOD.splitlines(), *UNKNOWN.splitlines(), *BAD.splitlines(), "[GNUPG:] VALIDSIG"]),
        st.text(max_size=40).map(lambda t: "[GNUPG:] " + t),
    ),
    max_size=30,
)


@settings(max_examples=100, derandomize=True, deadline=None)
@given(lines=LINES)
def test_any_status_lines_give_one_verdict_per_newsig(lines: list[str]) -> None:
    found = parse_verify_statuses("\n".join(lines))
    starts = sum(1 for line in lines if line.startswith("[GNUPG:] NEWSIG"))
    assert len(found) == max(starts, 1)
    assert all(s.valid == (s.status == "good") for s in found)
