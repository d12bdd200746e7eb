"""announce: the [ANNOUNCE] message, once the release is published and on the download servers.

Refuses until `publish` is done (dist/release holds the release, the final tag is pushed) and the
artifact, its signature and checksums answer under dist.downloads_url (the mirrors lag the svn
commit by minutes to an hour: --wait MINUTES polls, with progress). The message is linted before
it is sent (plain text, sender's domain, recipients, no dist.apache.org link, every link answers)
and sent once, like the vote: the Message-ID is recorded first, an interrupted send is looked for
in the thread, and an [ANNOUNCE] already there (sent by hand) is adopted.
"""

from __future__ import annotations

import time
from datetime import datetime
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from asf_release import templates
from asf_release.adapters import http, lists
from asf_release.adapters import mail as mail_adapter
from asf_release.context import Context
from asf_release.errors import Failed, Refused, ReleaseError
from asf_release.mailtext import Head, subject_pattern
from asf_release.steps import announce_lint, announcement, mailing
from asf_release.steps.base import Action, Check, Outcome, Plan, State
from asf_release.steps.publish import PublishStep
from asf_release.verify.model import Finding
from asf_release.version import ReleaseKind, Version

FIRST_POLL_SECONDS = 1.0
LONGEST_POLL_SECONDS = 30.0


class AnnounceStep(mailing.MessageStep):
    name = "announce"
    title = "Announce the release"
    subject_key = "mail.announce_subject"

    def __init__(
        self,
        version: Version,
        rc: int,
        *,
        send: bool = False,
        resend: bool = False,
        notable: Path | None = None,
        wait_minutes: float = 0,
    ) -> None:
        # the announcement belongs to the release, not to a candidate: its ledger events carry no RC
        super().__init__(version, None, send=send, resend=resend)
        self.candidate_rc = rc
        self.notable_file = notable
        self.wait_minutes = wait_minutes

    @property
    def stem(self) -> str:
        return f"announce-{self.version}"

    def subject(self, ctx: Context) -> str:
        return ctx.profile.fmt(self.subject_key, **self.version.placeholders())

    def command(self) -> str:
        return f"asf-release announce {self.version} --send"

    def sending(self, ctx: Context) -> Action:
        smtp, mail = ctx.profile.smtp, ctx.profile.mail
        return Action(
            f"send it to {', '.join(mail.announce_to)} (Cc {', '.join(mail.announce_cc)}) through "
            f"{smtp.host}:{smtp.port} ({smtp.security})"
        )

    # --- before anything goes out ---------------------------------------------------------------
    def require_published(self, ctx: Context) -> None:
        publish = PublishStep(self.version, self.candidate_rc)
        check = publish.done(ctx)
        if check.state is not State.DONE:
            raise Refused(
                f"{self.version} is not published: {check.detail}",
                f"publish it first: {publish.command()}",
            )

    def mirror_files(self, ctx: Context) -> list[str]:
        links = announcement.links(ctx, self.version)
        return [announcement.artifact_url(ctx, self.version), links.signature, *links.checksums]

    def missing_on_mirrors(self, ctx: Context) -> list[str]:
        missing = []
        for url in self.mirror_files(ctx):
            status, why = http.probe(url)
            if status is None or status >= 400:
                missing.append(f"{url} ({f'HTTP {status}' if status is not None else why})")
        return missing

    def wait_for_mirrors(self, ctx: Context) -> None:
        missing = self.missing_on_mirrors(ctx)
        if not missing:
            return
        if self.wait_minutes > 0:
            deadline = time.monotonic() + self.wait_minutes * 60
            pause = FIRST_POLL_SECONDS
            files = len(self.mirror_files(ctx))
            with ctx.progress.task(f"waiting for {ctx.profile.dist.downloads_url}", files) as task:
                task.advance(files - len(missing))
                while missing and time.monotonic() < deadline:
                    time.sleep(min(pause, max(0.0, deadline - time.monotonic())))
                    pause = min(pause * 2, LONGEST_POLL_SECONDS)
                    still = self.missing_on_mirrors(ctx)
                    task.advance(len(missing) - len(still))
                    missing = still
            if not missing:
                return
        waited = f" after waiting {self.wait_minutes:g} minutes" if self.wait_minutes > 0 else ""
        raise Failed(
            f"the download servers do not have the release yet{waited}: " + "; ".join(missing),
            "the mirrors follow dist/release within an hour: run again later, or add --wait MINUTES",
        )

    # --- the message ----------------------------------------------------------------------------
    def notable(self, ctx: Context) -> list[str]:
        if self.notable_file is not None:
            return announcement.notable_from_file(self.notable_file)
        return announcement.notable_from_history(ctx, self.version)

    def compose(self, ctx: Context, message_id: str, date: datetime) -> EmailMessage:
        profile = ctx.profile
        links = announcement.links(ctx, self.version)
        previous = announcement.previous_release(ctx, self.version)
        body = templates.render(
            profile,
            "announce",
            product=profile.project.product,
            version=str(self.version),
            description=profile.project.description,
            previous=str(previous) if previous else "",
            is_feature=self.version.kind is ReleaseKind.FEATURE,
            notable=self.notable(ctx),
            changelog_url=links.changelog,
            download_url=links.download,
            signature_url=links.signature,
            checksum_urls=links.checksums,
            keys_url=links.keys,
            website=links.website,
            issues_url=links.issues,
            mailing_list_url=links.mailing_list,
            dev_list=profile.mail.dev_list,
            release_manager=profile.release_manager.name or mailing.sender(ctx),
        )
        return mail_adapter.compose(
            subject=self.subject(ctx),
            sender=mailing.sender(ctx),
            to=profile.mail.announce_to,
            cc=profile.mail.announce_cc,
            body=body,
            date=date,
            message_id=message_id,
        )

    def preview(self, ctx: Context) -> EmailMessage:
        return self.compose(ctx, "<preview@asf-release>", ctx.now())

    def expected(self, ctx: Context) -> announce_lint.Expected:
        profile = ctx.profile
        links = announcement.links(ctx, self.version)
        return announce_lint.Expected(
            sender_domain=profile.mail.announce_sender_domain,
            to=profile.mail.announce_to,
            cc=profile.mail.announce_cc,
            forbidden=[profile.dist.dev_url, profile.dist.release_url],
            required={
                "download": links.download,
                "signature": links.signature,
                **{f"checksum ({url.rsplit('.', 1)[-1]})": url for url in links.checksums},
                "KEYS": links.keys,
                "change log": links.changelog,
                "website": links.website,
            },
        )

    def lint(self, ctx: Context, message: EmailMessage) -> list[Finding]:
        return announce_lint.lint(message, self.expected(ctx), http.probe)

    # --- plan / run / done ----------------------------------------------------------------------
    def plan(self, ctx: Context) -> Plan:
        state = mailing.mail_state(ctx, self)
        if state.sent_at is not None:
            return Plan(self.name, [], [f"the [ANNOUNCE] was sent {state.sent_at:%Y-%m-%d %H:%M %Z}"])
        self.require_published(ctx)
        notes = []
        missing = self.missing_on_mirrors(ctx)
        if missing:
            notes.append("not on the download servers yet: " + "; ".join(missing))
        path = ctx.outbox / f"{self.stem}.eml"
        actions = [
            Action(
                f"check every link of the message and lint it ({len(self.expected(ctx).required)} links required)"
            ),
            Action(f"write '{self.subject(ctx)}' to {path}"),
        ]
        if self.send:
            actions.append(self.sending(ctx))
        else:
            notes.append("add --send to send it; until then it waits in the outbox")
        return Plan(self.name, actions, notes)

    def run(self, ctx: Context) -> Outcome:
        state = mailing.mail_state(ctx, self)
        if state.sent_at is None:
            found = self._in_thread(ctx)
            if found is not None and found.message_id != state.message_id:
                when = self.adopt(ctx, found)
                return Outcome(
                    self.name,
                    f"the list already has this [ANNOUNCE], sent {when:%Y-%m-%d %H:%M} by "
                    f"{found.sender.label()}: not sent again",
                    {"message_id": found.message_id, "sent": True, "date": when.isoformat()},
                    True,
                    [f"Message-ID {found.message_id}"],
                )
            self.require_published(ctx)
            self.wait_for_mirrors(ctx)
        findings: list[Finding] = []

        def build(message_id: str, date: datetime) -> EmailMessage:
            message = self.compose(ctx, message_id, date)
            findings.extend(self.lint(ctx, message))
            if findings and self.send:
                mail_adapter.write_outbox(message, ctx.outbox, self.stem)
                raise Failed(
                    "the announcement is not sent, its lint failed:\n  "
                    + "\n  ".join(f"{f.path}: {f.message}" for f in findings),
                    f"the message is in {ctx.outbox / (self.stem + '.eml')}; fix what is named, then run again",
                )
            return message

        delivery = mailing.deliver(
            ctx,
            self,
            stem=self.stem,
            build=build,
            send=self.send,
            resend=self.resend,
            find=lambda message_id: mailing.find_in(mailing.local_thread(ctx), message_id),
        )
        mail = ctx.profile.mail
        facts: dict[str, Any] = {
            "message_id": delivery.message_id,
            "subject": self.subject(ctx),
            "to": mail.announce_to,
            "cc": mail.announce_cc,
            "file": str(delivery.file) if delivery.file else "",
            "sent": delivery.sent,
        }
        details = [f"Message-ID {delivery.message_id}"]
        details += [f"lint: {f.path}: {f.message}" for f in findings]
        if delivery.sent and delivery.sent_at:
            facts["date"] = delivery.sent_at.isoformat()
            summary = (
                f"sent to {', '.join(mail.announce_to)} (Cc {', '.join(mail.announce_cc)})"
                if delivery.changed
                else f"already sent {delivery.sent_at:%Y-%m-%d %H:%M}"
            )
        else:
            summary = f"written to {delivery.file}; not sent (add --send)" + (
                f"; lint: {len(findings)} problem(s)" if findings else "; lint passed"
            )
        return Outcome(self.name, summary, facts, delivery.changed, details)

    def done(self, ctx: Context) -> Check:
        state = mailing.mail_state(ctx, self)
        if state.sent_at is not None:
            return Check(State.DONE, f"sent {state.sent_at:%Y-%m-%d %H:%M}, Message-ID {state.message_id}")
        found = self._in_thread(ctx)
        if found is not None:
            return Check(State.DONE, f"in the thread: sent by {found.sender.label()}")
        return self.unsent(ctx, state, "after the release reaches the download servers")

    def _in_thread(self, ctx: Context) -> Head | None:
        """An [ANNOUNCE] for this release in the list archive the person keeps locally, if any."""
        local = mailing.local_thread(ctx)
        if not local:
            return None
        pattern = subject_pattern(ctx.profile.mail.announce_subject, {"version": str(self.version)})
        try:
            with lists.open_source(local) as source:
                return next((h for h in source.heads() if pattern.match(h.normalized_subject)), None)
        except ReleaseError:
            return None
