"""propose: write the release proposal (Markdown for a GitHub Discussion, or an email), and send it.

The proposal goes to the outbox first (outbox/proposal-VERSION.md or .eml). Sending is recorded
in the ledger before and after the SMTP conversation, so a run that was interrupted while sending
never sends a second copy on its own: it asks the release manager to check the list first.
"""

from __future__ import annotations

from datetime import date
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from asf_release import templates
from asf_release.adapters import mail
from asf_release.context import Context
from asf_release.errors import ConfigError, ExternalError, Refused, UsageError
from asf_release.ledger import Event, EventKind
from asf_release.steps import proposal as proposal_module
from asf_release.steps.base import Action, Check, Outcome, Plan, State, Step
from asf_release.steps.proposal import Proposal
from asf_release.version import Version
from asf_release.wording import count

MARKDOWN = "markdown"
EMAIL = "email"
FORMATS = (MARKDOWN, EMAIL)


def outbox_file(ctx: Context, version: Version, fmt: str) -> Path:
    return ctx.outbox / f"proposal-{version}.{'md' if fmt == MARKDOWN else 'eml'}"


class ProposeStep(Step):
    name = "propose"
    title = "Propose the release"

    def __init__(
        self,
        version: Version,
        rc: int | None = None,
        *,
        deadline: date | None = None,
        fmt: str | None = None,
        send: bool = False,
        resend: bool = False,
    ) -> None:
        super().__init__(version, rc)
        if fmt is not None and fmt not in FORMATS:
            raise UsageError(f"'{fmt}' is not a proposal format", f"choose one of: {', '.join(FORMATS)}")
        if fmt == MARKDOWN and (send or resend):
            raise UsageError(
                "--send sends an email; a Markdown proposal is posted by hand",
                "use --format email --send, or leave out --send",
            )
        self.fmt = fmt or (EMAIL if send or resend else MARKDOWN)
        self.deadline = deadline
        self.send = send or resend
        self.resend = resend
        self.proposal: Proposal | None = None
        self.text = ""
        self._message: EmailMessage | None = None
        self._reached: str | None = None  # an interrupted send the list archive shows

    def command(self) -> str:
        return f"asf-release propose {self.version}"

    # --- content ------------------------------------------------------------------------------
    def prepare(self, ctx: Context) -> Proposal:
        """Build and render the proposal (kept on the step for the CLI to show)."""
        sent = _sent(ctx, self.version)
        recorded = ctx.ledger.history(self.release).facts(self.name).get("deadline")
        if sent and self.deadline and recorded and self.deadline.isoformat() != recorded:
            raise Refused(
                f"the proposal went to the list with the deadline {recorded}",
                f"tell the list about the new date, then record it: asf-release cherry-pick {self.version} "
                f"--deadline {self.deadline.isoformat()} --reason TEXT",
            )
        deadline = proposal_module.choose_deadline(ctx, self.version, self.deadline)
        proposal = proposal_module.build(ctx, self.version, deadline)
        values = proposal_module.template_values(ctx, proposal, markdown=self.fmt == MARKDOWN)
        self.proposal = proposal
        self.text = templates.render(ctx.profile, "proposal", **values)
        return proposal

    def _compose(self, ctx: Context) -> EmailMessage:
        profile = ctx.profile
        return mail.compose(
            subject=profile.fmt("mail.proposal_subject", **self.version.placeholders()),
            sender=sender(ctx),
            to=[profile.mail.dev_list],
            body=self.text,
            date=ctx.now(),
        )

    # --- plan / run ---------------------------------------------------------------------------
    def plan(self, ctx: Context) -> Plan:
        sent = _sent(ctx, self.version)
        if sent and self.fmt == EMAIL and not self.resend:
            # looked at first: once released, the version is no longer one that could be proposed
            return Plan(
                self.name, [], [f"already sent to {sent.data.get('to')} (Message-ID {sent.data.get('sent')})"]
            )
        proposal = self.prepare(ctx)
        path = outbox_file(ctx, self.version, self.fmt)
        sent = _sent(ctx, self.version)
        actions = []
        notes = [_summary(proposal)]
        if proposal.unstable_behind:
            notes.append(
                f"origin's {proposal.line.unstable} has {proposal.unstable_behind} commit(s) that yours "
                f"lacks: git pull, then propose again"
            )
        if self.fmt == MARKDOWN:
            if not path.exists() or path.read_text() != self.text:
                actions.append(Action(f"write the proposal (Markdown) to {path}"))
            return Plan(self.name, actions, notes)
        if sent and not self.resend:
            notes.append(f"already sent to {sent.data.get('to')} (Message-ID {sent.data.get('sent')})")
            return Plan(self.name, [], notes)
        interrupted = _interrupted_send(ctx, self.version)
        if self.send and interrupted and not self.resend:
            if _in_archive(ctx, interrupted):
                self._reached = interrupted
                action = Action(f"record the proposal as sent: the list archive holds {interrupted}")
                return Plan(self.name, [action], notes)
            raise Refused(
                f"an earlier run was stopped while sending the proposal ({interrupted}); it may have reached the list",
                f"look for it in the archive ({ctx.profile.mail.list_archive_url}); if it is not there, "
                f"run again with --resend",
            )
        sender(ctx)  # a missing sender address stops the plan, before anything is written
        self._message = self._draft(ctx, path)
        if self._message is None:
            actions.append(Action(f"write the proposal email to {path}"))
        if self.send:
            smtp = ctx.profile.smtp
            actions.append(Action(f"send it to {ctx.profile.mail.dev_list} through {smtp.host}:{smtp.port}"))
        return Plan(self.name, actions, notes)

    def _draft(self, ctx: Context, path: Path) -> EmailMessage | None:
        """The email already in the outbox, when it says the same as the one composed now."""
        if not path.exists():
            return None
        existing = mail.read_eml(path)
        body = existing.get_body(("plain",))
        same = (
            body is not None
            and body.get_content() == self.text
            and existing["Subject"] == ctx.profile.fmt("mail.proposal_subject", **self.version.placeholders())
            and existing["To"] == ctx.profile.mail.dev_list
        )
        return existing if same else None

    def run(self, ctx: Context) -> Outcome:
        if self.proposal is None:
            self.plan(ctx)
        assert self.proposal is not None
        path = outbox_file(ctx, self.version, self.fmt)
        facts: dict[str, Any] = {
            "format": self.fmt,
            "path": str(path),
            "deadline": self.proposal.deadline.isoformat() if self.proposal.deadline else None,
            "commits": len(self.proposal.entries),
            "kind": self.version.kind.value,
        }
        details = []
        if self.fmt == MARKDOWN:
            if path.exists() and path.read_text() == self.text:
                return Outcome(self.name, _unposted(path, self.version), facts, changed=False)
            path.parent.mkdir(parents=True, exist_ok=True)
            partial = path.with_name(path.name + ".partial")
            partial.write_text(self.text)
            partial.replace(path)
            return Outcome(
                self.name, f"wrote the proposal to {path}", facts, details=[_summary(self.proposal)]
            )
        sent = _sent(ctx, self.version)
        if sent and not self.resend:
            facts["message_id"] = sent.data.get("sent")
            return Outcome(self.name, "already sent", facts, changed=False)
        if self._reached:
            to = ctx.profile.mail.dev_list
            self.record(
                ctx, EventKind.NOTE, {"sent": self._reached, "to": to, "how": "found in the list archive"}
            )
            facts.update(message_id=self._reached, sent_to=to)
            return Outcome(self.name, f"the interrupted send reached {to}: recorded, not sent again", facts)
        message = self._message or self._draft(ctx, path)
        if message is None:
            message = self._compose(ctx)
            mail.write_outbox(message, path.parent, path.stem)
            if self.send:
                details.append(f"wrote {path}")
        message_id = str(message["Message-ID"])
        facts["message_id"] = message_id
        if not self.send:
            return Outcome(
                self.name, f"wrote the proposal email to {path} (not sent)", facts, details=details
            )
        to = ctx.profile.mail.dev_list
        self.record(ctx, EventKind.NOTE, {"sending": message_id, "to": to})
        try:
            mail.send(message, ctx.profile.smtp, mail.password(ctx.profile.smtp, ctx.env))
        except mail.MaybeSent as error:  # the server may have it: the send stays open (see mailing)
            self.record(ctx, EventKind.NOTE, {"send_uncertain": message_id, "error": error.message})
            raise
        except (ExternalError, ConfigError) as error:
            self.record(ctx, EventKind.NOTE, {"send_failed": message_id, "error": error.message})
            raise
        self.record(ctx, EventKind.NOTE, {"sent": message_id, "to": to})
        facts["sent_to"] = to
        details.append(f"sent to {to} (Message-ID {message_id})")
        return Outcome(self.name, f"sent the proposal to {to}", facts, details=details)

    # --- done ---------------------------------------------------------------------------------
    def done(self, ctx: Context) -> Check:
        sent = _sent(ctx, self.version)
        eml = outbox_file(ctx, self.version, EMAIL)
        markdown = outbox_file(ctx, self.version, MARKDOWN)
        if sent:
            return Check(State.DONE, f"sent to {sent.data.get('to')} on {sent.at.date().isoformat()}")
        posted = _posted(ctx, self.version)
        if posted:
            return Check(State.DONE, f"posted at {posted.data['posted']} on {posted.at.date().isoformat()}")
        interrupted = _interrupted_send(ctx, self.version)
        if interrupted:
            return Check(
                State.INTERRUPTED,
                f"uncertain: a send of {interrupted} stopped before the mail server answered; "
                f"asf-release propose {self.version} --send looks for it in the list archive, or asks for --resend",
            )
        if eml.exists():
            return Check(
                State.PENDING,
                f"email written to the outbox ({eml.name}), not sent: asf-release propose {self.version} --send",
                f"asf-release propose {self.version} --send",
            )
        if markdown.exists():
            return Check(
                State.PENDING,
                _unposted(markdown, self.version),
                f"asf-release propose {self.version} --posted URL",
            )
        return Check(State.PENDING, "no proposal yet")


def _unposted(markdown: Path, version: Version) -> str:
    return (
        f"Markdown written to the outbox ({markdown.name}), not sent: post it as a GitHub Discussion, then "
        f"record it with asf-release propose {version} --posted URL; or mail it: asf-release propose "
        f"{version} --send"
    )


def record_posted(ctx: Context, version: Version, url: str) -> None:
    """The release manager posted the Markdown proposal by hand (a GitHub Discussion): keep where."""
    if not url.startswith(("https://", "http://")):
        raise UsageError(f"'{url}' is not the address of the post", "give the Discussion's https URL")
    ctx.ledger.append(str(version), ProposeStep.name, EventKind.NOTE, {"posted": url}, at=ctx.now())


def _posted(ctx: Context, version: Version) -> Event | None:
    return next((e for e in reversed(_sending_events(ctx, version)) if "posted" in e.data), None)


def sender(ctx: Context) -> str:
    """The From address: [smtp] sender, else the release manager's Apache address."""
    profile = ctx.profile
    if profile.smtp.sender:
        return profile.smtp.sender
    rm = profile.release_manager
    if rm.apache_id:
        address = f"{rm.apache_id}@{profile.mail.announce_sender_domain}"
        return f"{rm.name} <{address}>" if rm.name else address
    raise ConfigError(
        "there is no sender address for the email",
        "set [smtp] sender, or [release_manager] apache_id, in your config file",
        file=profile.origins.get("smtp.sender", "your config file"),
        key="smtp.sender",
    )


def _sending_events(ctx: Context, version: Version) -> list[Event]:
    return [e for e in ctx.ledger.events(str(version), ProposeStep.name) if e.kind is EventKind.NOTE]


def _sent(ctx: Context, version: Version) -> Event | None:
    """The ledger's record of the proposal's last successful send (data: sent = Message-ID, to)."""
    found = None
    for event in _sending_events(ctx, version):
        if "sent" in event.data:
            found = event
    return found


def _interrupted_send(ctx: Context, version: Version) -> str | None:
    """The Message-ID of a send that started and neither finished nor failed, if any."""
    pending: str | None = None
    for event in _sending_events(ctx, version):
        if "sending" in event.data:
            pending = str(event.data["sending"])
        elif event.data.get("sent") == pending or event.data.get("send_failed") == pending:
            pending = None
    return pending


def _in_archive(ctx: Context, message_id: str) -> bool:
    """Whether the list archive holds the proposal an interrupted run sent (the vote's lookup, by
    Message-ID: see steps/mailing.py)."""
    from asf_release.steps import mailing

    return mailing.find_in(mailing.thread_location(ctx, None, message_id), message_id) is not None


def _summary(proposal: Proposal) -> str:
    line = proposal.line
    after = f"after {line.previous}" if line.previous else "(first release)"
    parts = [f"{line.version}: {line.kind.value} release {after}, {count(len(proposal.new), 'new commit')}"]
    for release, shipped in proposal.released().items():
        parts.append(f"{len(shipped)} already released in {release}")
    if proposal.features_waiting:
        parts.append(f"{count(proposal.features_waiting, 'feature')} left for {proposal.next_feature}")
    if proposal.deadline:
        parts.append(f"cherry-pick deadline {proposal.deadline.isoformat()}")
    return "; ".join(parts)
