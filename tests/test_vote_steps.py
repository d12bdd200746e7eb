"""vote and result as a release manager runs them: the real command, the sandbox's SMTP server
(aiosmtpd), its svnserve and the ledger. Sending happens at most once, whatever happens."""

from __future__ import annotations

import json
from datetime import timedelta
from email.utils import make_msgid, parseaddr
from pathlib import Path

import pytest

from asf_release.adapters import mail as mail_adapter
from asf_release.context import Context
from asf_release.errors import ExternalError
from asf_release.ledger import EventKind
from asf_release.profile import SmtpSection
from asf_release.sandbox import voters
from asf_release.sandbox.environment import Sandbox
from asf_release.steps import mailing
from asf_release.steps.base import execute
from asf_release.steps.process import release_status
from asf_release.steps.propose import ProposeStep
from asf_release.steps.result import ResultStep
from asf_release.steps.vote import VoteStep
from asf_release.version import Version
from tests.conftest import run_cli
from tests.vote_fixtures import DroppingSmtp, override_config, seed_candidate

V = Version(2, 11, 0)
SUBJECT = "[VOTE] Release Apache Kvrocks 2.11.0-rc1"


def _ctx(sandbox: Sandbox) -> Context:
    return Context.load(sandbox.project_path, env=sandbox.env())


def _seed(sandbox: Sandbox, *, with_image: bool = False) -> None:
    ctx = _ctx(sandbox)
    seed_candidate(ctx, with_image=with_image)
    ctx.close()


def _cli(sandbox: Sandbox, *args: str):  # type: ignore[no-untyped-def]
    return run_cli(*args, cwd=sandbox.project_path, env=sandbox.env())


def _subjects(sandbox: Sandbox) -> list[str]:
    return [str(m["Subject"]) for m in sandbox.mail.messages()]


def _states(sandbox: Sandbox) -> dict[str, tuple[str, str]]:
    ctx = _ctx(sandbox)
    try:
        return {s.name: (s.state.value, s.detail) for s in release_status(ctx, V, 1).steps}
    finally:
        ctx.close()


def _by_hand(
    sandbox: Sandbox,
    subject: str,
    *,
    message_id: str | None = None,
    in_reply_to: str | None = None,
    sender: str = "Riley Morgan <rm@apache.org>",
    body: str = "Please vote.\n",
) -> str:
    """A message sent by a person's own mail client through the sandbox's SMTP server."""
    ctx = _ctx(sandbox)
    message = mail_adapter.compose(
        subject=subject,
        sender=sender,
        to=["dev@kvrocks.apache.org"],
        body=body,
        date=ctx.now(),
        message_id=message_id or make_msgid(domain="mail.example.org"),
        in_reply_to=in_reply_to,
    )
    ctx.close()
    settings = SmtpSection("127.0.0.1", sandbox.mail.port, "none", "", "")
    mail_adapter.send(message, settings, None)
    return str(message["Message-ID"])


def test_vote_refuses_until_the_candidate_is_packaged_and_staged(sandbox: Sandbox) -> None:
    done = _cli(sandbox, "vote", "2.11.0", "--rc", "1")
    assert done.returncode == 2, done.stderr
    assert "has not been packaged" in done.stderr and "asf-release package 2.11.0 --rc 1" in done.stderr
    assert "Traceback" not in done.stderr

    ctx = _ctx(sandbox)
    seed_candidate(ctx)
    stage_events = [e for e in ctx.ledger.events("2.11.0") if e.step == "stage"]
    ctx.close()
    assert stage_events
    assert not (sandbox.project_path / ".git" / "asf-release" / "outbox").exists()


def test_vote_writes_every_element_to_the_outbox_and_sends_nothing_by_default(sandbox: Sandbox) -> None:
    _seed(sandbox)
    done = _cli(sandbox, "vote", "2.11.0", "--rc", "1")
    assert done.returncode == 0, done.stderr
    eml = sandbox.project_path / ".git" / "asf-release" / "outbox" / "vote-2.11.0-rc1.eml"
    message = mail_adapter.read_eml(eml)
    body = message.get_content()
    assert message["Subject"] == SUBJECT and message["To"] == "dev@kvrocks.apache.org"
    assert message["From"] == "Riley Morgan <rm@apache.org>"
    for element in (
        f"{sandbox.svn.dev_url()}/2.11.0-rc1/",  # the RC directory
        f"{sandbox.svn.release_url()}/KEYS",  # the KEYS file
        "https://github.com/apache/kvrocks/tree/v2.11.0-rc1",  # the tag
        "3f1c2a9b8d7e6f5a4b3c2d1e0f9a8b7c6d5e4f3a",  # the commit
        "ab" * 64,  # the artifact's SHA-512
        "0123456789ABCDEF0123456789ABCDEF01234567",  # the signing key
        "at least 72 hours",
        "[ ] +1 approve",
        "[ ] +0 no opinion",
        "[ ] -1 do not approve",
        "[ ] It builds from source",
        "verify-a-release-candidate",
    ):
        assert element in body, element
    assert "Docker" not in body, "no image is known yet"
    assert "not sent" in done.stdout and SUBJECT in done.stdout
    assert sandbox.mail.messages() == []
    ctx = _ctx(sandbox)
    check = VoteStep(V, 1).done(ctx)  # status would say "blocked" until stage is automated
    ctx.close()
    assert check.state.value == "pending" and "not sent yet" in check.detail


def test_the_docker_image_is_in_the_vote_when_the_images_step_recorded_it(sandbox: Sandbox) -> None:
    _seed(sandbox, with_image=True)
    done = _cli(sandbox, "vote", "2.11.0", "--rc", "1", "--json")
    assert done.returncode == 0, done.stderr
    body = mail_adapter.read_eml(Path(json.loads(done.stdout)["facts"]["file"])).get_content()
    assert "rm/kvrocks:2.11.0@sha256:" + "5e" * 32 in body
    assert "https://hub.docker.com/layers/rm/kvrocks/2.11.0/images/sha256-" + "5e" * 32 in body
    assert "[ ] The Docker image contains the license files" in body


def test_vote_send_sends_once_and_records_the_start(sandbox: Sandbox) -> None:
    _seed(sandbox)
    first = _cli(sandbox, "vote", "2.11.0", "--rc", "1", "--send", "--json")
    assert first.returncode == 0, first.stderr
    facts = json.loads(first.stdout)["facts"]
    assert facts["sent"] is True and facts["start"]
    assert _subjects(sandbox) == [SUBJECT]
    captured = sandbox.mail.messages()[0]
    assert captured["Message-ID"] == facts["message_id"]

    again = _cli(sandbox, "vote", "2.11.0", "--rc", "1", "--send")
    assert again.returncode == 0, again.stderr
    assert "sent" in again.stdout
    assert _subjects(sandbox) == [SUBJECT], "a rerun never sends a second VOTE"
    state, detail = _states(sandbox)["vote"]
    assert state == "done" and facts["message_id"] in detail


def test_dry_run_shows_the_plan_and_the_message_and_changes_nothing(sandbox: Sandbox) -> None:
    _seed(sandbox)
    done = _cli(sandbox, "vote", "2.11.0", "--rc", "1", "--send", "--dry-run")
    assert done.returncode == 0, done.stderr
    assert "would:" in done.stdout and "send it to dev@kvrocks.apache.org" in done.stdout
    assert "[ ] +1 approve" in done.stdout
    assert not (sandbox.project_path / ".git" / "asf-release" / "outbox").exists()
    assert sandbox.mail.messages() == []
    ctx = _ctx(sandbox)
    assert ctx.ledger.events("2.11.0", "vote") == []
    ctx.close()


def _interrupted(sandbox: Sandbox) -> str:
    """The ledger as a run leaves it when it dies while the SMTP server has the message."""
    ctx = _ctx(sandbox)
    step = VoteStep(V, 1)
    message_id = make_msgid(domain="apache.org")
    step.record(ctx, EventKind.INTENT, {"actions": ["send"]})
    mailing.note(ctx, step, mail="composed", message_id=message_id, file="")
    mailing.note(ctx, step, mail="sending", message_id=message_id, date=ctx.now().isoformat())
    ctx.close()
    return message_id


def test_an_interrupted_send_is_found_in_the_thread_not_sent_again(sandbox: Sandbox) -> None:
    _seed(sandbox)
    message_id = _interrupted(sandbox)
    ctx = _ctx(sandbox)
    assert VoteStep(V, 1).done(ctx).state.value == "interrupted"
    ctx.close()

    refused = _cli(sandbox, "vote", "2.11.0", "--rc", "1", "--send")
    assert refused.returncode == 2
    assert "stopped before knowing" in refused.stderr and "--resend" in refused.stderr
    assert sandbox.mail.messages() == []

    _by_hand(sandbox, SUBJECT, message_id=message_id)  # the first attempt did get through
    done = _cli(sandbox, "vote", "2.11.0", "--rc", "1", "--send")
    assert done.returncode == 0, done.stderr
    assert _subjects(sandbox) == [SUBJECT]
    ctx = _ctx(sandbox)
    state = mailing.mail_state(ctx, VoteStep(V, 1))
    ctx.close()
    assert state.message_id == message_id and state.sent_how == "found in the thread"


def test_resend_after_an_interrupted_send_reuses_the_message_id(sandbox: Sandbox) -> None:
    _seed(sandbox)
    message_id = _interrupted(sandbox)
    done = _cli(sandbox, "vote", "2.11.0", "--rc", "1", "--send", "--resend")
    assert done.returncode == 0, done.stderr
    messages = sandbox.mail.messages()
    assert len(messages) == 1 and messages[0]["Message-ID"] == message_id


def test_a_vote_already_sent_by_hand_is_adopted_not_sent_again(sandbox: Sandbox) -> None:
    _seed(sandbox)
    by_hand = _by_hand(sandbox, SUBJECT)
    done = _cli(sandbox, "vote", "2.11.0", "--rc", "1", "--send")
    assert done.returncode == 0, done.stderr
    assert "already holds this [VOTE]" in done.stdout
    assert _subjects(sandbox) == [SUBJECT]
    ctx = _ctx(sandbox)
    assert mailing.mail_state(ctx, VoteStep(V, 1)).message_id == by_hand
    ctx.close()


def test_a_line_break_in_a_header_value_is_refused(sandbox: Sandbox) -> None:
    _seed(sandbox)
    override_config(sandbox.user_config, "smtp", "sender", "Riley <rm@apache.org>\nBcc: list@example.com")
    done = _cli(sandbox, "vote", "2.11.0", "--rc", "1", "--send")
    assert done.returncode == 2
    assert "line break" in done.stderr and "Traceback" not in done.stderr
    assert sandbox.mail.messages() == []


def test_a_failed_send_says_so_and_the_next_run_sends_once(sandbox: Sandbox) -> None:
    _seed(sandbox)
    port = sandbox.mail.port
    sandbox.mail.stop()
    failed = _cli(sandbox, "vote", "2.11.0", "--rc", "1", "--send")
    assert failed.returncode == 3
    assert "could not send" in failed.stderr and "run the command again" in failed.stderr
    sandbox.mail.start(port)
    done = _cli(sandbox, "vote", "2.11.0", "--rc", "1", "--send")
    assert done.returncode == 0, done.stderr
    assert _subjects(sandbox) == [SUBJECT]


def test_a_wrong_smtp_password_is_an_outside_failure(sandbox: Sandbox) -> None:
    _seed(sandbox)
    env = {**sandbox.env(), "ASF_RELEASE_SMTP_PASSWORD": "wrong"}
    done = run_cli("vote", "2.11.0", "--rc", "1", "--send", cwd=sandbox.project_path, env=env)
    assert done.returncode == 3 and "refused the login" in done.stderr
    assert "wrong" not in done.stderr
    assert sandbox.mail.messages() == []


def _vote_and_replies(sandbox: Sandbox) -> Context:
    _seed(sandbox)
    ctx = _ctx(sandbox)
    execute(ctx, VoteStep(V, 1, send=True))
    state = mailing.mail_state(ctx, VoteStep(V, 1))
    assert state.sent_at is not None
    vote = mail_adapter.read_eml(ctx.outbox / "vote-2.11.0-rc1.eml")
    voters.answer(sandbox, vote, state.sent_at)
    return ctx


def test_result_refuses_while_the_vote_is_open_and_force_needs_a_reason(sandbox: Sandbox) -> None:
    _vote_and_replies(sandbox).close()
    # the replies are dated up to 40 hours after the VOTE, which was sent just now: still open
    refused = _cli(sandbox, "result", "2.11.0", "--rc", "1", "--send")
    assert refused.returncode == 1
    assert "has not passed (open)" in refused.stderr and "72-hour minimum" in refused.stderr
    assert "--force" in refused.stderr

    tally = _cli(sandbox, "tally", "2.11.0", "--rc", "1", "--json")
    assert tally.returncode == 1
    report = json.loads(tally.stdout)
    assert report["verdict"] == "open" and report["binding"]["+1"] == 3

    no_reason = _cli(sandbox, "result", "2.11.0", "--rc", "1", "--send", "--force")
    assert no_reason.returncode == 2 and "--reason" in no_reason.stderr
    assert not any(s.startswith("[RESULT]") for s in _subjects(sandbox))


def test_a_forced_result_keeps_its_reason_and_is_sent_once(sandbox: Sandbox) -> None:
    _vote_and_replies(sandbox).close()
    reason = "a security fix that cannot wait three days"
    args = ("result", "2.11.0", "--rc", "1", "--send", "--force", "--reason", reason)
    done = _cli(sandbox, *args)
    assert done.returncode == 0, done.stderr
    results = [m for m in sandbox.mail.messages() if str(m["Subject"]).startswith("[RESULT]")]
    assert len(results) == 1
    assert reason in results[0].get_content()
    # what the command says it sent is what the message says, then what the count says
    assert "it says passed, by --force" in done.stdout and "the count says open" in done.stdout
    ctx = _ctx(sandbox)
    decisions = ctx.ledger.history("2.11.0").step("result", 1).decisions
    ctx.close()
    assert decisions and decisions[-1].data["reason"] == reason and decisions[-1].data["verdict"] == "open"

    again = _cli(sandbox, *args)
    assert again.returncode == 0, again.stderr
    assert sum(str(m["Subject"]).startswith("[RESULT]") for m in sandbox.mail.messages()) == 1


def test_the_result_after_the_vote_passed_names_the_voters_and_replies_to_the_vote(sandbox: Sandbox) -> None:
    ctx = _vote_and_replies(sandbox)
    start = mailing.mail_state(ctx, VoteStep(V, 1)).sent_at
    assert start is not None
    later = start + timedelta(hours=73)
    ctx.now = lambda: later
    step = ResultStep(V, 1, send=True)
    execute(ctx, step)
    ctx.close()
    messages = sandbox.mail.messages()
    result = messages[-1]
    assert str(result["Subject"]) == "[RESULT][VOTE] Release Apache Kvrocks 2.11.0-rc1"
    assert result["In-Reply-To"] == messages[0]["Message-ID"]
    body = result.get_content()
    binding, non_binding = body.split("Non-binding votes:")
    assert all(name in binding for name in ("Bruno Costa", "Chen Wei", "Grace Hopkins"))
    assert "Dana Okafor" in non_binding and "has passed" in body and "after 73 hours" in body
    assert "Vote thread: https://lists.apache.org/thread/" in body

    states = _states(sandbox)
    assert states["result"][0] == "done" and states["tally"][0] == "done"


def test_a_result_sent_by_hand_is_adopted(sandbox: Sandbox) -> None:
    ctx = _vote_and_replies(sandbox)
    vote_id = mailing.mail_state(ctx, VoteStep(V, 1)).message_id
    ctx.close()
    _by_hand(sandbox, "[RESULT][VOTE] Release Apache Kvrocks 2.11.0-rc1", in_reply_to=vote_id)
    assert _states(sandbox)["result"][0] == "done"
    done = _cli(sandbox, "result", "2.11.0", "--rc", "1", "--send")
    assert done.returncode == 0, done.stderr
    assert "already holds a [RESULT]" in done.stdout
    assert sum(s.startswith("[RESULT]") for s in _subjects(sandbox)) == 1


# --- who the vote belongs to ----------------------------------------------------------------------


def test_a_strangers_vote_with_our_subject_is_not_adopted(sandbox: Sandbox) -> None:
    """Anyone can send '[VOTE] ... 2.11.0-rc1' first: the release manager's own is still sent."""
    _seed(sandbox)
    _by_hand(sandbox, SUBJECT, sender="Mallory <mallory@example.org>")
    done = _cli(sandbox, "vote", "2.11.0", "--rc", "1", "--send", "--json")
    assert done.returncode == 0, done.stderr
    facts = json.loads(done.stdout)["facts"]
    messages = sandbox.mail.messages()
    assert [parseaddr(str(m["From"]))[1] for m in messages] == ["mallory@example.org", "rm@apache.org"]
    assert facts["message_id"] == messages[1]["Message-ID"]


def _reply_to(sandbox: Sandbox, vote_id: str, who: str, text: str) -> None:
    _by_hand(sandbox, "Re: [VOTE] Release Apache Kvrocks 2.11.0", in_reply_to=vote_id, sender=who, body=text)


def test_with_a_subject_without_rc_each_candidate_has_its_own_vote_and_count(sandbox: Sandbox) -> None:
    """mail.vote_subject without {rc}: rc2's VOTE is sent (rc1's is not taken for it), and rc1's
    binding -1 stays in rc1's count, out of rc2's."""
    override_config(sandbox.user_config, "mail", "vote_subject", "[VOTE] Release {product} {version}")
    override_config(
        sandbox.user_config, "mail", "result_subject", "[RESULT][VOTE] Release {product} {version}"
    )
    subject = "[VOTE] Release Apache Kvrocks 2.11.0"
    ctx = _ctx(sandbox)
    seed_candidate(ctx, rc=1)
    seed_candidate(ctx, rc=2)
    ctx.close()
    first = _cli(sandbox, "vote", "2.11.0", "--rc", "1", "--send", "--json")
    assert first.returncode == 0, first.stderr
    second = _cli(sandbox, "vote", "2.11.0", "--rc", "2", "--send", "--json")
    assert second.returncode == 0, second.stderr
    assert _subjects(sandbox) == [subject, subject], "rc2's VOTE is sent, not rc1's taken for it"
    rc1_id = json.loads(first.stdout)["facts"]["message_id"]
    rc2_id = json.loads(second.stdout)["facts"]["message_id"]
    assert rc1_id != rc2_id and "v2.11.0-rc2" in sandbox.mail.messages()[1].get_content()
    ctx = _ctx(sandbox)
    assert rc2_id in VoteStep(V, 2).done(ctx).detail and rc1_id in VoteStep(V, 1).done(ctx).detail
    ctx.close()

    _reply_to(sandbox, rc1_id, "Chen Wei <chenwei@apache.org>", "-1 (binding): a header is missing\n")
    _reply_to(sandbox, rc2_id, "Bruno Costa <bruno@apache.org>", "+1\n")
    _reply_to(sandbox, rc2_id, "Grace Hopkins <grace@apache.org>", "+1\n")
    rc1 = json.loads(_cli(sandbox, "tally", "2.11.0", "--rc", "1", "--json").stdout)
    rc2 = json.loads(_cli(sandbox, "tally", "2.11.0", "--rc", "2", "--json").stdout)
    assert rc1["vote_message_id"] == rc1_id and rc1["binding"] == {"+1": 0, "0": 0, "-1": 1}
    assert rc2["vote_message_id"] == rc2_id and rc2["binding"] == {"+1": 2, "0": 0, "-1": 0}


# --- a connection that drops once the server has the message -------------------------------------


def _smtp_at(sandbox: Sandbox, port: int, user: str) -> None:
    override_config(sandbox.user_config, "smtp", "port", port)
    override_config(sandbox.user_config, "smtp", "user", user)


def test_a_vote_dropped_after_data_is_uncertain_then_found_in_the_thread(sandbox: Sandbox) -> None:
    _seed(sandbox)
    user = _ctx(sandbox).profile.smtp.user
    with DroppingSmtp(sandbox.mbox) as relay:
        _smtp_at(sandbox, relay.port, "")
        dropped = _cli(sandbox, "vote", "2.11.0", "--rc", "1", "--send")
    assert relay.received == 1
    assert dropped.returncode == 3 and "Traceback" not in dropped.stderr
    assert "may have" in dropped.stderr and "run the command again" in dropped.stderr
    ctx = _ctx(sandbox)
    state = mailing.mail_state(ctx, VoteStep(V, 1))
    ctx.close()
    assert state.sent_at is None and state.attempt_open and state.uncertain
    status, detail = _states(sandbox)["vote"]
    assert status == "interrupted" and "uncertain" in detail
    assert [m["Message-ID"] for m in sandbox.mail.messages()] == [state.message_id]

    _smtp_at(sandbox, sandbox.mail.port, user)
    again = _cli(sandbox, "vote", "2.11.0", "--rc", "1", "--send")
    assert again.returncode == 0, again.stderr
    assert _subjects(sandbox) == [SUBJECT], "sent once"
    ctx = _ctx(sandbox)
    state = mailing.mail_state(ctx, VoteStep(V, 1))
    ctx.close()
    assert state.sent_how == "found in the thread"


def test_a_vote_dropped_and_lost_is_sent_again_only_with_resend(sandbox: Sandbox) -> None:
    _seed(sandbox)
    user = _ctx(sandbox).profile.smtp.user
    with DroppingSmtp(sandbox.mbox, keep=False) as relay:
        _smtp_at(sandbox, relay.port, "")
        dropped = _cli(sandbox, "vote", "2.11.0", "--rc", "1", "--send")
    assert dropped.returncode == 3 and relay.received == 1
    _smtp_at(sandbox, sandbox.mail.port, user)
    refused = _cli(sandbox, "vote", "2.11.0", "--rc", "1", "--send")
    assert refused.returncode == 2 and "--resend" in refused.stderr
    assert sandbox.mail.messages() == []
    resent = _cli(sandbox, "vote", "2.11.0", "--rc", "1", "--send", "--resend")
    assert resent.returncode == 0, resent.stderr
    assert _subjects(sandbox) == [SUBJECT]


def test_a_result_dropped_after_data_is_found_in_the_thread_not_sent_twice(sandbox: Sandbox) -> None:
    ctx = _vote_and_replies(sandbox)
    start = mailing.mail_state(ctx, VoteStep(V, 1)).sent_at
    user = ctx.profile.smtp.user
    ctx.close()
    assert start is not None
    later = start + timedelta(hours=73)
    with DroppingSmtp(sandbox.mbox) as relay:
        _smtp_at(sandbox, relay.port, "")
        ctx = _ctx(sandbox)
        ctx.now = lambda: later
        with pytest.raises(ExternalError, match="may have"):
            execute(ctx, ResultStep(V, 1, send=True))
        state = mailing.mail_state(ctx, ResultStep(V, 1))
        check = ResultStep(V, 1).done(ctx)
        ctx.close()
    assert check.state.value == "interrupted" and "uncertain" in check.detail
    assert state.attempt_open and state.uncertain and state.sent_at is None
    _smtp_at(sandbox, sandbox.mail.port, user)
    ctx = _ctx(sandbox)
    ctx.now = lambda: later
    execute(ctx, ResultStep(V, 1, send=True))
    after = mailing.mail_state(ctx, ResultStep(V, 1))
    ctx.close()
    results = [m for m in sandbox.mail.messages() if str(m["Subject"]).startswith("[RESULT]")]
    assert len(results) == 1 and results[0]["Message-ID"] == state.message_id == after.message_id
    assert after.sent_at is not None


def test_a_proposal_dropped_after_data_is_found_in_the_archive_not_sent_twice(sandbox: Sandbox) -> None:
    user = _ctx(sandbox).profile.smtp.user
    with DroppingSmtp(sandbox.mbox) as relay:
        _smtp_at(sandbox, relay.port, "")
        ctx = _ctx(sandbox)
        with pytest.raises(ExternalError, match="may have"):
            execute(ctx, ProposeStep(V, send=True))
        assert "uncertain" in ProposeStep(V).done(ctx).detail
        ctx.close()
    assert relay.received == 1
    _smtp_at(sandbox, sandbox.mail.port, user)
    ctx = _ctx(sandbox)
    execute(ctx, ProposeStep(V, send=True))
    assert ProposeStep(V).done(ctx).detail.startswith("sent to dev@kvrocks.apache.org")
    ctx.close()
    assert len(sandbox.mail.messages()) == 1
