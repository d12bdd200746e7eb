"""A Subversion server that is down, unreachable or refusing is an outside failure (exit 3), never
an answer such as "not there": real svnserve on 127.0.0.1, stopped in the middle of the test, and
ports nothing listens on.

stage, publish and status read dist to decide what to do; an unreadable dist must never make them
upload again, move again, or show a done step as pending.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from hypothesis import given
from hypothesis import strategies as st

from asf_release.adapters import http
from asf_release.adapters.svn import PASSWORD_ENV, Svn, diagnose
from asf_release.errors import ExitCode, ExternalError, ToolFailed
from asf_release.sandbox.environment import Sandbox
from asf_release.sandbox.services import LOOPBACK, free_port
from tests.publish_fixtures import make_candidate, pass_vote
from tests.release_fixtures import VERSION, Release
from tests.test_publish import DEV, RELEASED, assert_published_once, head_revision, ls, states
from tests.test_real_httpd import RC, httpd
from tests.verify_fixtures import rc_factory

STAGED = "dev/kvrocks/2.11.0-rc1"
__all__ = ["httpd", "rc_factory"]  # the real httpd with mod_dav_svn, from test_real_httpd


def _unreachable(error: ExternalError) -> None:
    assert error.exit_code == ExitCode.EXTERNAL
    assert "could not reach" in error.message, error.message
    assert "does not exist" not in error.message
    assert error.hint is not None and "network" in error.hint and "URL" in error.hint


def test_a_missing_path_is_none_only_when_the_server_answered(sandbox: Sandbox) -> None:
    svn = Svn(env=sandbox.env())
    dev = sandbox.svn.dev_url()
    keys = f"{sandbox.svn.release_url()}/KEYS"
    assert svn.ls(dev) == [] and svn.cat(keys) and svn.exists(keys)
    assert svn.ls(f"{dev}/2.11.0-rc1") is None
    assert svn.cat(f"{dev}/KEYS") is None
    assert svn.info(f"{dev}/KEYS") is None and not svn.exists(f"{dev}/KEYS")
    with pytest.raises(ExternalError, match="does not exist in Subversion"):
        http.read(f"{dev}/KEYS", svn=svn)
    with pytest.raises(ToolFailed, match="refers to a directory"):
        svn.cat(dev)  # a directory where a file is asked for is no missing file

    sandbox.svn.stop()  # the server goes away mid-test
    calls: list[Callable[[], object]] = [
        lambda: svn.ls(f"{dev}/2.11.0-rc1"),
        lambda: svn.cat(f"{dev}/KEYS"),
        lambda: svn.info(f"{dev}/KEYS"),
        lambda: svn.exists(keys),
        lambda: http.read(keys, svn=svn),
    ]
    for call in calls:
        with pytest.raises(ExternalError) as raised:
            call()
        _unreachable(raised.value)


def test_a_port_nothing_listens_on_is_unreachable_not_missing() -> None:
    url = f"svn://{LOOPBACK}:{free_port()}/dist/release/kvrocks/KEYS"
    with pytest.raises(ExternalError) as raised:
        http.read(url)
    _unreachable(raised.value)
    assert f"{LOOPBACK}" in raised.value.message and "Connection refused" in raised.value.message
    with pytest.raises(ExternalError) as listed:
        Svn().ls(url.rsplit("/", 1)[0])
    _unreachable(listed.value)


def test_refused_credentials_and_a_wrong_repository_say_so(sandbox: Sandbox) -> None:
    wrong = Svn(username="rm", env={**sandbox.env(), PASSWORD_ENV: "not-the-password"})
    with pytest.raises(ExternalError) as refused:
        wrong.mkdir(f"{sandbox.svn.dev_url()}/made-by-a-stranger", "no")
    assert "refused the credentials" in refused.value.message, refused.value.message
    assert refused.value.hint is not None and PASSWORD_ENV in refused.value.hint
    assert "not-the-password" not in refused.value.message + str(refused.value.hint)
    nowhere = f"svn://{LOOPBACK}:{sandbox.svn.port}/no-such-repository/kvrocks"
    with pytest.raises(ExternalError) as missing_repository:
        Svn().ls(nowhere)
    assert "found no repository at" in missing_repository.value.message
    assert "dist URLs" in str(missing_repository.value.hint)


@pytest.mark.parametrize(
    ("stderr", "kind"),
    [
        ("svn: warning: W160013: Path '/dev/x' not found\nsvn: E200009: Could not list all targets", "absent"),
        ("svn: warning: W170000: URL 'svn://h/r/x' non-existent in revision 1\n\nsvn: E200009: Could", "absent"),
        ("svn: E160013: File not found: revision 1, path '/dev/nope'", "absent"),
        ("svn: E170000: URL 'https://dist.apache.org/repos/dist/dev/x' doesn't exist", "absent"),
        ("svn: E170000: Illegal repository URL 'svn:/x'", "other"),
        ("svn: E170013: Unable to connect to a repository at URL 'svn://h/r'\nsvn: E000111: Can't connect", "unreachable"),
        ("svn: E170013: Unable to connect to a repository at URL 'svn://h/r'\nsvn: E670002: Unknown hostname 'h'", "unreachable"),
        ("svn: E170013: Unable to connect to a repository at URL 'svn://h/r'\nsvn: E210002: Network connection closed", "unreachable"),
        ("svn: E170013: Unable to connect to a repository at URL 'https://h/r'\nsvn: E175002: Connection reset", "unreachable"),
        ("svn: E170013: Unable to connect to a repository at URL 'svn://h/r'\nsvn: E170001: Password incorrect", "credentials"),
        ("svn: E215004: Authentication failed and interactive prompting is disabled", "credentials"),
        ("svn: E175013: Access to '/repos/dist/dev/x' forbidden", "credentials"),
        ("svn: E170013: Unable to connect to a repository at URL 'svn://h/x'\nsvn: E210005: No repository found", "no-repository"),
        ("svn: E170013: Unable to connect to a repository at URL 'https://h/x'\nsvn: E160013: '/x' path not found", "no-repository"),
        ("svn: E170013: Unable to connect to a repository at URL 'http://h/x'\nsvn: E175003: The server at 'http://h/x' does not support the HTTP/DAV protocol", "no-repository"),
        ("svn: warning: W195007: URL 'svn://h/r/dev' refers to a directory\nsvn: E200009: Could not cat", "other"),
        ("", "other"),
    ],
)  # fmt: skip
def test_svn_error_codes_are_read_for_what_they_say(stderr: str, kind: str) -> None:
    assert diagnose(stderr).kind == kind


_LINES = st.sampled_from(
    [
        "svn: E170013: Unable to connect to a repository at URL 'svn://h/r'",
        "svn: warning: W160013: Path '/x' not found",
        "svn: E200009: Could not list all targets because some targets don't exist",
        "svn: E170000: URL 'https://h/x' doesn't exist",
        "svn: E000111: Can't connect to host 'h': Connection refused",
        "svn: E215004: Authentication failed",
        "svn: warning: W195007: URL 'svn://h/r' refers to a directory",
    ]
)


@given(st.lists(st.one_of(_LINES, st.text(max_size=80)), max_size=8))
def test_whatever_svn_prints_is_read_without_error_and_a_failed_connection_is_never_absence(
    lines: list[str],
) -> None:
    stderr = "\n".join(lines)
    found = diagnose(stderr)
    assert found.kind in ("absent", "unreachable", "credentials", "no-repository", "other")
    assert len(found.reason) <= 300
    if "E170013" in stderr or "E215004" in stderr:
        assert not found.absent


def test_over_http_as_dist_apache_org_serves_it(httpd: str) -> None:
    """mod_dav_svn (Debian's libapache2-mod-svn, as dist.apache.org runs it) on 127.0.0.1."""
    svn = Svn()
    dist = f"{httpd}/repos/dist"
    staged = svn.ls(f"{dist}/{RC}")
    assert staged and any(entry.name.endswith(".tar.gz.asc") for entry in staged)
    assert svn.ls(f"{dist}/dev/kvrocks/2.11.0-rc9") is None
    assert svn.cat(f"{dist}/dev/kvrocks/KEYS") is None and svn.info(f"{dist}/dev/kvrocks/KEYS") is None
    with pytest.raises(ToolFailed, match="refers to a directory"):
        svn.cat(f"{dist}/dev/kvrocks")
    with pytest.raises(ExternalError):
        svn.ls(f"{httpd}/plain/{RC}")  # a web server's directory, no repository: never "not there"
    with pytest.raises(ExternalError) as not_svn:
        svn.ls(f"{httpd}/plain/no-such-directory")
    assert "found no repository at" in not_svn.value.message and not_svn.value.exit_code == ExitCode.EXTERNAL
    with pytest.raises(ExternalError) as refused:
        svn.ls(f"http://{LOOPBACK}:{free_port()}/repos/dist/dev/kvrocks")
    _unreachable(refused.value)


# --- the steps that read dist ------------------------------------------------------------------


def test_stage_with_the_server_down_uploads_nothing_and_status_does_not_call_it_pending(
    release: Release,
) -> None:
    make_candidate(release, VERSION)
    assert len(release.svn_revisions(STAGED)) == 1
    port = release.sandbox.svn.port
    release.sandbox.svn.stop()

    again = release.cli("stage", VERSION, "--rc", "1")
    assert again.returncode == 3, again.stdout + again.stderr
    assert "could not reach" in again.stderr and "network" in again.stderr
    now = states(release)
    assert now["stage"][0] == "unknown" and "could not reach" in now["stage"][1], now["stage"]

    release.sandbox.svn.start(port)
    assert release.cli("stage", VERSION, "--rc", "1").returncode == 0
    assert len(release.svn_revisions(STAGED)) == 1  # staged once, never uploaded again
    assert states(release)["stage"][0] == "done"


def test_publish_with_the_server_down_moves_nothing_and_says_why(release: Release) -> None:
    make_candidate(release, VERSION)
    pass_vote(release, VERSION)
    before = head_revision(release)
    port = release.sandbox.svn.port
    release.sandbox.svn.stop()
    down = release.cli("publish", VERSION, "--rc", "1")
    assert down.returncode == 3, down.stdout + down.stderr
    assert "could not reach" in down.stderr and "stage the candidate" not in down.stderr

    release.sandbox.svn.start(port)
    done = release.cli("publish", VERSION, "--rc", "1")
    assert done.returncode == 0, done.stdout + done.stderr
    assert_published_once(release, before)

    release.sandbox.svn.stop()  # published; then dist cannot be read: nothing is redone, nothing claimed
    after = release.cli("publish", VERSION, "--rc", "1")
    assert after.returncode == 3 and "could not reach" in after.stderr, after.stdout + after.stderr
    stage = release.cli("stage", VERSION, "--rc", "1")
    assert stage.returncode == 3 and "could not reach" in stage.stderr, stage.stdout + stage.stderr
    release.sandbox.svn.start(port)
    assert ls(release, DEV) is None and ls(release, RELEASED) is not None
    assert_published_once(release, before)
