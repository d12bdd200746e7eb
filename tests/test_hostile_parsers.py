"""Property-based attacks on the parsers of outside input this tool owns: HTTP directory listings
(httpd's mod_autoindex and mod_dav_svn), `svn list --xml` output, checksum lines. No exception
escapes, and no name they give leaves the directory it is written to."""

from __future__ import annotations

import contextlib
import html
import string
import urllib.parse
from pathlib import Path
from xml.sax.saxutils import escape

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from asf_release.adapters.svn import parse_list
from asf_release.checks.checksums import parse as parse_checksums
from asf_release.errors import ExternalError
from asf_release.verify.sources import parse_listing, unsafe
from tests.test_verify_sources import autoindex_page, svn_page

BASE = "https://dist.example.org/repos/dist/dev/kvrocks/2.11.0-rc1/"
WORK = Path("/work-dir/rc")
SETTINGS = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# pieces an attacker strings together: separators, dots, escapes of every kind, odd characters
_PIECES = st.sampled_from(
    [
        "..",
        ".",
        "/",
        "\\",
        "%2F",
        "%2f",
        "%5C",
        "%2E",
        "%252F",
        "%00",
        "%0A",
        "%C0%AF",
        "%E2%80%AE",
        "&#47;",
        "&#x2F;",
        "&sol;",
        "&period;",
        "&#46;",
        "&amp;",
        "&#0;",
        "~",
        "-",
        " ",
        "\t",
        "\u2028",
        "\u202e",
        "\x1b[2J",
        "\x85",
        "?",
        "#",
        ":",
        "//",
        "http://evil.example/",
        "file:///etc/",
        "a.tar.gz",
        ".asc",
        ".sha512",
        "x" * 300,
        "é",
        "\ud7ff",
    ]
)
_HREFS = st.one_of(st.lists(_PIECES, min_size=1, max_size=8).map("".join), st.text(max_size=40))


def _stays_inside(name: str) -> bool:
    path = WORK / name
    return path.parent == WORK and ".." not in path.parts and path.name == name


@SETTINGS
@given(hrefs=st.lists(_HREFS, max_size=12), style=st.sampled_from(["raw", "autoindex", "svn"]))
def test_listing_names_are_plain_names_whatever_the_page(hrefs: list[str], style: str) -> None:
    if style == "raw":
        page = "".join(f'<a href="{href}">{href}</a>' for href in hrefs)
    else:
        make = autoindex_page if style == "autoindex" else svn_page
        page = make("/repos/dist/dev/kvrocks/2.11.0-rc1/", ["ok.tar.gz"]).replace(
            "</body>", "".join(f'<a href="{html.escape(h, quote=True)}">x</a>' for h in hrefs) + "</body>"
        )
    listing = parse_listing(page, BASE)
    for name in [*listing.files, *listing.dirs]:
        assert unsafe(name) is None and _stays_inside(name), name
    if style != "raw":
        assert "ok.tar.gz" in listing.files


@SETTINGS
@given(page=st.text(max_size=300))
def test_any_text_as_a_listing_gives_plain_names_or_nothing(page: str) -> None:
    listing = parse_listing(page, BASE)
    assert all(unsafe(n) is None and _stays_inside(n) for n in [*listing.files, *listing.dirs])


@SETTINGS
@given(name=st.text(max_size=60))
def test_a_name_judged_plain_stays_in_its_directory(name: str) -> None:
    if unsafe(name) is None:
        assert _stays_inside(name)
        # and it survives the way to the server and back
        assert urllib.parse.unquote(urllib.parse.quote(name)) == name


def test_known_escapes_are_refused_with_a_reason() -> None:
    for href in (
        "..%2F..%2Ftmp%2Fx",
        "%2Ftmp%2Fx",
        "&#46;&#46;%2Fx",
        "a%5Cb",
        "%2E%2E",
        "x%0Ay",
        "%E2%80%AEgz.exe",
    ):
        listing = parse_listing(f'<a href="{href}">x</a>', BASE)
        assert listing.files == [] and len(listing.refused) == 1, (href, listing)


_SVN_NAMES = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=30)


@SETTINGS
@given(
    entries=st.lists(
        st.tuples(
            _SVN_NAMES,
            st.sampled_from(["file", "dir", "", "weird"]),
            st.text(string.digits + "-x ", max_size=25),
        ),
        max_size=8,
    )
)
def test_svn_list_output_parses_whatever_the_names_and_sizes(entries: list[tuple[str, str, str]]) -> None:
    nodes = "".join(
        f'<entry kind="{kind}"><name>{escape(_xml_safe(name))}</name><size>{escape(size)}</size>'
        f'<commit revision="{escape(size)}"><author>x</author></commit></entry>'
        for name, kind, size in entries
    )
    parsed = parse_list(f'<?xml version="1.0"?><lists><list path="u">{nodes}</list></lists>', "svn://x")
    assert [e.kind for e in parsed] == [kind for _, kind, _ in entries]
    assert all(e.size >= 0 and e.revision >= 0 for e in parsed)


def _xml_safe(text: str) -> str:
    return "".join(c for c in text if c in "\t\n\r" or (c >= " " and c not in "\ufffe\uffff"))


@SETTINGS
@given(text=st.text(max_size=200))
def test_svn_list_garbage_is_an_external_error(text: str) -> None:
    with contextlib.suppress(ExternalError):
        parse_list(text, "svn://x")


_HEX = st.text("0123456789abcdefABCDEF", min_size=1, max_size=140)
_LINES = st.one_of(
    st.builds(lambda h, n: f"{h}  {n}", _HEX, st.text(max_size=30)),
    st.builds(lambda h, n: f"{h} *{n}", _HEX, st.text(max_size=30)),
    st.builds(
        lambda a, n, h: f"{a} ({n}) = {h}",
        st.sampled_from(["SHA512", "sha-256", "SHA1"]),
        st.text(max_size=30),
        _HEX,
    ),
    _HEX,
    st.text(max_size=60),
)


@SETTINGS
@given(lines=st.lists(_LINES, max_size=6), newline=st.sampled_from(["\n", "\r\n", "\r", "\u2028", "\x85"]))
def test_checksum_files_parse_whatever_they_hold(lines: list[str], newline: str) -> None:
    for name, digest in parse_checksums(newline.join(lines)):
        assert name is None or isinstance(name, str)
        assert digest and all(c in "0123456789abcdef" for c in digest)
