"""announce: the [ANNOUNCE] message, only once the download servers have the release, linted,
sent once. The download servers are real HTTP servers on 127.0.0.1: an empty directory stands for
a mirror that has not synced yet, and files copied into it for the sync."""

from __future__ import annotations

import subprocess
import threading
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path

import pytest

from asf_release.adapters import http
from asf_release.adapters import mail as mail_adapter
from asf_release.profile import SmtpSection
from asf_release.sandbox.services import HttpServer
from asf_release.steps import announce_lint, announcement
from tests.publish_fixtures import make_candidate, pass_vote
from tests.release_fixtures import TARBALL, VERSION, Release
from tests.vote_fixtures import override_config

SUBJECT = "[ANNOUNCE] Release Apache Kvrocks 2.11.0"


@pytest.fixture
def published(release: Release) -> Release:
    make_candidate(release, VERSION)
    pass_vote(release, VERSION)
    done = release.cli("publish", VERSION)
    assert done.returncode == 0, done.stdout + done.stderr
    return release


@pytest.fixture
def mirror(published: Release, tmp_path: Path):  # type: ignore[no-untyped-def]
    """A download server that has not synced yet; sync() copies dist/release into it."""
    root = tmp_path / "mirror"
    (root / "kvrocks").mkdir(parents=True)
    server = HttpServer(root)
    server.start()
    override_config(published.sandbox.user_config, "dist", "downloads_url", f"{server.url}/kvrocks")

    def sync() -> None:
        release_url = f"file://{published.sandbox.svn.repository}/release/kvrocks"
        subprocess.run(["svn", "export", "-q", "--force", release_url, str(root / "kvrocks")], check=True)

    yield published, sync
    server.stop()


def announcements(release: Release) -> list[EmailMessage]:
    return [m for m in release.sandbox.mail.messages() if str(m["Subject"]) == SUBJECT]


def test_announce_waits_for_the_download_servers_then_sends_every_element_once(mirror) -> None:  # type: ignore[no-untyped-def]
    release, sync = mirror
    early = release.cli("announce", VERSION, "--send")
    assert early.returncode == 1, early.stdout + early.stderr
    assert "do not have the release yet" in early.stderr and f"{TARBALL}.asc (HTTP 404)" in early.stderr
    assert "--wait" in early.stderr and announcements(release) == []

    sync()
    done = release.cli("announce", VERSION, "--send")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "lint:" not in done.stdout  # the message passed its own lint
    sent = announcements(release)
    assert len(sent) == 1
    message = sent[0]
    assert message["To"] == "announce@apache.org" and message["Cc"] == "dev@kvrocks.apache.org"
    assert str(message["From"]).endswith("<rm@apache.org>")
    assert message.get_content_type() == "text/plain"
    body = message.get_content()
    profile = release.sandbox.load_profile()
    web = release.sandbox.web.url
    for element in (
        profile.project.description,
        "since 2.10.1",
        "1. Support JSON.MERGE (#1021)",  # features first
        "Reject oversized bulk strings in the parser (#1022)",  # then fixes
        f"{web}/github/releases/tag/v2.11.0",  # the change log at the final tag
        f"{web}/website",
        f"{web}/dyn/closer.lua/kvrocks/2.11.0/{TARBALL}",
        f"/kvrocks/2.11.0/{TARBALL}.asc",
        f"/kvrocks/2.11.0/{TARBALL}.sha512",
        "/kvrocks/KEYS",
        f"Issues: {web}/issues",
        f"Mailing list: {web}/lists/dev",
        "Riley Morgan",
    ):
        assert element in body, element
    assert "dist.apache.org" not in body and "svn://" not in body

    again = release.cli("announce", VERSION, "--send")
    assert again.returncode == 0 and "already" in again.stdout
    assert len(announcements(release)) == 1
    status = release.cli("status", VERSION, "--json")
    assert '"step": "announce"' in status.stdout and "sent " in status.stdout


def test_announce_wait_polls_until_the_mirror_has_synced(mirror) -> None:  # type: ignore[no-untyped-def]
    release, sync = mirror
    later = threading.Timer(2.0, sync)
    later.start()
    try:
        done = release.cli("announce", VERSION, "--send", "--wait", "1")
    finally:
        later.join()
    assert done.returncode == 0, done.stdout + done.stderr
    assert len(announcements(release)) == 1


def test_announce_refuses_before_publish(release: Release) -> None:
    make_candidate(release, VERSION)
    refused = release.cli("announce", VERSION, "--send")
    assert refused.returncode == 2 and "is not published" in refused.stderr
    assert "asf-release publish 2.11.0" in refused.stderr


def test_announce_lint_stops_a_sender_outside_the_foundation(published: Release) -> None:
    override_config(published.sandbox.user_config, "smtp", "sender", "Riley Morgan <riley@example.com>")
    refused = published.cli("announce", VERSION, "--send")
    assert refused.returncode == 1, refused.stdout + refused.stderr
    assert "lint failed" in refused.stderr and "not from an address at apache.org" in refused.stderr
    assert announcements(published) == []


def test_the_notable_changes_can_be_written_by_hand(published: Release, tmp_path: Path) -> None:
    notes = tmp_path / "notable.txt"
    notes.write_text("- Faster replication catch-up\n\n2. A new FT.TAGVALS command\n")
    done = published.cli("announce", VERSION, "--notable", str(notes))
    assert done.returncode == 0, done.stdout + done.stderr
    outbox = published.project / ".git" / "asf-release" / "outbox" / "announce-2.11.0.eml"
    body = mail_adapter.read_eml(outbox).get_content()
    assert "1. Faster replication catch-up\n2. A new FT.TAGVALS command\n" in body
    assert "JSON.MERGE" not in body and announcements(published) == []


def test_an_announcement_sent_by_hand_is_adopted(published: Release) -> None:
    message = mail_adapter.compose(
        subject=SUBJECT,
        sender="Riley Morgan <rm@apache.org>",
        to=["announce@apache.org"],
        cc=["dev@kvrocks.apache.org"],
        body="Released.\n",
        date=datetime.now(UTC),
    )
    mail_adapter.send(message, SmtpSection("127.0.0.1", published.sandbox.mail.port, "none", "", ""), None)
    done = published.cli("announce", VERSION, "--send")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "already has this [ANNOUNCE]" in done.stdout and len(announcements(published)) == 1


# --- the lint, rule by rule -------------------------------------------------------------------


@pytest.fixture
def site(tmp_path: Path):  # type: ignore[no-untyped-def]
    (tmp_path / "www").mkdir()
    (tmp_path / "www" / "here.txt").write_text("here\n")
    with HttpServer(tmp_path / "www") as server:
        yield server.url


def _expected(site: str) -> announce_lint.Expected:
    return announce_lint.Expected(
        sender_domain="apache.org",
        to=["announce@apache.org"],
        cc=["dev@kvrocks.apache.org"],
        forbidden=["svn://dist.example/"],
        required={"download": f"{site}/here.txt"},
    )


def _message(body: str, *, sender: str = "rm@apache.org", to: str = "announce@apache.org") -> EmailMessage:
    return mail_adapter.compose(
        subject=SUBJECT,
        sender=sender,
        to=[to],
        cc=["dev@kvrocks.apache.org"],
        body=body,
        date=datetime.now(UTC),
    )


def test_a_clean_message_passes_the_lint(site: str) -> None:
    message = _message(f"Download: {site}/here.txt.\n")
    assert announce_lint.lint(message, _expected(site), http.probe) == []


def test_the_lint_names_every_broken_rule(site: str) -> None:
    message = _message(
        "See https://dist.apache.org/repos/dist/release/kvrocks/ and svn://dist.example/x and "
        f"{site}/gone.txt, <a href='x'>here</a>\n",
        sender="Riley <riley@example.com>",
        to="dev@kvrocks.apache.org",
    )
    message.add_alternative("<p>html</p>", subtype="html")
    found = {
        (f.path, f.message.split(" (")[0]) for f in announce_lint.lint(message, _expected(site), http.probe)
    }
    paths = {path for path, _ in found}
    assert "Content-Type" in paths and "From" in paths and "To" in paths and "download" in paths
    assert "https://dist.apache.org/repos/dist/release/kvrocks/" in paths
    assert (f"{site}/gone.txt", "the link does not answer") in found
    plain_html = _message("<p>Hello</p>\n")
    assert any(f.path == "body" for f in announce_lint.lint(plain_html, _expected(site)))


def test_links_are_read_without_the_sentence_around_them() -> None:
    text = "Get it (https://example.org/a.tar.gz), or https://example.org/b.\nhttps://example.org/a.tar.gz"
    assert announce_lint.links_in(text) == ["https://example.org/a.tar.gz", "https://example.org/b"]


def test_notable_lines_are_cleaned_of_list_marks_and_control_characters() -> None:
    assert announcement.parse_notable("1) one\n  * two\x1b[31m\n\n- three\n") == ["one", "two[31m", "three"]
    assert announcement.describe("feat(cluster)!: add slot migration (#12)") == "Add slot migration (#12)"
    assert announcement.describe("Merge branch 'x'") == "Merge branch 'x'"


def test_a_wait_that_runs_out_says_so_and_sends_nothing(mirror) -> None:  # type: ignore[no-untyped-def]
    release, _ = mirror
    done = release.cli("announce", VERSION, "--send", "--wait", "0.05")
    assert done.returncode == 1 and "after waiting 0.05 minutes" in done.stderr
    assert announcements(release) == []


@pytest.mark.parametrize(
    ("is_feature", "said", "not_said"),
    [
        (True, "brings new features, fixes and improvements since 2.10.1", "patch release"),
        (False, "This patch release brings fixes to 2.10.1; it adds no new feature.", "new features"),
    ],
)
def test_the_announcement_says_what_kind_of_release_it_is(is_feature: bool, said: str, not_said: str) -> None:
    from asf_release import profile as profile_module
    from asf_release import templates

    text = templates.render(
        profile_module.load(None, env={}),
        "announce",
        product="Apache Kvrocks",
        version="2.10.2" if not is_feature else "2.11.0",
        description="",
        previous="2.10.1",
        is_feature=is_feature,
        notable=[],
        checksum_urls=[],
        **dict.fromkeys(
            ("changelog_url", "download_url", "signature_url", "keys_url", "website", "issues_url"), ""
        ),
        **dict.fromkeys(("mailing_list_url", "dev_list", "release_manager"), ""),
    )
    assert said in " ".join(text.split()) and not_said not in text
