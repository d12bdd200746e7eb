from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest

from asf_release.adapters import mail
from asf_release.errors import ConfigError, ExternalError, Refused, UsageError
from asf_release.ledger import EventKind
from asf_release.sandbox.environment import RELEASE_MANAGER, Sandbox
from asf_release.steps import worklist
from asf_release.steps.base import Outcome, State, execute
from asf_release.steps.branch import BranchStep
from asf_release.steps.conventional import Group
from asf_release.steps.proposal import Mark, Proposal
from asf_release.steps.propose import ProposeStep, outbox_file
from asf_release.version import Version
from tests.conftest import run_cli
from tests.prepare_fixtures import TODAY, Repo, repo

__all__ = ["repo"]

V2110 = Version(2, 11, 0)
V2102 = Version(2, 10, 2)


def _propose(repo: Repo, version: Version, **options: object) -> tuple[ProposeStep, Proposal]:
    ctx = repo.context(repo.env_with_sender())
    step = ProposeStep(version, **options)  # type: ignore[arg-type]
    execute(ctx, step)
    assert step.proposal is not None
    return step, step.proposal


def _by_number(proposal: Proposal) -> dict[str, tuple[Group, Mark]]:
    found: dict[str, tuple[Group, Mark]] = {}
    for entry in proposal.entries:
        number = entry.commit.subject.rsplit("(#", 1)[1].rstrip(")")
        assert number not in found, f"#{number} listed twice"
        found[number] = (entry.kind.group, entry.mark)
    return found


def test_a_feature_proposal_lists_every_commit_since_the_branch_point_once(repo: Repo) -> None:
    step, proposal = _propose(repo, V2110)
    base = repo.git("merge-base", "unstable", "v2.10.1")
    expected = repo.git("log", "--no-merges", "--format=%s", f"{base}..unstable").splitlines()
    assert sorted(e.commit.subject for e in proposal.entries) == sorted(expected)
    marks = _by_number(proposal)
    assert marks == {
        "1020": (Group.FIXES, Mark.WITH_BRANCH),
        "1021": (Group.FEATURES, Mark.WITH_BRANCH),
        "1022": (Group.SECURITY, Mark.WITH_BRANCH),
        "1023": (Group.BUILD, Mark.WITH_BRANCH),
        "1024": (Group.FIXES, Mark.WITH_BRANCH),
        "1025": (Group.FEATURES, Mark.WITH_BRANCH),
        "1026": (Group.BUILD, Mark.WITH_BRANCH),
        "1027": (Group.OTHER, Mark.WITH_BRANCH),
        "1028": (Group.OTHER, Mark.WITH_BRANCH),
    }
    assert proposal.line.previous == Version(2, 10, 1)
    assert proposal.deadline == TODAY + timedelta(days=7)
    text = outbox_file(repo.context(), V2110, "markdown").read_text()
    assert text == step.text
    assert "feature release" in text and "2.10.1" in text and str(TODAY + timedelta(days=7)) in text
    assert "[#1022](https://github.com/apache/kvrocks/pull/1022)" in text
    assert f"https://github.com/apache/kvrocks/commit/{repo.sha('1022')}" in text
    assert "created from `unstable`" in text


def test_a_patch_proposal_marks_the_branch_the_picks_and_what_stays_out(repo: Repo) -> None:
    _, proposal = _propose(repo, V2102, fmt="email")
    marks = _by_number(proposal)
    assert "1020" not in marks  # shipped in 2.10.1 already
    assert marks["1024"] == (Group.FIXES, Mark.ON_BRANCH)  # cherry-picked by hand, not released
    assert marks["1022"] == (Group.SECURITY, Mark.CHERRY_PICK)
    assert marks["1021"][1] is Mark.LEFT_OUT and marks["1025"][1] is Mark.LEFT_OUT
    for number in ("1023", "1026", "1027", "1028"):
        assert marks[number][1] is Mark.ASK
    assert len(marks) == 8
    assert proposal.deadline is None
    message = mail.read_eml(outbox_file(repo.context(), V2102, "email"))
    assert message["From"] == "Riley Morgan <rm@apache.org>"
    body = message.get_content()
    assert "patch release" in body and "Cherry-pick deadline" not in body
    assert (
        "[on 2.10]" in body
        and "[cherry-pick]" in body
        and "[left out: a patch release takes no new features]" in body
    )


def test_a_feature_committed_to_a_patch_branch_must_be_reverted(repo: Repo) -> None:
    repo.git("checkout", "--quiet", "2.10")
    for subject in (
        "feat(server): sneak a feature into 2.10 (#1090)",
        "fix(server): a fix made on 2.10 only (#1091)",
    ):
        (repo.path / "src" / "server" / f"{subject[-5:-1]}.txt").write_text(subject)
        repo.git("add", "--all")
        repo.git("commit", "--quiet", "-m", subject)
    repo.git("checkout", "--quiet", "unstable")
    _, proposal = _propose(repo, V2102)
    marks = _by_number(proposal)
    assert marks["1090"] == (Group.FEATURES, Mark.REVERT)
    assert marks["1091"] == (Group.FIXES, Mark.ON_BRANCH)


def test_after_the_branch_the_proposal_follows_the_worklist(repo: Repo) -> None:
    ctx = repo.context()
    execute(ctx, BranchStep(V2110, push=False))
    repo.period()
    worklist.decide(ctx, V2110, repo.sha("1034"), approve=True, reason="harmless docs")
    worklist.decide(ctx, V2110, repo.sha("1033"), approve=False, reason="needs #1032")
    _, proposal = _propose(repo, V2110)
    marks = {number: mark for number, (_, mark) in _by_number(proposal).items()}
    for number in ("1020", "1021", "1022", "1028"):
        assert marks[number] is Mark.ON_BRANCH
    assert marks["1030"] is Mark.CHERRY_PICK and marks["1031"] is Mark.CHERRY_PICK
    assert marks["1032"] is Mark.ASK
    assert marks["1033"] is Mark.LEFT_OUT
    assert marks["1034"] is Mark.CHERRY_PICK
    assert next(e.note for e in proposal.entries if "(#1033)" in e.commit.subject) == "needs #1032"


@pytest.mark.parametrize(
    ("version", "message"),
    [
        ("2.10.0", "not greater than the latest release, 2.10.1"),
        ("2.9.0", "not greater than the latest release, 2.10.1"),
        ("2.10.1", "not greater than 2.10.1, the latest release of 2.10"),
        ("2.12.1", "there is no release branch 2.12"),
    ],
)
def test_a_version_that_cannot_come_next_is_refused(repo: Repo, version: str, message: str) -> None:
    with pytest.raises(Refused, match=message):
        execute(repo.context(), ProposeStep(Version.parse(version)))
    assert not (repo.path / ".git" / "asf-release" / "outbox").exists()


def test_a_patch_of_a_line_without_a_release_is_refused(repo: Repo) -> None:
    repo.git("branch", "2.11", "unstable")
    with pytest.raises(Refused, match=re.escape("2.11 has no release yet")) as refused:
        execute(repo.context(), ProposeStep(Version(2, 11, 1)))
    assert refused.value.hint and "2.11.0" in refused.value.hint


def test_a_patch_of_an_older_line_is_fine(repo: Repo) -> None:
    _, proposal = _propose(repo, Version(2, 9, 1))
    assert proposal.line.previous == Version(2, 9, 0) and proposal.line.branch == "2.9"


def test_deadlines_in_the_past_or_for_a_patch_are_refused(repo: Repo) -> None:
    with pytest.raises(UsageError, match="in the past"):
        execute(repo.context(), ProposeStep(V2110, deadline=TODAY - timedelta(days=1)))
    with pytest.raises(UsageError, match="no cherry-pick period"):
        execute(repo.context(), ProposeStep(V2102, deadline=TODAY + timedelta(days=3)))
    _, proposal = _propose(repo, V2110, deadline=TODAY)
    assert proposal.deadline == TODAY


def test_the_options_that_do_not_fit_are_usage_errors() -> None:
    with pytest.raises(UsageError, match="--send sends an email"):
        ProposeStep(V2110, fmt="markdown", send=True)
    with pytest.raises(UsageError, match="not a proposal format"):
        ProposeStep(V2110, fmt="html")


def test_an_email_needs_a_sender_address(repo: Repo) -> None:
    with pytest.raises(ConfigError, match="no sender address"):
        execute(repo.context(), ProposeStep(V2110, fmt="email"))


def test_commit_subjects_cannot_inject_markdown(repo: Repo) -> None:
    (repo.path / "evil.txt").write_text("x")
    repo.git("add", "evil.txt")
    repo.git("commit", "--quiet", "-m", "fix: handle <img src=x> and [a](http://evil) (#2000)")
    step, _ = _propose(repo, V2110)
    assert (
        r"handle \<img src=x\> and \[a\](http://evil) ([#2000](https://github.com/apache/kvrocks/pull/2000))"
        in step.text
    )
    assert re.search(r"(?<!\\)<img", step.text) is None


def test_a_second_run_writes_nothing_new(repo: Repo) -> None:
    ctx = repo.context()
    execute(ctx, ProposeStep(V2110))
    again = execute(ctx, ProposeStep(V2110))
    assert isinstance(again, Outcome) and not again.changed
    # written is not done: a Markdown proposal counts once it is posted (and recorded) or sent
    check = ProposeStep(V2110).done(ctx)
    assert check.state is State.PENDING and "not sent" in check.detail


# --- email, through the sandbox's SMTP server --------------------------------------------------


def test_the_proposal_email_is_written_then_sent_once(sandbox: Sandbox) -> None:
    from asf_release.context import Context

    ctx = Context.load(sandbox.project_path, env=sandbox.env())
    step = ProposeStep(V2110, fmt="email")
    execute(ctx, step)
    path = outbox_file(ctx, V2110, "email")
    draft = mail.read_eml(path)
    assert draft["Subject"] == "[DISCUSS] Release Apache Kvrocks 2.11.0"
    assert draft["To"] == "dev@kvrocks.apache.org"
    assert RELEASE_MANAGER.email in draft["From"]
    assert sandbox.mail.messages() == []
    assert "not sent" in ProposeStep(V2110).done(ctx).detail

    sent = execute(ctx, ProposeStep(V2110, send=True))
    assert isinstance(sent, Outcome) and sent.changed
    received = sandbox.mail.messages()
    assert len(received) == 1
    assert received[0]["Message-ID"] == draft["Message-ID"]  # the draft that was reviewed is the one sent
    assert "feature release" in received[0].get_content()

    again = execute(ctx, ProposeStep(V2110, send=True))
    assert isinstance(again, Outcome) and not again.changed
    assert len(sandbox.mail.messages()) == 1
    assert ProposeStep(V2110).done(ctx).detail.startswith("sent to dev@kvrocks.apache.org")
    with pytest.raises(Refused, match="went to the list with the deadline"):
        execute(ctx, ProposeStep(V2110, deadline=TODAY + timedelta(days=30)))


def test_an_interrupted_send_is_not_repeated_unless_asked(sandbox: Sandbox) -> None:
    from asf_release.context import Context

    ctx = Context.load(sandbox.project_path, env=sandbox.env())
    execute(ctx, ProposeStep(V2110, fmt="email"))
    message_id = str(mail.read_eml(outbox_file(ctx, V2110, "email"))["Message-ID"])
    # what a run killed during the SMTP conversation leaves behind
    ctx.ledger.append(
        "2.11.0", "propose", EventKind.NOTE, {"sending": message_id, "to": "dev@kvrocks.apache.org"}
    )
    with pytest.raises(Refused, match="may have reached the list") as refused:
        execute(ctx, ProposeStep(V2110, send=True))
    assert refused.value.hint and "--resend" in refused.value.hint
    assert sandbox.mail.messages() == []
    execute(ctx, ProposeStep(V2110, resend=True))
    assert len(sandbox.mail.messages()) == 1


def test_a_failed_send_is_an_outside_failure_and_the_next_run_sends(sandbox: Sandbox) -> None:
    from asf_release.context import Context

    ctx = Context.load(sandbox.project_path, env=sandbox.env())
    sandbox.mail.stop()
    with pytest.raises(ExternalError):
        execute(ctx, ProposeStep(V2110, send=True))
    assert outbox_file(ctx, V2110, "email").exists()
    sandbox.mail.start(sandbox.mail.port)
    execute(ctx, ProposeStep(V2110, send=True))
    assert len(sandbox.mail.messages()) == 1


# --- the command --------------------------------------------------------------------------------


def test_the_command_prints_json_and_refuses_without_a_traceback(repo: Repo) -> None:
    done = run_cli("-C", str(repo.path), "propose", "2.11.0", "--json")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["proposal"]["kind"] == "feature" and report["proposal"]["previous"] == "2.10.1"
    assert len(report["proposal"]["commits"]) == 9
    assert {c["mark"] for c in report["proposal"]["commits"]} == {"with-branch"}

    refused = run_cli("-C", str(repo.path), "propose", "2.10.0")
    assert refused.returncode == 2
    assert "not greater than the latest release" in refused.stderr and "hint:" in refused.stderr
    assert "Traceback" not in refused.stderr

    bad_date = run_cli("-C", str(repo.path), "propose", "2.11.0", "--deadline", "next friday")
    assert bad_date.returncode == 2 and "YYYY-MM-DD" in bad_date.stderr


def test_status_shows_the_proposal_from_the_outbox(repo: Repo) -> None:
    before = json.loads(run_cli("-C", str(repo.path), "status", "2.11.0", "--json").stdout)
    assert (
        before["steps"][0]["state"] == "pending" and before["next"]["command"] == "asf-release propose 2.11.0"
    )
    run_cli("-C", str(repo.path), "propose", "2.11.0")
    written = json.loads(run_cli("-C", str(repo.path), "status", "2.11.0", "--json").stdout)
    step = written["steps"][0]
    assert (
        step["state"] == "pending" and "Markdown written" in step["detail"] and "not sent" in step["detail"]
    )
    assert "post it as a GitHub Discussion" in step["detail"] and "--send" in step["detail"]
    assert written["next"]["command"] == "asf-release propose 2.11.0 --posted URL"
    url = "https://github.com/apache/kvrocks/discussions/3000"
    recorded = run_cli("-C", str(repo.path), "propose", "2.11.0", "--posted", url)
    assert recorded.returncode == 0, recorded.stderr
    after = json.loads(run_cli("-C", str(repo.path), "status", "2.11.0", "--json").stdout)
    assert after["steps"][0]["state"] == "done" and after["steps"][0]["detail"].startswith(f"posted at {url}")
    assert after["next"]["command"] != written["next"]["command"]
