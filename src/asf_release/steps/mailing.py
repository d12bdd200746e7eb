"""Sending one message to the list exactly once: what the vote and result steps share.

The ledger keeps the message's life as notes of the step, in order:
  composed (its Message-ID, chosen once, and the From address) -> sending
    -> sent | send-failed (the server refused it, or was never reached: sending again is safe)
            | send-uncertain (the connection broke once the server had the message)
A rerun after 'sent' does nothing. After 'sending' with no outcome (the process died mid-send) or
'send-uncertain', the server may have the message: the thread is searched for its Message-ID;
found, it is recorded as sent; not found, the step refuses to send again unless told (--resend),
because the list may simply not have archived it yet.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from email.message import EmailMessage
from email.utils import formataddr, make_msgid
from pathlib import Path
from typing import Any, ClassVar

from asf_release.adapters import http, lists
from asf_release.adapters import mail as mail_adapter
from asf_release.context import Context
from asf_release.errors import ConfigError, ExternalError, Refused, ReleaseError, UsageError
from asf_release.ledger import EventKind
from asf_release.mailtext import Head, Sender
from asf_release.steps.base import Action, Check, State, Step
from asf_release.version import Version


@dataclass(frozen=True)
class MailState:
    message_id: str | None = None  # chosen once, kept by every rerun
    sent_at: datetime | None = None
    sent_how: str = ""
    attempt_open: bool = False  # a send started and neither finished nor failed
    file: str | None = None
    sender: str | None = None  # the From address it was composed with
    uncertain: str = ""  # why the last attempt may or may not have reached the server


@dataclass(frozen=True)
class Delivery:
    message: EmailMessage | None
    file: Path | None
    message_id: str
    sent: bool
    sent_at: datetime | None
    changed: bool
    how: str = ""


class MessageStep(Step):
    """A step whose work is one message to the dev list: kept in the outbox as STEM.eml, sent once."""

    subject_key: ClassVar[str]  # the profile key of its subject, such as "mail.vote_subject"

    def __init__(
        self, version: Version, rc: int | None = None, *, send: bool = False, resend: bool = False
    ) -> None:
        super().__init__(version, rc)
        self.send = send
        self.resend = resend

    @property
    def stem(self) -> str:
        return f"{self.name}-{self.version}-rc{self.rc}"

    def subject(self, ctx: Context) -> str:
        return ctx.profile.fmt(self.subject_key, **self.version.placeholders(), rc=self.rc)

    def command(self) -> str:
        return f"asf-release {self.name} {self.version} --rc {self.rc} --send"

    def unsent(self, ctx: Context, state: MailState, before: str) -> Check:
        """The state of a message not sent (yet): interrupted mid-send, waiting in the outbox, or
        `before` (what it waits for)."""
        if state.attempt_open and state.uncertain:
            return Check(
                State.INTERRUPTED,
                f"uncertain: {state.uncertain}; {self.command()} looks for {state.message_id} in the "
                "thread and adopts it, or asks for --resend",
            )
        if state.attempt_open:
            return Check(State.INTERRUPTED, "a send stopped midway: run again to check the thread and finish")
        path = ctx.outbox / f"{self.stem}.eml"
        if path.exists():
            return Check(State.PENDING, f"written to {path}, not sent yet")
        return Check(State.PENDING, before)

    def adopt(self, ctx: Context, found: Head, *, ours: bool = False) -> datetime:
        """Record a message found in the thread as this step's, sent: nothing is sent again.
        Returns when it was sent. `ours`: the ledger already knows it as composed by this step."""
        when = found.date or ctx.now()
        if not ours:
            note(ctx, self, mail="composed", message_id=found.message_id, file="", sender=found.sender.email)
        note(
            ctx,
            self,
            mail="sent",
            message_id=found.message_id,
            date=when.isoformat(),
            how="found in the thread",
        )
        return when

    def sending(self, ctx: Context) -> Action:
        smtp = ctx.profile.smtp
        who = f" as {smtp.user}" if smtp.user else ""
        return Action(
            f"send it to {ctx.profile.mail.dev_list} through {smtp.host}:{smtp.port} ({smtp.security}){who}"
        )


def mail_state(ctx: Context, step: Step) -> MailState:
    state = MailState()
    for event in ctx.ledger.events(step.release, step.name):
        if event.kind is not EventKind.NOTE or event.rc != step.rc or "mail" not in event.data:
            continue
        data, what = event.data, event.data["mail"]
        if what == "composed":
            state = MailState(data["message_id"], None, "", False, data.get("file"), data.get("sender"))
        elif what == "sending":
            state = replace(state, sent_at=None, sent_how="", attempt_open=True, uncertain="")
        elif what == "send-failed":
            state = replace(state, sent_at=None, sent_how="", attempt_open=False, uncertain="")
        elif what == "send-uncertain":
            state = replace(state, attempt_open=True, uncertain=str(data.get("error", "")) or "unknown")
        elif what == "sent":
            when = datetime.fromisoformat(data["date"])
            state = replace(
                state,
                message_id=data["message_id"],
                sent_at=when,
                sent_how=data.get("how", ""),
                attempt_open=False,
                uncertain="",
            )
    return state


def owner(ctx: Context, step: Step) -> str | None:
    """The address this step's message was composed with (else the configured sender's): the VOTE
    is the message from this address, whoever else writes with its subject."""
    recorded = mail_state(ctx, step).sender
    if recorded:
        return recorded
    try:
        return Sender.parse(sender(ctx)).email or None
    except ReleaseError:
        return None


def other_candidates(ctx: Context, step: Step) -> frozenset[str]:
    """The Message-IDs the ledger knows as this step's messages for the other RCs of the release:
    with a subject that names no RC, rc1's VOTE must never be taken for rc2's."""
    ids = set()
    for event in ctx.ledger.events(step.release, step.name):
        if event.kind is EventKind.NOTE and event.rc != step.rc and event.data.get("message_id"):
            ids.add(str(event.data["message_id"]))
    return frozenset(ids)


def note(ctx: Context, step: Step, **data: Any) -> None:
    step.record(ctx, EventKind.NOTE, data)


def sender(ctx: Context) -> str:
    """The From address: [smtp] sender, else the release manager at apache.org."""
    settings = ctx.profile.smtp
    if settings.sender:
        return mail_adapter.header_safe("sender", settings.sender)
    person = ctx.profile.release_manager
    if person.apache_id:
        return formataddr((person.name, f"{person.apache_id}@apache.org"))
    raise ConfigError(
        "no sender address for the mail",
        "set [smtp] sender (or [release_manager] apache_id) in your personal config",
        key="smtp.sender",
    )


def new_message_id(from_address: str) -> str:
    domain = from_address.rsplit("@", 1)[-1].strip(">").strip() if "@" in from_address else "localhost"
    return make_msgid(domain=domain)


def deliver(
    ctx: Context,
    step: MessageStep,
    *,
    stem: str,
    build: Callable[[str, datetime], EmailMessage],
    send: bool,
    resend: bool,
    find: Callable[[str], Head | None],
) -> Delivery:
    """Compose (Message-ID recorded first), keep in the outbox, and send at most once."""
    state = mail_state(ctx, step)
    if state.sent_at is not None and state.message_id:
        return Delivery(
            None, _outbox_file(ctx, stem), state.message_id, True, state.sent_at, False, state.sent_how
        )
    message_id = state.message_id
    if message_id is None:
        from_address = sender(ctx)
        message_id = new_message_id(from_address)
        note(
            ctx,
            step,
            mail="composed",
            message_id=message_id,
            file=str(_outbox_file(ctx, stem)),
            sender=Sender.parse(from_address).email,
        )
    if state.attempt_open:
        try:
            found = find(message_id)
        except ExternalError as error:
            if not resend:
                raise ExternalError(
                    f"an earlier run handed this message ({message_id}) to the mail server and stopped before "
                    f"knowing whether it was accepted, and the thread could not be read to look: {error.message}",
                    "try again later; or look for it in the list archive yourself and, if it is not there, "
                    "run the same command with --resend",
                ) from None
            found = None  # --resend: the person looked, and sends again
        if found is not None:
            when = step.adopt(ctx, found, ours=True)
            return Delivery(
                None, _outbox_file(ctx, stem), message_id, True, when, True, "found in the thread"
            )
        if not resend:
            raise Refused(
                f"an earlier run handed this message ({message_id}) to the mail server and stopped before "
                "knowing whether it was accepted"
                + (f" ({state.uncertain})" if state.uncertain else "")
                + ", and the thread does not show it",
                "the list archive may be slow: look for it there; if it is not there, run the same "
                "command with --resend",
            )
    date = ctx.now()
    message = build(message_id, date)
    path = mail_adapter.write_outbox(message, ctx.outbox, stem)
    if not send:
        return Delivery(message, path, message_id, False, None, True)
    settings = ctx.profile.smtp
    secret = mail_adapter.password(settings, ctx.env)
    note(ctx, step, mail="sending", message_id=message_id, date=date.isoformat())
    try:
        mail_adapter.send(message, settings, secret)
    except mail_adapter.MaybeSent as error:
        note(ctx, step, mail="send-uncertain", message_id=message_id, error=error.message)
        raise
    except ReleaseError as error:
        note(ctx, step, mail="send-failed", message_id=message_id, error=error.message)
        raise
    note(ctx, step, mail="sent", message_id=message_id, date=date.isoformat(), how="sent by SMTP")
    return Delivery(message, path, message_id, True, date, True, "sent by SMTP")


def _outbox_file(ctx: Context, stem: str) -> Path:
    return ctx.outbox / f"{stem}.eml"


def thread_location(ctx: Context, explicit: str | None = None, vote_id: str | None = None) -> str | None:
    """Where the vote thread is read: --thread, else vote.thread, else PonyMail by the VOTE's id."""
    if explicit:
        return explicit
    configured = ctx.profile.vote.thread
    if configured:
        if (
            http.kind(configured) == "file"
            and ctx.profile.root
            and not Path(configured).expanduser().is_absolute()
        ):
            return str(ctx.profile.root / configured)
        return configured
    if vote_id:
        return lists.ponymail_thread_url(ctx.profile.mail.ponymail_api, vote_id)
    return None


def local_thread(ctx: Context, explicit: str | None = None) -> str | None:
    """The thread's location when reading it costs no network (a file the sandbox or person keeps)."""
    location = thread_location(ctx, explicit)
    if location and http.kind(location) == "file" and http.local_path(location).exists():
        return location
    return None


def find_in(location: str | None, message_id: str) -> Head | None:
    """The message with this id in the thread, or None when the thread does not hold it (the
    archive knows no such thread: 404; a local file that is no thread). An archive that cannot
    be read raises ExternalError: an outside failure is never "not there"."""
    if not location:
        return None
    try:
        with lists.open_source(location) as source:
            return lists.contains(source, message_id)
    except http.Refusal as error:
        if error.status in (404, 410):
            return None
        raise
    except UsageError:
        return None
